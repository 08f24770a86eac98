package batches_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// scoringBatch is a closed batch with two admitted candidates, staffed.
func scoringBatch(t *testing.T, k *testkit.Kit) (*testkit.Org, batchJSON, []uuid.UUID) {
	t.Helper()
	org := institution(t, k, tenants.KindEnterprise, 4)
	b := createBatch(t, k, org.Admin, nil)
	step(t, k, org.Admin, b.ID, "publish")
	var apps []uuid.UUID
	for _, name := range []string{"赵一", "钱二"} {
		c := candidate(t, k, org, name, map[string]any{"occupation_years": 6, "current_level": 5, "current_level_obtained_on": "2020-06-01"})
		apps = append(apps, apply(t, k, org.Admin, b.ID, map[string]any{"candidate_id": c}).ID)
	}
	staffBatch(t, k, org, b.ID)
	step(t, k, org.Admin, b.ID, "close")
	return org, b, apps
}

// scoringWantFields fails unless the problem names exactly these fields, in this order.
func scoringWantFields(t *testing.T, r *testkit.Response, fields ...string) {
	t.Helper()
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	r.Decode(t, &p)
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Field)
	}
	if strings.Join(got, " ") != strings.Join(fields, " ") {
		t.Fatalf("fields %v, want %v; body: %s", got, fields, r.Body)
	}
}

