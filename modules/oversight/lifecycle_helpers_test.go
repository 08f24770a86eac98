package oversight_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// electrician is the occupation the tests evaluate (电工, five levels).
const electrician = "6-31-01-03"

// approveFiling files org's scope for electricians at levels and has reg (covering org) approve it.
func approveFiling(t *testing.T, k *testkit.Kit, org, reg *testkit.Org, levels ...int) {
	t.Helper()
	var f struct{ ID uuid.UUID }
	k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": electrician, "levels": levels}},
	}).Want(t, http.StatusCreated).Decode(t, &f)
	k.Do(t, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": fmt.Sprintf("%06d", rand.IntN(1_000_000)),
		"valid_from": time.Now().AddDate(0, 0, -1).Format(time.DateOnly), "note": "ok",
	}).Want(t, http.StatusOK)
}

// batchBody is a valid batch for level-4 electricians, exam in a month.
func batchBody() map[string]any {
	exam := time.Now().AddDate(0, 1, 0).UTC().Truncate(time.Second)
	return map[string]any{
		"occupation_code": electrician, "level": 4, "title": "电工四级认定", "methods": []string{"theory", "practical"},
		"exam_start": exam.Format(time.RFC3339), "application_deadline": exam.AddDate(0, 0, -7).Format(time.RFC3339),
		"venue": "实训基地", "fee_fen": 30000, "capacity": 100, "pass_marks": map[string]any{"theory": 60, "practical": 60},
		"publicity_days": 0,
	}
}

var idSeq atomic.Int64

// residentID returns a fresh valid resident id number.
func residentID(t testing.TB) string {
	t.Helper()
	n := idSeq.Add(1) + rand.Int64N(1_000_000)*1000
	body := fmt.Sprintf("110105%s%03d", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n/900%15000)).Format("20060102"), n%900+100)
	c, err := candidates.ResidentIDCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// issuer issues certificates the way the certificates module's worker does, with a recorder for the
// queue and the test master key (also given to the server's service, which revokes on decisions).
type issuer struct {
	k   *testkit.Kit
	svc *certificates.Service
	rec *taskRecorder
}

type taskRecorder struct {
	mu    sync.Mutex
	tasks []jobs.Task
}

func (r *taskRecorder) Enqueue(ctx context.Context, typ string, tenantID uuid.UUID, payload any, opts ...jobs.Option) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tasks = append(r.tasks, jobs.Task{Type: typ, TenantID: tenantID, Payload: b, MaxRetry: 10})
	return nil
}

var (
	issuerOnce sync.Once
	theIssuer  *issuer
	renderer   = sync.OnceValues(func() (*render.Renderer, error) { return render.New(render.Options{}) })
)

func newIssuer(t testing.TB, k *testkit.Kit) *issuer {
	t.Helper()
	issuerOnce.Do(func() {
		mk, err := credential.ParseMasterKey(testkit.MasterKey)
		if err != nil {
			t.Fatal(err)
		}
		rec := &taskRecorder{}
		lc := &k.Server.Lifecycle
		svc := certificates.NewService(certificates.Config{DB: k.DB, Jobs: rec, Institutions: k.Server.Directory,
			Filings: certificates.FilingsFunc(func(ctx context.Context, tx bun.IDB, code string, level int, asOf time.Time) (certificates.ApprovedScope, error) {
				sc, err := lc.Filings.CheckScope(ctx, tx, code, level, asOf)
				return certificates.ApprovedScope{EvaluatorCode: sc.EvaluatorCode, ProvinceCode: sc.ProvinceCode, SiteSerial: sc.SiteSerial}, err
			}),
			Renderer: renderer, MasterKey: func() (*credential.MasterKey, error) { return mk, nil }, PublicURL: "https://skillcert.test"})
		theIssuer = &issuer{k: k, svc: svc, rec: rec}
	})
	if theIssuer == nil {
		t.Fatal("issuer setup failed earlier")
	}
	return theIssuer
}

// holder is a person a certificate is issued to.
type holder struct{ name, idNumber string }

// issue finalizes a batch of org passing holders at level and runs the issuance; it returns the
// batch's certificates.
func (is *issuer) issue(t testing.TB, org *testkit.Org, level int, holders ...holder) []certificates.Certificate {
	t.Helper()
	list, err := is.tryIssue(t, org, level, holders...)
	if err != nil {
		t.Fatalf("issuing: %v", err)
	}
	return list
}

// tryIssue is issue that returns the issuance task's error with the certificates as they are.
func (is *issuer) tryIssue(t testing.TB, org *testkit.Org, level int, holders ...holder) ([]certificates.Certificate, error) {
	t.Helper()
	b := certificates.FinalizedBatch{BatchID: uuid.New(), TenantID: org.Tenant.ID, OccupationCode: electrician,
		OccupationName: "电工", Level: level, FinalizedAt: time.Now()}
	for _, h := range holders {
		b.Passed = append(b.Passed, certificates.PassedApplication{ApplicationID: uuid.New(), CandidateID: uuid.New(),
			HolderName: h.name, IDType: "resident_id", IDNumber: h.idNumber})
	}
	err := tenants.WithTx(org.Ctx(context.Background()), is.k.DB, func(ctx context.Context, tx bun.Tx) error {
		return is.svc.OnFinalized(ctx, tx, b)
	})
	if err != nil {
		t.Fatalf("OnFinalized: %v", err)
	}
	is.rec.mu.Lock()
	tasks := is.rec.tasks
	is.rec.tasks = nil
	is.rec.mu.Unlock()
	var taskErr error
	for _, task := range tasks {
		if task.Type != certificates.TaskIssueChunk {
			continue
		}
		ctx := tenants.WithActor(tenants.WithScope(context.Background(), tenants.Scope{TenantID: task.TenantID}),
			tenants.Actor{Name: "system:job:" + task.Type})
		if err := is.svc.HandleIssueChunk(ctx, task); err != nil && taskErr == nil {
			taskErr = err
		}
	}
	list, err := is.svc.List(org.Ctx(context.Background()), platform.PageRequest{Limit: 1000}, certificates.ListFilter{BatchID: &b.BatchID})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items, taskErr
}
