package batches_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestBatchLifecycle walks a batch from draft to finalized through the API as API.md states, with the
// rules each step enforces along the way.
func TestBatchLifecycle(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 4)
	staff := org.Tokens["staff"]

	b := createBatch(t, k, staff, func(m map[string]any) { m["publicity_days"] = 0 })
	if b.Status != "draft" || b.OccupationName != "电工" || b.Level != 4 || b.FeeFen != 30000 || b.RuleSet != "std-2018" ||
		b.PassMarks["theory"] != 60 || b.MinEvaluators != 1 {
		t.Fatalf("created %+v", b)
	}
	path := "/api/v1/batches/" + b.ID.String()
	var got batchJSON
	// The supervisor reads every batch (an evaluator only those assigned to them: access_test.go).
	k.Do(t, "GET", path, org.Tokens["supervisor"], nil).Want(t, http.StatusOK).Decode(t, &got)
	if got.ID != b.ID {
		t.Fatalf("get %+v", got)
	}

	// From draft only publish and cancel lead anywhere.
	for _, action := range []string{"close", "results/publish", "finalize"} {
		k.Do(t, "POST", path+"/"+action, staff, nil).WantProblem(t, http.StatusConflict, "invalid_state")
	}
	// Not public while a draft.
	var pub struct{ Items []struct{ ID uuid.UUID } }
	k.Do(t, "GET", "/api/v1/public/institutions/"+org.Tenant.Slug+"/batches", "", nil).Want(t, http.StatusOK).Decode(t, &pub)
	if len(pub.Items) != 0 {
		t.Fatalf("draft is public: %+v", pub)
	}

	b = step(t, k, staff, b.ID, "publish")
	if b.Status != "open" || b.PublishedAt == nil {
		t.Fatalf("published %+v", b)
	}
	k.Do(t, "POST", path+"/publish", staff, nil).WantProblem(t, http.StatusConflict, "invalid_state")
	var ann struct {
		Items []struct {
			ID     uuid.UUID `json:"id"`
			FeeFen int64     `json:"fee_fen"`
			Venue  string    `json:"venue"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/public/institutions/"+org.Tenant.Slug+"/batches", "", nil).Want(t, http.StatusOK).Decode(t, &ann)
	if len(ann.Items) != 1 || ann.Items[0].ID != b.ID || ann.Items[0].FeeFen != 30000 || ann.Items[0].Venue == "" {
		t.Fatalf("announcements %+v", ann)
	}

	// Applications: one per rule outcome.
	seniorID := residentID(t)
	senior := candidate(t, k, org, "王小明", map[string]any{"occupation_years": 6, "current_level": 5,
		"current_level_obtained_on": "2020-06-01", "id_number": seniorID})
	novice := candidate(t, k, org, "李四", nil)
	graduate := candidate(t, k, org, "欧阳娜娜", map[string]any{"education": "technical_school", "related_diploma": true,
		"occupation_years": 1})
	champion := candidate(t, k, org, "张三丰", map[string]any{"awards": []string{"national_competition"}})

	aSenior := apply(t, k, staff, b.ID, map[string]any{"candidate_id": senior})
	aNovice := apply(t, k, staff, b.ID, map[string]any{"candidate_id": novice})
	aGrad := apply(t, k, staff, b.ID, map[string]any{"candidate_id": graduate})
	aChamp := apply(t, k, staff, b.ID, map[string]any{"candidate_id": champion, "route": "direct_recognition",
		"evidence_file_ids": []string{"file-award-certificate"}})
	for _, c := range []struct {
		name                string
		a                   applicationJSON
		status, rule        string
		passed, theoryExemp bool
	}{
		{"level 5 held four years", aSenior, "eligible", "l4.after_l5", true, false},
		{"nothing to show", aNovice, "ineligible", "std-2018", false, false},
		{"related technical school diploma", aGrad, "eligible", "l4.school", true, true},
		{"competition winner", aChamp, "pending_review", "l4.direct", true, false},
	} {
		if c.a.Status != c.status || c.a.Eligibility.Rule != c.rule || c.a.Eligibility.Passed != c.passed ||
			c.a.Eligibility.TheoryExempt != c.theoryExemp || len(c.a.Eligibility.Reasons) == 0 ||
			len(c.a.Eligibility.ReasonsEN) != len(c.a.Eligibility.Reasons) || len(c.a.Eligibility.Clauses) == 0 ||
			c.a.FeeFen != 30000 {
			t.Errorf("%s: %+v", c.name, c.a)
		}
	}
	for _, cl := range aNovice.Eligibility.Clauses {
		if cl.ReasonZH == "" || cl.ReasonEN == "" || cl.ID == "" {
			t.Fatalf("clause without its reasons: %+v", cl)
		}
	}
	k.Do(t, "POST", path+"/applications", staff, map[string]any{"candidate_id": senior}).
		WantProblem(t, http.StatusConflict, "duplicate")
	k.Do(t, "POST", path+"/applications", staff, map[string]any{"candidate_id": uuid.New()}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")

	// The stored decision is the whole of it.
	var full applicationJSON
	k.Do(t, "GET", "/api/v1/applications/"+aNovice.ID.String(), org.Tokens["supervisor"], nil).Want(t, http.StatusOK).Decode(t, &full)
	if len(full.Eligibility.Clauses) != len(aNovice.Eligibility.Clauses) || full.Eligibility.RuleSet != "std-2018" {
		t.Fatalf("stored decision %+v", full.Eligibility)
	}

	// Keyset pages of two.
	var seen []uuid.UUID
	cursor := ""
	for pages := 0; ; pages++ {
		var page struct {
			Items      []applicationJSON `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		k.Do(t, "GET", path+"/applications?limit=2&cursor="+cursor, staff, nil).Want(t, http.StatusOK).Decode(t, &page)
		for _, a := range page.Items {
			seen = append(seen, a.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
		if pages > 3 {
			t.Fatal("pages never end")
		}
	}
	if want := []uuid.UUID{aSenior.ID, aNovice.ID, aGrad.ID, aChamp.ID}; !slices.Equal(seen, want) {
		t.Fatalf("paged %v, want %v", seen, want)
	}
	k.Do(t, "GET", path+"/applications?sort=name", staff, nil).WantProblem(t, http.StatusBadRequest, "invalid_sort")

	// Qualification review of the pending one; only pending ones are reviewed.
	var reviewed applicationJSON
	k.Do(t, "POST", "/api/v1/applications/"+aChamp.ID.String()+"/review", staff, map[string]any{"decision": "approve", "reason": "证书核验无误"}).
		Want(t, http.StatusOK).Decode(t, &reviewed)
	if reviewed.Status != "approved" {
		t.Fatalf("reviewed %+v", reviewed)
	}
	k.Do(t, "POST", "/api/v1/applications/"+aChamp.ID.String()+"/review", staff, map[string]any{"decision": "reject", "reason": "x"}).
		WantProblem(t, http.StatusConflict, "invalid_state")
	k.Do(t, "POST", "/api/v1/applications/"+aSenior.ID.String()+"/review", staff, map[string]any{"decision": "approve"}).
		WantProblem(t, http.StatusConflict, "invalid_state")

	// Fees: staff mark them paid, once.
	var paid applicationJSON
	k.Do(t, "POST", "/api/v1/applications/"+aSenior.ID.String()+"/paid", staff, nil).Want(t, http.StatusOK).Decode(t, &paid)
	if !paid.Paid {
		t.Fatalf("paid %+v", paid)
	}
	k.Do(t, "POST", "/api/v1/applications/"+aSenior.ID.String()+"/paid", staff, nil).WantProblem(t, http.StatusConflict, "already_paid")
	k.Do(t, "POST", "/api/v1/applications/"+aSenior.ID.String()+"/paid", org.Tokens["evaluator"], nil).Want(t, http.StatusForbidden)

	// Scores are not taken while applications are open.
	k.Do(t, "PUT", "/api/v1/applications/"+aSenior.ID.String()+"/scores", org.Tokens["evaluator"], map[string]any{"theory": 80}).
		WantProblem(t, http.StatusConflict, "invalid_state")

	// Closing needs evaluators and a supervisor.
	k.Do(t, "POST", path+"/evaluators", staff, map[string]any{"user_ids": ids(org.Users["staff"].ID)}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	k.Do(t, "POST", path+"/close", staff, nil).WantProblem(t, http.StatusUnprocessableEntity, "supervisor_required")
	k.Do(t, "POST", path+"/supervisors", staff, map[string]any{"user_ids": ids(org.Users["supervisor"].ID)}).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/close", staff, nil).WantProblem(t, http.StatusUnprocessableEntity, "evaluators_required")
	k.Do(t, "POST", path+"/evaluators", staff, map[string]any{"user_ids": ids(org.Users["evaluator"].ID)}).Want(t, http.StatusOK)
	b = step(t, k, staff, b.ID, "close")
	if b.Status != "closed" {
		t.Fatalf("closed %+v", b)
	}
	k.Do(t, "POST", path+"/applications", staff, map[string]any{"candidate_id": candidate(t, k, org, "迟到者", nil)}).
		WantProblem(t, http.StatusConflict, "invalid_state")

	// Scores.
	ev := org.Tokens["evaluator"]
	score := func(a applicationJSON, body map[string]any) applicationJSON {
		t.Helper()
		var out applicationJSON
		k.Do(t, "PUT", "/api/v1/applications/"+a.ID.String()+"/scores", ev, body).Want(t, http.StatusOK).Decode(t, &out)
		return out
	}
	if s := score(aSenior, map[string]any{"theory": 78}); s.result() != "" {
		t.Fatalf("half-scored result %+v", s)
	}
	if s := score(aSenior, map[string]any{"practical": 85}); s.result() != "pass" || s.Scores["theory"] != 78 {
		t.Fatalf("scored %+v", s)
	}
	if s := score(aGrad, map[string]any{"practical": 90}); s.result() != "pass" {
		t.Fatalf("theory-exempt candidate not passed on practical alone: %+v", s)
	}
	k.Do(t, "PUT", "/api/v1/applications/"+aGrad.ID.String()+"/scores", ev, map[string]any{"theory": 70}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	if s := score(aChamp, map[string]any{"theory": 59.5, "practical": 90}); s.result() != "fail" {
		t.Fatalf("below the pass mark %+v", s)
	}
	for _, bad := range []map[string]any{{"theory": 101}, {"theory": -1}, {"thesis_defense": 80}, {}} {
		k.Do(t, "PUT", "/api/v1/applications/"+aChamp.ID.String()+"/scores", ev, bad).
			WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	}
	k.Do(t, "PUT", "/api/v1/applications/"+aNovice.ID.String()+"/scores", ev, map[string]any{"theory": 90}).
		WantProblem(t, http.StatusConflict, "invalid_state")
	k.Do(t, "PUT", "/api/v1/applications/"+aSenior.ID.String()+"/scores", staff, map[string]any{"theory": 90}).
		Want(t, http.StatusForbidden)
	other := k.User(t, org, "evaluator-"+testkit.Slug("x"), "evaluator")
	k.Do(t, "PUT", "/api/v1/applications/"+aSenior.ID.String()+"/scores", k.Login(t, org.Tenant.Slug, other.Username),
		map[string]any{"theory": 90}).WantProblem(t, http.StatusForbidden, "not_assigned")

	// A score change is audited with the previous value.
	score(aChamp, map[string]any{"theory": 61})
	var trail struct {
		Items []struct {
			Action   string         `json:"action"`
			TargetID string         `json:"target_id"`
			Before   map[string]any `json:"before"`
			After    map[string]any `json:"after"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/audit?limit=500", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &trail)
	var changes [][2]any
	for _, e := range trail.Items {
		if e.Action == "application.scores" && e.TargetID == aChamp.ID.String() {
			changes = append(changes, [2]any{e.Before["scores"], e.After["scores"]})
		}
	}
	if len(changes) != 2 {
		t.Fatalf("score changes audited: %v", changes)
	}
	if before := changes[1][0].(map[string]any); before["theory"] != 59.5 {
		t.Fatalf("the previous theory score is not in the audit: %v", changes[1])
	}

	// Results: publicity of 0 days ends at once; scores lock.
	b = step(t, k, staff, b.ID, "results/publish")
	if b.Status != "publicity" || b.PublicityEndsAt == nil || !b.PublicityEndsAt.Equal(*b.ResultsPublishedAt) || b.ResultsLate {
		t.Fatalf("results published %+v", b)
	}
	k.Do(t, "PUT", "/api/v1/applications/"+aSenior.ID.String()+"/scores", ev, map[string]any{"theory": 99}).
		WantProblem(t, http.StatusConflict, "scores_locked")
	k.Do(t, "POST", path+"/close", staff, nil).WantProblem(t, http.StatusConflict, "invalid_state")

	var results struct {
		Items []struct {
			ApplicationID uuid.UUID `json:"application_id"`
			Name          string    `json:"name"`
			IDNumber      string    `json:"id_number"`
			Result        string    `json:"result"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/public/batches/"+b.ID.String()+"/results", "", nil).Want(t, http.StatusOK).Decode(t, &results)
	if len(results.Items) != 3 || results.Items[0].ApplicationID != aSenior.ID || results.Items[0].Name != "王*明" ||
		results.Items[1].Name != "欧**娜" || results.Items[0].IDNumber != "110***********"+seniorID[14:] {
		t.Fatalf("public results %+v", results)
	}

	b = step(t, k, staff, b.ID, "finalize")
	if b.Status != "finalized" || b.FinalizedAt == nil {
		t.Fatalf("finalized %+v", b)
	}
	for _, action := range []string{"publish", "close", "results/publish", "finalize", "cancel"} {
		k.Do(t, "POST", path+"/"+action, staff, nil).WantProblem(t, http.StatusConflict, "invalid_state")
	}
	var passes struct {
		Items []struct {
			ApplicationID uuid.UUID `json:"application_id"`
			HolderName    string    `json:"holder_name"`
			IDNumber      string    `json:"id_number"`
		} `json:"items"`
	}
	k.Do(t, "GET", path+"/passes", staff, nil).Want(t, http.StatusOK).Decode(t, &passes)
	if len(passes.Items) != 3 || !slices.ContainsFunc(passes.Items, func(p struct {
		ApplicationID uuid.UUID `json:"application_id"`
		HolderName    string    `json:"holder_name"`
		IDNumber      string    `json:"id_number"`
	}) bool {
		return p.ApplicationID == aSenior.ID && p.HolderName == "王小明" && p.IDNumber == seniorID
	}) {
		t.Fatalf("passes %+v", passes)
	}
	if got := reportKinds(t, k, b.ID); !slices.Equal(got, []string{"batch.published", "results.published", "batch.finalized"}) {
		t.Fatalf("reports %v", got)
	}
	// Public results end with publicity.
	k.Do(t, "GET", "/api/v1/public/batches/"+b.ID.String()+"/results", "", nil).WantProblem(t, http.StatusNotFound, "not_found")

	// Another tenant sees nothing of it.
	stranger := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	k.Do(t, "GET", path, stranger.Tokens["staff"], nil).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "GET", path+"/applications", stranger.Tokens["staff"], nil).WantProblem(t, http.StatusNotFound, "not_found")
}
