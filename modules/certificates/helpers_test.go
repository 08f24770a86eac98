package certificates_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) != "" {
		os.Exit(workerMain()) // a worker process of TestIssuanceSurvivesKilledWorkers
	}
	dbtest.Main(m)
}

// electrician is the occupation the tests issue for (电工, levels 5–1 in the catalog).
const electrician = "6-31-01-03"

// testMasterKey seals signing keys in every service of this test binary (and its worker
// processes): the kit server's, so that the tests' own services and the server open each other's.
const testMasterKey = testkit.MasterKey

// loadMasterKey is Config.MasterKey of the tests' own services.
func loadMasterKey() (*credential.MasterKey, error) { return credential.ParseMasterKey(testMasterKey) }

// sharedRenderer parses the fonts once for the whole test binary.
var sharedRenderer = sync.OnceValues(func() (*render.Renderer, error) { return render.New(render.Options{}) })

type env struct {
	k   *testkit.Kit
	svc *certificates.Service // the server's
	reg *testkit.Org          // a regulator of Beijing (110000)
}

var (
	envOnce sync.Once
	theEnv  *env
)

// setup returns the package's server (whose master key is testMasterKey) and a regulator that
// approves institutions' filings.
func setup(t testing.TB) *env {
	t.Helper()
	envOnce.Do(func() {
		k := testkit.New(t)
		svc := k.Server.Certificates.Service
		theEnv = &env{k: k, svc: svc, reg: k.Tenant(t, tenants.KindRegulator, "110000")}
	})
	if theEnv == nil {
		t.Fatal("setup failed in an earlier test")
	}
	return theEnv
}

// institution creates an institution in Beijing's Dongcheng district with an approved filing for
// electricians at levels 4 and 3, and returns it with the site serial its numbers carry (random, so
// that test institutions never share numbers).
func (e *env) institution(t testing.TB, kind tenants.Kind, roles ...string) (*testkit.Org, string) {
	t.Helper()
	org := e.k.Tenant(t, kind, "110105", roles...)
	var f struct{ ID uuid.UUID }
	e.k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []any{map[string]any{"occupation_code": electrician, "levels": []int{4, 3}}},
	}).Want(t, http.StatusCreated).Decode(t, &f)
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	site := fmt.Sprintf("%06d", n.Int64())
	e.k.Do(t, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", e.reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": site,
		"valid_from": time.Now().AddDate(0, 0, -1).Format(time.DateOnly), "note": "test",
	}).Want(t, http.StatusOK)
	return org, site
}

// recorder is a jobs.Enqueuer that keeps tasks for the test to run (or lose).
type recorder struct {
	mu    sync.Mutex
	tasks []recordedTask
}

type recordedTask struct {
	Type     string
	TenantID uuid.UUID
	Payload  json.RawMessage
}

func (r *recorder) Enqueue(ctx context.Context, typ string, tenantID uuid.UUID, payload any, opts ...jobs.Option) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tasks = append(r.tasks, recordedTask{Type: typ, TenantID: tenantID, Payload: b})
	return nil
}

// take returns and forgets the recorded tasks.
func (r *recorder) take() []recordedTask {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.tasks
	r.tasks = nil
	return out
}

// run runs recorded issuance tasks the way the jobs server would: the tenant's scope and a system
// actor in the context.
func run(t testing.TB, svc *certificates.Service, tasks []recordedTask) {
	t.Helper()
	for _, task := range tasks {
		if task.Type != certificates.TaskIssueChunk {
			t.Fatalf("unexpected task %s", task.Type)
		}
		if err := svc.HandleIssueChunk(taskCtx(task.TenantID), jobs.Task{Type: task.Type, TenantID: task.TenantID, Payload: task.Payload, MaxRetry: 10}); err != nil {
			t.Fatalf("issuing: %v", err)
		}
	}
}

func taskCtx(tenantID uuid.UUID) context.Context {
	ctx := tenants.WithActor(context.Background(), tenants.Actor{Name: "system:job:" + certificates.TaskIssueChunk})
	return tenants.WithScope(ctx, tenants.Scope{TenantID: tenantID})
}

type svcOption func(*certificates.Config)

// service builds a certificates service of its own on the package database, with the server's
// collaborators, a task recorder and the test master key.
func (e *env) service(t testing.TB, opts ...svcOption) (*certificates.Service, *recorder) {
	t.Helper()
	rec := &recorder{}
	lc := &e.k.Server.Lifecycle
	cfg := certificates.Config{
		DB: e.k.DB, Jobs: rec, Institutions: e.k.Server.Directory,
		Filings: certificates.FilingsFunc(func(ctx context.Context, tx bun.IDB, code string, level int, asOf time.Time) (certificates.ApprovedScope, error) {
			sc, err := lc.Filings.CheckScope(ctx, tx, code, level, asOf)
			return certificates.ApprovedScope{EvaluatorCode: sc.EvaluatorCode, ProvinceCode: sc.ProvinceCode, SiteSerial: sc.SiteSerial}, err
		}),
		Renderer:  sharedRenderer,
		MasterKey: loadMasterKey,
		PublicURL: e.svc.PublicURL(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	return certificates.NewService(cfg), rec
}

var surnames = []rune("张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高")
var given = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")

// holderName makes a two- or three-character Chinese name from i.
func holderName(i int) string {
	s := string(surnames[i%len(surnames)]) + string(given[(i/len(surnames))%len(given)])
	if i%3 != 0 {
		s += string(given[(i*7+3)%len(given)])
	}
	return s
}

// finalize hands a finalized batch of n passed applications of org to svc, in a transaction as
// batches' finalize does, and returns the batch.
func finalize(t testing.TB, e *env, svc *certificates.Service, org *testkit.Org, n, level int) certificates.FinalizedBatch {
	t.Helper()
	b := certificates.FinalizedBatch{BatchID: uuid.New(), TenantID: org.Tenant.ID, OccupationCode: electrician,
		OccupationName: "电工", Subtype: "", Level: level, FinalizedAt: time.Now()}
	for i := 0; i < n; i++ {
		b.Passed = append(b.Passed, certificates.PassedApplication{ApplicationID: uuid.New(), CandidateID: uuid.New(),
			HolderName: holderName(i), IDType: "resident_id", IDNumber: fmt.Sprintf("11010519900101%04d", i)})
	}
	onFinalized(t, e, svc, org, b)
	return b
}

func onFinalized(t testing.TB, e *env, svc *certificates.Service, org *testkit.Org, b certificates.FinalizedBatch) {
	t.Helper()
	err := tenants.WithTx(org.Ctx(context.Background()), e.k.DB, func(ctx context.Context, tx bun.Tx) error {
		return svc.OnFinalized(ctx, tx, b)
	})
	if err != nil {
		t.Fatalf("OnFinalized: %v", err)
	}
}

// certs lists the certificates of a batch through the service.
func certs(t testing.TB, svc *certificates.Service, org *testkit.Org, batchID uuid.UUID) []certificates.Certificate {
	t.Helper()
	list, err := svc.List(org.Ctx(context.Background()), platform.PageRequest{Limit: 5000}, certificates.ListFilter{BatchID: &batchID})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// pdftotext extracts a PDF's text with poppler-utils' pdftotext, as a reader would see it.
func pdftotext(t testing.TB, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is required (Debian package poppler-utils)")
	}
	f, err := os.CreateTemp(t.TempDir(), "*.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(pdf); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", f.Name(), "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

// containsAll fails the test for each want missing from text.
func containsAll(t testing.TB, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}
