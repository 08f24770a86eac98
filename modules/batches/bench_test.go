package batches_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// seedApplications inserts n eligible applications into a batch in one statement, with a realistic
// stored eligibility decision, created a millisecond apart.
func seedApplications(tb testing.TB, k *testkit.Kit, tenantID, batchID uuid.UUID, n int) {
	tb.Helper()
	rs, err := eligibility.Defaults()
	if err != nil {
		tb.Fatal(err)
	}
	set, _ := rs.Get(eligibility.RuleSet2018)
	d, err := set.Evaluate(catalog.Level4, eligibility.Applicant{YearsInOccupation: 6, CurrentLevel: catalog.Level5,
		LevelObtained: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)}, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	decision, _ := json.Marshal(d)
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Microsecond)
	_, err = k.DB.ExecContext(context.Background(), `
INSERT INTO applications (id, tenant_id, batch_id, candidate_id, candidate_name, id_type, id_number, status, route,
  evidence_file_ids, eligibility_passed, eligibility_rule, eligibility, theory_exempt, fee_fen, scores, result, held,
  created_at, updated_at)
SELECT gen_random_uuid(), ?, ?, gen_random_uuid(), '考生' || g, 'resident_id', '110105199001' || lpad(g::text, 6, '0'),
  'eligible', 'normal', '[]', true, 'l4.after_l5', ?::jsonb, false, 30000, '{"theory": 78, "practical": 85}', 'pass', false,
  ?::timestamptz + g * interval '1 millisecond', ?::timestamptz + g * interval '1 millisecond'
FROM generate_series(1, ?) AS g`, tenantID, batchID, string(decision), start, start, n)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := k.DB.ExecContext(context.Background(), "ANALYZE applications"); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkApplicationsPage measures a keyset page of 50 applications of a batch holding 10,000: through
// the API (authentication, tenant transaction, JSON) and as the bare keyset SQL, on page one and on a
// deep page (the 9,950th row on), and page one of a small tenant's batch of 100 for comparison.
func BenchmarkApplicationsPage(b *testing.B) {
	k := testkit.New(b)
	type fixture struct {
		org   *testkit.Org
		batch uuid.UUID
	}
	mk := func(n int) fixture {
		org := k.Tenant(b, tenants.KindEnterprise, "110105", "staff")
		var f struct{ ID uuid.UUID }
		k.Do(b, "POST", "/api/v1/filings", org.Admin, map[string]any{
			"scope": []map[string]any{{"occupation_code": electrician, "levels": []int{4}}}}).Want(b, http.StatusCreated).Decode(b, &f)
		reg := k.Tenant(b, tenants.KindRegulator, "110105")
		k.Do(b, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{
			"decision": "approve", "evaluator_code": "0000", "site_serial": "000123",
			"valid_from": time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)}).Want(b, http.StatusOK)
		var bj batchJSON
		k.Do(b, "POST", "/api/v1/batches", org.Tokens["staff"], batchBody(nil)).Want(b, http.StatusCreated).Decode(b, &bj)
		seedApplications(b, k, org.Tenant.ID, bj.ID, n)
		return fixture{org, bj.ID}
	}
	large, small := mk(10_000), mk(100)

	cursorAt := func(f fixture, offset int) string {
		var at time.Time
		var id uuid.UUID
		if err := k.DB.QueryRowContext(context.Background(),
			"SELECT created_at, id FROM applications WHERE tenant_id = ? AND batch_id = ? ORDER BY created_at, id OFFSET ? LIMIT 1",
			f.org.Tenant.ID, f.batch, offset).Scan(&at, &id); err != nil {
			b.Fatal(err)
		}
		return httpx.EncodeCursor(at.UTC(), id)
	}
	deep := cursorAt(large, 9_949)

	api := func(f fixture, cursor string) func(b *testing.B) {
		return func(b *testing.B) {
			path := "/api/v1/batches/" + f.batch.String() + "/applications?limit=50&cursor=" + cursor
			tok := f.org.Tokens["staff"]
			b.ReportAllocs()
			for b.Loop() {
				res := k.Do(b, "GET", path, tok, nil)
				if res.Status != http.StatusOK {
					b.Fatalf("status %d: %s", res.Status, res.Body)
				}
			}
		}
	}
	bare := func(f fixture, cursor string) func(b *testing.B) {
		return func(b *testing.B) {
			var after struct {
				at time.Time
				id uuid.UUID
			}
			q := `SELECT id, tenant_id, batch_id, candidate_id, candidate_user_id, candidate_name, id_type, id_number, status,
  route, evidence_file_ids, eligibility_passed, eligibility_rule, theory_exempt, fee_fen, paid_at, paid_by, review_decision,
  review_reason, reviewed_by, reviewed_at, scores, result, held, created_at, updated_at
FROM applications WHERE tenant_id = $1 AND batch_id = $2 AND (created_at, id) > ($3, $4) ORDER BY created_at, id LIMIT 51`
			if cursor != "" {
				if _, err := httpx.DecodeCursor(cursor, &after.at, &after.id); err != nil {
					b.Fatal(err)
				}
			}
			sqldb := k.DB.DB
			b.ReportAllocs()
			for b.Loop() {
				rows, err := sqldb.QueryContext(context.Background(), q, f.org.Tenant.ID, f.batch, after.at, after.id)
				if err != nil {
					b.Fatal(err)
				}
				cols, _ := rows.Columns()
				vals := make([]sql.RawBytes, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				n := 0
				for rows.Next() {
					if err := rows.Scan(ptrs...); err != nil {
						b.Fatal(err)
					}
					n++
				}
				if err := rows.Close(); err != nil || n == 0 {
					b.Fatalf("%d rows, %v", n, err)
				}
			}
		}
	}
	b.Run("api/first", api(large, ""))
	b.Run("api/deep", api(large, deep))
	b.Run("api/small-tenant", api(small, ""))
	b.Run("sql/first", bare(large, ""))
	b.Run("sql/deep", bare(large, deep))
}