// TestBatchScores: the evaluator's batches and score sheet, and many rows saved in one transaction —
// all or none, every row's errors named by row, under the rules of a single application's scores.
func TestBatchScores(t *testing.T) {
	k := testkit.New(t)
	org, b, apps := scoringBatch(t, k)
	ev := org.Tokens["evaluator"]
	path := "/api/v1/batches/" + b.ID.String()

	var mine struct {
		Items []struct {
			Batch   struct{ ID uuid.UUID } `json:"batch"`
			Methods []string               `json:"methods"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/me/evaluations", ev, nil).Want(t, http.StatusOK).Decode(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].Batch.ID != b.ID || len(mine.Items[0].Methods) != 2 {
		t.Fatalf("my evaluations: %+v", mine)
	}
	var sheet struct {
		Open bool `json:"open"`
		Rows []struct {
			Application struct {
				ID       uuid.UUID `json:"id"`
				IDNumber string    `json:"id_number"`
			} `json:"application"`
			Recused bool `json:"recused"`
		} `json:"rows"`
	}
	k.Do(t, "GET", path+"/score-sheet", ev, nil).Want(t, http.StatusOK).Decode(t, &sheet)
	if !sheet.Open || len(sheet.Rows) != 2 || sheet.Rows[0].Application.ID != apps[0] || sheet.Rows[0].Application.IDNumber[3] != '*' {
		t.Fatalf("score sheet: %+v", sheet)
	}
	k.Do(t, "GET", path+"/score-sheet", org.Tokens["supervisor"], nil).Want(t, http.StatusForbidden)

	bad := k.Do(t, "PUT", path+"/scores", ev, map[string]any{"items": []map[string]any{
		{"application_id": apps[0], "scores": map[string]any{"theory": 150, "practical": 70}},
		{"application_id": apps[1], "scores": map[string]any{"practical": 80, "thesis_defense": 70}},
		{"application_id": apps[1], "scores": map[string]any{"theory": 80}},
		{"application_id": uuid.New(), "scores": map[string]any{"theory": 80}},
	}}).Want(t, http.StatusUnprocessableEntity)
	scoringWantFields(t, bad, "items[0].theory", "items[1].thesis_defense", "items[2].application_id", "items[3].application_id")
	for _, id := range apps {
		var a applicationJSON
		k.Do(t, "GET", "/api/v1/applications/"+id.String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &a)
		if len(a.Scores) != 0 {
			t.Fatalf("a refused request saved %v", a.Scores)
		}
	}
	var saved struct {
		Items []applicationJSON `json:"items"`
	}
	k.Do(t, "PUT", path+"/scores", ev, map[string]any{"items": []map[string]any{
		{"application_id": apps[0], "scores": map[string]any{"theory": 80, "practical": 70}},
		{"application_id": apps[1], "scores": map[string]any{"theory": 50}},
	}}).Want(t, http.StatusOK).Decode(t, &saved)
	if len(saved.Items) != 2 || saved.Items[0].result() != "pass" || saved.Items[1].result() != "fail" {
		t.Fatalf("saved: %+v", saved.Items)
	}
	// The same rules as one application's scores: not assigned, locked.
	k.Do(t, "PUT", path+"/scores", org.Tokens["staff"], map[string]any{"items": []map[string]any{
		{"application_id": apps[0], "scores": map[string]any{"theory": 90}}}}).Want(t, http.StatusForbidden)
	step(t, k, org.Admin, b.ID, "results/publish")
	k.Do(t, "PUT", path+"/scores", ev, map[string]any{"items": []map[string]any{
		{"application_id": apps[0], "scores": map[string]any{"theory": 90}}}}).WantProblem(t, http.StatusConflict, "scores_locked")
}

// TestSupervisionRecords: a supervisor's record of a batch's exam (逢考必督) — written by the assigned
// supervisor only, signed off once the exam has begun and only when present, closed once signed.
func TestSupervisionRecords(t *testing.T) {
	k := testkit.New(t)
	org, b, _ := scoringBatch(t, k)
	sv := org.Tokens["supervisor"]
	path := "/api/v1/batches/" + b.ID.String() + "/supervision"
	other := k.User(t, org, "sup-other", "supervisor")
	otherToken := k.Login(t, org.Tenant.Slug, other.Username)

	k.Do(t, "PUT", path, otherToken, map[string]any{"present": true}).WantProblem(t, http.StatusForbidden, "not_assigned")
	k.Do(t, "GET", path, otherToken, nil).Want(t, http.StatusNotFound)
	k.Do(t, "GET", path, org.Tokens["evaluator"], nil).Want(t, http.StatusForbidden)
	k.Do(t, "PUT", path, sv, map[string]any{"present": true, "findings": "考场准备就绪", "sign_off": true}).WantProblem(t, http.StatusUnprocessableEntity, "exam_not_started")
	k.Do(t, "PUT", path, sv, map[string]any{"findings": "考场准备就绪"}).Want(t, http.StatusOK)
	if _, err := k.DB.ExecContext(context.Background(), "UPDATE batches SET exam_start = ? WHERE id = ?", time.Now().Add(-time.Hour), b.ID); err != nil {
		t.Fatal(err)
	}
	scoringWantFields(t, k.Do(t, "PUT", path, sv, map[string]any{"findings": "x", "sign_off": true}).Want(t, http.StatusUnprocessableEntity), "present")
	var rec struct {
		Present   bool   `json:"present"`
		Findings  string `json:"findings"`
		SignedOff bool   `json:"signed_off"`
	}
	k.Do(t, "PUT", path, sv, map[string]any{"present": true, "findings": "无异常", "sign_off": true}).Want(t, http.StatusOK).Decode(t, &rec)
	if !rec.Present || !rec.SignedOff || rec.Findings != "无异常" {
		t.Fatalf("signed record: %+v", rec)
	}
	k.Do(t, "PUT", path, sv, map[string]any{"present": true, "findings": "改"}).WantProblem(t, http.StatusConflict, "signed_off")
	var all struct {
		Items []struct {
			SupervisorID uuid.UUID `json:"supervisor_id"`
			SignedOff    bool      `json:"signed_off"`
		} `json:"items"`
	}
	k.Do(t, "GET", path, org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &all)
	if len(all.Items) != 1 || all.Items[0].SupervisorID != org.Users["supervisor"].ID || !all.Items[0].SignedOff {
		t.Fatalf("records: %+v", all)
	}
	var mine struct {
		Items []struct {
			Record struct {
				SignedOff bool `json:"signed_off"`
			} `json:"record"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/me/supervision", sv, nil).Want(t, http.StatusOK).Decode(t, &mine)
	if len(mine.Items) != 1 || !mine.Items[0].Record.SignedOff {
		t.Fatalf("my supervision: %+v", mine)
	}
}
