package certificates_test

import (
	"context"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
	"github.com/skillcert/skillcert/tenants"
)

// publicApp mounts the certificates handler alone on an app, with a public look-up limit.
func publicApp(t *testing.T, svc *certificates.Service, perMinute int) *fiber.App {
	t.Helper()
	return handlerApp(svc, ratelimit.PerMinute(dbtest.Redis(t), "test-"+uuid.NewString(), perMinute, quietLog), quietLog)
}

// handlerApp is an app with the production middleware and only the certificates routes, whose
// authenticated operations refuse everyone.
func handlerApp(svc *certificates.Service, limiter *ratelimit.Limiter, log *slog.Logger) *fiber.App {
	app := httpx.NewApp(log, nil)
	deny := func(c *fiber.Ctx) error { return platform.E(platform.KindUnauthenticated, "unauthenticated", "no") }
	r := httpx.NewRouter(app.Group("/api/v1"), "/api/v1",
		httpx.Guard{Authenticate: deny, Authorize: func(string) fiber.Handler { return deny }}, httpx.NewSpec("test", "1"))
	h := certificates.NewHandler(svc, limiter, log)
	h.Routes(r)
	h.Pages(app)
	return app
}

func do(t *testing.T, app *fiber.App, method, path, body string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestPublicLookupsAreRateLimited(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise)
	c := issued(t, e, org, 1, 4)[0]
	app := publicApp(t, e.svc, 3)

	// Look-ups by number and credential checks share one budget per address (the console's
	// verification page takes the same limiter).
	for i, req := range [][3]string{
		{"GET", "/api/v1/public/certificates/" + c.Number, ""},
		{"POST", "/api/v1/public/credentials/verify", `{}`},
		{"GET", "/api/v1/public/certificates/" + c.Number + "?name=x", ""},
	} {
		res, _ := do(t, app, req[0], req[1], req[2])
		if res.StatusCode != http.StatusOK || res.Header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Fatalf("request %d: %d, remaining %q", i, res.StatusCode, res.Header.Get("X-RateLimit-Remaining"))
		}
	}
	res, body := do(t, app, "GET", "/api/v1/public/certificates/"+c.Number, "")
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, `"code":"rate_limited"`) || res.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %s", res.StatusCode, body)
	}
	// The status list is for verifiers and is not limited.
	res, _ = do(t, app, "GET", "/api/v1/public/status-lists/"+org.Tenant.ID.String(), "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status list over the limit: %d", res.StatusCode)
	}
	// SKILLCERT_PUBLIC_RATE=0 turns the limit off (the test kit's server runs so).
	off := publicApp(t, e.svc, 0)
	for i := 0; i < 10; i++ {
		if res, _ := do(t, off, "GET", "/api/v1/public/certificates/"+c.Number, ""); res.StatusCode != http.StatusOK {
			t.Fatalf("unlimited request %d: %d", i, res.StatusCode)
		}
	}
}

// queryCounter is a pgx tracer counting the statements sent, whatever sends them (bun through
// database/sql, or pgx directly): BEGIN and COMMIT of a transaction would count too.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	return ctx
}
func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func TestPublicLookupIsOneQuery(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise)
	c := issued(t, e, org, 1, 4)[0]
	cfg, err := pgx.ParseConfig(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	var counter queryCounter
	cfg.Tracer = &counter
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol // as platform.OpenPostgres
	sqldb := stdlib.OpenDB(*cfg)
	db := bun.NewDB(sqldb, pgdialect.New())
	defer db.Close()
	svc, _ := e.service(t, quiet, func(cfg *certificates.Config) { cfg.DB = db })
	for _, name := range []string{"", c.HolderName, "someone", ""} {
		counter.n.Store(0)
		l, err := svc.LookupNumber(context.Background(), c.Number, name)
		if err != nil || l.Number != c.Number || !l.Valid || l.HolderMasked != candidates.MaskName(c.HolderName) {
			t.Fatalf("lookup %+v %v", l, err)
		}
		if n := counter.n.Load(); n != 1 {
			t.Fatalf("lookup (name %q) sent %d statements, want 1", name, n)
		}
	}
	counter.n.Store(0)
	if _, err := svc.LookupNumber(context.Background(), c.Number[:16]+"999999", ""); platform.KindOf(err) != platform.KindNotFound || counter.n.Load() != 1 {
		t.Fatalf("an unknown number: %v, %d statements", err, counter.n.Load())
	}
	counter.n.Store(0)
	if _, err := svc.LookupNumber(context.Background(), "garbage", ""); platform.KindOf(err) != platform.KindNotFound || counter.n.Load() != 0 {
		t.Fatalf("a malformed number must be not found without a query: %v, %d statements", err, counter.n.Load())
	}
}

