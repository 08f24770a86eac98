package batches_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestEvaluatorsReadOnlyWhatTheyScore: an evaluator reads the batches they are assigned to, those
// batches' applications and their candidates — with ID numbers masked — and nothing else (404, as for
// another tenant's); an unassigned evaluator reads none of it; staff and supervisors read everything
// with full ID numbers.
func TestEvaluatorsReadOnlyWhatTheyScore(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 4)
	staff := org.Tokens["staff"]
	stranger := k.User(t, org, "evaluator-"+testkit.Slug("x"), "evaluator")
	tokens := map[string]string{"assigned": org.Tokens["evaluator"], "unassigned": k.Login(t, org.Tenant.Slug, stranger.Username),
		"staff": staff, "supervisor": org.Tokens["supervisor"]}

	mine := createBatch(t, k, staff, nil)
	other := createBatch(t, k, staff, nil)
	step(t, k, staff, mine.ID, "publish")
	step(t, k, staff, other.ID, "publish")
	k.Do(t, "POST", "/api/v1/batches/"+mine.ID.String()+"/evaluators", staff,
		map[string]any{"user_ids": ids(org.Users["evaluator"].ID)}).Want(t, http.StatusOK)
	numA, numB := residentID(t), residentID(t)
	candA := candidate(t, k, org, "张三", map[string]any{"id_number": numA})
	candB := candidate(t, k, org, "李四", map[string]any{"id_number": numB})
	appA := apply(t, k, staff, mine.ID, map[string]any{"candidate_id": candA})
	appB := apply(t, k, staff, other.ID, map[string]any{"candidate_id": candB})

	const ok, gone = http.StatusOK, http.StatusNotFound
	tests := []struct {
		path string
		want map[string]int // by reader; every reader is asked
		// number is the full ID number the body carries for broad readers, masked for evaluators.
		number string
	}{
		{"/batches/" + mine.ID.String(), map[string]int{"assigned": ok, "unassigned": gone, "staff": ok, "supervisor": ok}, ""},
		{"/batches/" + other.ID.String(), map[string]int{"assigned": gone, "unassigned": gone, "staff": ok, "supervisor": ok}, ""},
		{"/batches/" + mine.ID.String() + "/assignments", map[string]int{"assigned": ok, "unassigned": gone, "staff": ok, "supervisor": ok}, ""},
		{"/batches/" + other.ID.String() + "/passes", map[string]int{"assigned": gone, "unassigned": gone, "staff": ok, "supervisor": ok}, ""},
		{"/batches/" + mine.ID.String() + "/applications", map[string]int{"assigned": ok, "unassigned": gone, "staff": ok, "supervisor": ok}, numA},
		{"/batches/" + other.ID.String() + "/applications", map[string]int{"assigned": gone, "unassigned": gone, "staff": ok, "supervisor": ok}, numB},
		{"/applications/" + appA.ID.String(), map[string]int{"assigned": ok, "unassigned": gone, "staff": ok, "supervisor": ok}, numA},
		{"/applications/" + appB.ID.String(), map[string]int{"assigned": gone, "unassigned": gone, "staff": ok, "supervisor": ok}, numB},
		{"/candidates/" + candA.String(), map[string]int{"assigned": ok, "unassigned": gone, "staff": ok, "supervisor": ok}, numA},
		{"/candidates/" + candB.String(), map[string]int{"assigned": gone, "unassigned": gone, "staff": ok, "supervisor": ok}, numB},
	}
	for _, tt := range tests {
		for reader, want := range tt.want {
			t.Run(reader+" "+tt.path, func(t *testing.T) {
				res := k.Do(t, "GET", "/api/v1"+tt.path, tokens[reader], nil)
				if want == gone {
					res.WantProblem(t, gone, "not_found")
					return
				}
				res.Want(t, want)
				if tt.number == "" {
					return
				}
				body := string(res.Body)
				masked := candidates.MaskIDNumber(tt.number)
				evaluator := reader == "assigned" || reader == "unassigned"
				if evaluator && (strings.Contains(body, tt.number) || !strings.Contains(body, masked)) {
					t.Fatalf("an evaluator reads the full ID number or no masked one: %s", body)
				}
				if !evaluator && !strings.Contains(body, tt.number) {
					t.Fatalf("%s lacks the full ID number: %s", reader, body)
				}
			})
		}
	}

	// The batch list keeps only the evaluator's batches.
	listed := func(token string) map[uuid.UUID]bool {
		var page struct{ Items []batchJSON }
		k.Do(t, "GET", "/api/v1/batches?limit=500", token, nil).Want(t, ok).Decode(t, &page)
		out := map[uuid.UUID]bool{}
		for _, b := range page.Items {
			out[b.ID] = true
		}
		return out
	}
	if got := listed(tokens["assigned"]); len(got) != 1 || !got[mine.ID] {
		t.Fatalf("the assigned evaluator lists %v", got)
	}
	if got := listed(tokens["unassigned"]); len(got) != 0 {
		t.Fatalf("the unassigned evaluator lists %v", got)
	}
	if got := listed(staff); !got[mine.ID] || !got[other.ID] {
		t.Fatalf("staff list %v", got)
	}

	// The candidate list is not an evaluator's route (403); the service narrows it too, for the console.
	k.Do(t, "GET", "/api/v1/candidates", tokens["assigned"], nil).Want(t, http.StatusForbidden)
	ctx := tenants.WithActor(org.Ctx(context.Background()), tenants.Actor{UserID: org.Users["evaluator"].ID,
		Name: org.Users["evaluator"].Username, Roles: []string{"evaluator"}})
	page, err := k.Server.Lifecycle.Candidates.List(ctx, platform.PageRequest{Limit: 500}, candidates.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != candA || page.Items[0].IDNumber != candidates.MaskIDNumber(numA) {
		b, _ := json.Marshal(page.Items)
		t.Fatalf("the evaluator's candidate list: %s", b)
	}
}
