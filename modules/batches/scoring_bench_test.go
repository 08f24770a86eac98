package batches_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// BenchmarkScoreGrid measures saving a score grid of 30 rows (theory and practical) the two ways an
// evaluator's scores reach the service: one PUT /api/v1/batches/{id}/scores of every row in one
// transaction (the console's no-script form and the batch API), and, as the reference, 30 PUT
// /api/v1/applications/{id}/scores, one per row (what a client without the batch route sends). ns/op
// are per grid of 30 rows, each row audited either way:
//
//	go test ./modules/batches -run '^$' -bench ScoreGrid -benchtime 50x
func BenchmarkScoreGrid(b *testing.B) {
	const rows = 30
	k := testkit.New(b)
	org := k.Tenant(b, tenants.KindEnterprise, "110105", "staff", "evaluator", "supervisor")
	var f struct{ ID uuid.UUID }
	k.Do(b, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": electrician, "levels": []int{4}}}}).Want(b, http.StatusCreated).Decode(b, &f)
	reg := k.Tenant(b, tenants.KindRegulator, "110105")
	k.Do(b, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": "000123",
		"valid_from": time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)}).Want(b, http.StatusOK)
	var bj batchJSON
	k.Do(b, "POST", "/api/v1/batches", org.Admin, batchBody(func(m map[string]any) {
		m["application_deadline"] = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	})).Want(b, http.StatusCreated).Decode(b, &bj)
	k.Do(b, "POST", "/api/v1/batches/"+bj.ID.String()+"/publish", org.Admin, nil).Want(b, http.StatusOK)
	seedApplications(b, k, org.Tenant.ID, bj.ID, rows)
	staffBatchB(b, k, org, bj.ID)
	k.Do(b, "POST", "/api/v1/batches/"+bj.ID.String()+"/close", org.Admin, nil).Want(b, http.StatusOK)
	var page struct {
		Items []struct{ ID uuid.UUID } `json:"items"`
	}
	k.Do(b, "GET", "/api/v1/batches/"+bj.ID.String()+"/applications?limit=100", org.Admin, nil).Want(b, http.StatusOK).Decode(b, &page)
	if len(page.Items) != rows {
		b.Fatalf("%d applications", len(page.Items))
	}
	ev := org.Tokens["evaluator"]
	score := func(i, n int) map[string]any {
		return map[string]any{"theory": 60 + (i+n)%40, "practical": 61 + (i+n)%39}
	}
	b.Run("grid", func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			items := make([]map[string]any, rows)
			for i, a := range page.Items {
				items[i] = map[string]any{"application_id": a.ID, "scores": score(i, n)}
			}
			k.Do(b, "PUT", "/api/v1/batches/"+bj.ID.String()+"/scores", ev, map[string]any{"items": items}).Want(b, http.StatusOK)
		}
	})
	b.Run("rows", func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			for i, a := range page.Items {
				k.Do(b, "PUT", "/api/v1/applications/"+a.ID.String()+"/scores", ev, score(i, n)).Want(b, http.StatusOK)
			}
		}
	})
}

// staffBatchB assigns the evaluator and supervisor (staffBatch for a benchmark).
func staffBatchB(b *testing.B, k *testkit.Kit, org *testkit.Org, id uuid.UUID) {
	b.Helper()
	k.Do(b, "POST", "/api/v1/batches/"+id.String()+"/evaluators", org.Admin,
		map[string]any{"user_ids": ids(org.Users["evaluator"].ID)}).Want(b, http.StatusOK)
	k.Do(b, "POST", "/api/v1/batches/"+id.String()+"/supervisors", org.Admin,
		map[string]any{"user_ids": ids(org.Users["supervisor"].ID)}).Want(b, http.StatusOK)
}