// TestLayering keeps model.go and service.go free of HTTP, queue and authorization libraries, so a
// console can call the service without them.
func TestLayering(t *testing.T) {
	for _, name := range []string{"model.go", "service.go", "number.go", "keys.go", "store.go", "view.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, banned := range []string{"gofiber", "asynq", "casbin", "fasthttp"} {
				if strings.Contains(p, banned) {
					t.Errorf("%s imports %s", name, p)
				}
			}
		}
	}
}

// TestDevModeOnSQLite runs the pipeline on the embedded dev mode's SQLite: the same code, no RLS.
func TestDevModeOnSQLite(t *testing.T) {
	ctx := context.Background()
	db := dbtest.SQLite(t)
	inst := tenants.Tenant{ID: uuid.New(), Slug: "dev-ent", Name: "开发示范企业", Kind: tenants.KindEnterprise, RegionCode: "330106", Status: tenants.StatusActive}
	if _, err := db.NewRaw(`INSERT INTO tenants (id, slug, name, kind, region_code, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		inst.ID, inst.Slug, inst.Name, inst.Kind, inst.RegionCode, inst.Status, time.Now(), time.Now()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	svc := certificates.NewService(certificates.Config{
		DB: db, Jobs: rec, Institutions: directory.NewService(db, nil), Renderer: sharedRenderer,
		PublicURL: "http://127.0.0.1:8080", Log: quietLog, MasterKey: loadMasterKey,
		Filings: certificates.FilingsFunc(func(context.Context, bun.IDB, string, int, time.Time) (certificates.ApprovedScope, error) {
			return certificates.ApprovedScope{EvaluatorCode: "0000", ProvinceCode: "33", SiteSerial: "000777"}, nil
		}),
	})
	ictx := tenants.WithActor(tenants.WithScope(ctx, tenants.Scope{TenantID: inst.ID, Kind: inst.Kind, RegionCode: inst.RegionCode, Slug: inst.Slug}),
		tenants.Actor{Name: "system:test"})
	b := certificates.FinalizedBatch{BatchID: uuid.New(), OccupationCode: electrician, OccupationName: "电工", Level: 2}
	for i := 0; i < 3; i++ {
		b.Passed = append(b.Passed, certificates.PassedApplication{ApplicationID: uuid.New(), CandidateID: uuid.New(),
			HolderName: holderName(i), IDType: "resident_id", IDNumber: strconv.Itoa(i)})
	}
	if err := tenants.WithTx(ictx, db, func(ctx context.Context, tx bun.Tx) error { return svc.OnFinalized(ctx, tx, b) }); err != nil {
		t.Fatal(err)
	}
	run(t, svc, rec.take())
	page, err := svc.List(ictx, platform.PageRequest{}, certificates.ListFilter{BatchID: &b.BatchID})
	if err != nil {
		t.Fatal(err)
	}
	list := page.Items
	if got := serialsOf(t, list); len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Fatalf("serials %v", got)
	}
	if !strings.HasPrefix(list[0].Number, "Y000033000777") {
		t.Fatalf("number %s", list[0].Number)
	}
	l, err := svc.LookupNumber(ctx, list[0].Number, list[0].HolderName)
	if err != nil || !l.Valid || l.NameMatches == nil || !*l.NameMatches || l.IssuedOn.IsZero() {
		t.Fatalf("lookup %+v %v", l, err)
	}
	cred, _, err := svc.Credential(ictx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if res := svc.VerifyCredential(ctx, cred); !res.Valid {
		t.Fatalf("verify %+v", res)
	}
	if _, err := svc.Revoke(ictx, list[0].ID, "测试"); err != nil {
		t.Fatal(err)
	}
	if res := svc.VerifyCredential(ctx, cred); res.Status != "revoked" {
		t.Fatalf("verify after revocation %+v", res)
	}
	fresh, err := svc.Reissue(ictx, list[1].ID, certificates.Correction{HolderName: "阿卜杜·热合曼"})
	if err != nil || fresh.Number == "" || fresh.Status != certificates.StatusIssued {
		t.Fatalf("reissue %+v %v", fresh, err)
	}
	// The public sees names masked by the one rule of candidates.MaskName: separators stay.
	if l, err := svc.LookupNumber(ctx, fresh.Number, ""); err != nil || l.HolderMasked != "阿**·**曼" {
		t.Fatalf("lookup of the reissue %+v %v", l, err)
	}
	// A counter that cannot take another serial refuses, on SQLite too.
	if _, err := db.NewRaw(`UPDATE certificate_serials SET last = ? WHERE tenant_id = ?`, certificates.MaxSerial, inst.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Reissue(ictx, list[2].ID, certificates.Correction{HolderName: "钱七"}); !errors.Is(err, certificates.ErrSerialExceeded) {
		t.Fatalf("reissue with the serials used up: %v", err)
	}
	if _, err := svc.RotateKey(ictx); err != nil {
		t.Fatal(err)
	}
	if set, err := svc.JWKS(ctx); err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS %+v %v", set, err)
	}
}
