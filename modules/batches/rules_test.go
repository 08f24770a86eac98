package batches_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if platform.CodeOf(err) != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
}

func TestOutOfScope(t *testing.T) {
	k := testkit.New(t)
	unfiled := institution(t, k, tenants.KindEnterprise)
	k.Do(t, "POST", "/api/v1/batches", unfiled.Tokens["staff"], batchBody(nil)).
		WantProblem(t, http.StatusUnprocessableEntity, "out_of_scope")

	org := institution(t, k, tenants.KindEnterprise, 4)
	k.Do(t, "POST", "/api/v1/batches", org.Tokens["staff"], batchBody(func(m map[string]any) {
		m["level"] = 3
	})).WantProblem(t, http.StatusUnprocessableEntity, "out_of_scope")
	// A filing never covers an exam after it ends (three years on).
	k.Do(t, "POST", "/api/v1/batches", org.Tokens["staff"], batchBody(func(m map[string]any) {
		exam := time.Now().AddDate(3, 1, 0)
		m["exam_start"], m["application_deadline"] = exam.Format(time.RFC3339), exam.AddDate(0, 0, -1).Format(time.RFC3339)
	})).WantProblem(t, http.StatusUnprocessableEntity, "out_of_scope")

	// Suspended between draft and publication: publication is refused too.
	b := createBatch(t, k, org.Tokens["staff"], nil)
	setStatus(t, k, org, tenants.StatusSuspended)
	k.Do(t, "POST", "/api/v1/batches/"+b.ID.String()+"/publish", org.Tokens["staff"], nil).
		WantProblem(t, http.StatusUnprocessableEntity, "out_of_scope")
	setStatus(t, k, org, tenants.StatusActive)
	step(t, k, org.Tokens["staff"], b.ID, "publish")

	// Regulators write nothing here; unknown occupations and levels are field errors.
	reg := regulator(t, k)
	k.Do(t, "POST", "/api/v1/batches", reg.Admin, batchBody(nil)).Want(t, http.StatusForbidden)
	k.Do(t, "POST", "/api/v1/batches", org.Tokens["staff"], batchBody(func(m map[string]any) { m["occupation_code"] = "9-99-99-99" })).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
}

func setStatus(t *testing.T, k *testkit.Kit, org *testkit.Org, st tenants.Status) {
	t.Helper()
	ctx := context.Background()
	if err := k.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return k.Server.Directory.SetStatus(ctx, tx, org.Tenant.ID, st, "test")
	}); err != nil {
		t.Fatal(err)
	}
}

func TestComprehensiveReviewRequiredForLevels2And1(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 2, 1)
	for _, level := range []int{2, 1} {
		res := k.Do(t, "POST", "/api/v1/batches", org.Tokens["staff"], batchBody(func(m map[string]any) {
			m["level"], m["methods"] = level, []string{"theory", "practical"}
			m["pass_marks"] = nil
		}))
		res.WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
		var p struct{ Errors []platform.FieldError }
		res.Decode(t, &p)
		if len(p.Errors) != 1 || p.Errors[0].Field != "methods" || p.Errors[0].Code != "comprehensive_review_required" {
			t.Fatalf("level %d: %+v", level, p)
		}
		b := createBatch(t, k, org.Tokens["staff"], func(m map[string]any) {
			m["level"], m["methods"] = level, []string{"theory", "practical", "comprehensive_review"}
			m["pass_marks"] = nil
		})
		if b.PassMarks["comprehensive_review"] != 60 {
			t.Fatalf("default pass mark %+v", b.PassMarks)
		}
	}
}

func TestCapacity(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 4)
	b := createBatch(t, k, org.Tokens["staff"], func(m map[string]any) { m["capacity"] = 1 })
	step(t, k, org.Tokens["staff"], b.ID, "publish")
	// An ineligible application takes no place.
	if a := apply(t, k, org.Admin, b.ID, map[string]any{"candidate_id": candidate(t, k, org, "甲", nil)}); a.Status != "ineligible" {
		t.Fatalf("%+v", a)
	}
	if a := apply(t, k, org.Admin, b.ID, map[string]any{"candidate_id": candidate(t, k, org, "乙", map[string]any{"occupation_years": 7})}); a.Status != "eligible" {
		t.Fatalf("%+v", a)
	}
	k.Do(t, "POST", "/api/v1/batches/"+b.ID.String()+"/applications", org.Admin,
		map[string]any{"candidate_id": candidate(t, k, org, "丙", map[string]any{"occupation_years": 8})}).
		WantProblem(t, http.StatusUnprocessableEntity, "capacity_full")
}

func TestDeadline(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 4)
	b := createBatch(t, k, org.Tokens["staff"], nil)
	ctx := org.Ctx(context.Background())
	late := b.ApplicationDeadline.Add(time.Second)
	_, err := at(k, late).Publish(ctx, b.ID)
	wantCode(t, err, "deadline_passed")
	step(t, k, org.Tokens["staff"], b.ID, "publish")
	c := candidate(t, k, org, "赶考人", map[string]any{"occupation_years": 7})
	_, err = at(k, late).Apply(ctx, b.ID, batches.NewApplication{CandidateID: c})
	wantCode(t, err, "deadline_passed")
	a, err := at(k, b.ApplicationDeadline).Apply(ctx, b.ID, batches.NewApplication{CandidateID: c})
	if err != nil || a.Status != batches.AppEligible {
		t.Fatalf("on the deadline itself: %+v %v", a, err)
	}
}

func TestRecusal(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 4)
	staff, ev := org.Tokens["staff"], org.Tokens["evaluator"]
	b := createBatch(t, k, staff, nil)
	step(t, k, staff, b.ID, "publish")
	relative := candidate(t, k, org, "亲属", map[string]any{"occupation_years": 7})
	stranger := candidate(t, k, org, "路人", map[string]any{"occupation_years": 7})
	aRel := apply(t, k, staff, b.ID, map[string]any{"candidate_id": relative})
	aStr := apply(t, k, staff, b.ID, map[string]any{"candidate_id": stranger})
	staffBatch(t, k, org, b.ID)

	path := "/api/v1/batches/" + b.ID.String() + "/recusals"
	evID := org.Users["evaluator"].ID
	// An evaluator declares for themselves only.
	other := k.User(t, org, "evaluator-"+testkit.Slug("y"), "evaluator")
	k.Do(t, "POST", path, ev, map[string]any{"evaluator_id": other.ID, "candidate_id": relative, "relation": "配偶"}).
		WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "POST", path, ev, map[string]any{"evaluator_id": evID, "candidate_id": relative, "relation": "表兄弟"}).
		Want(t, http.StatusCreated)
	k.Do(t, "POST", path, staff, map[string]any{"evaluator_id": evID, "candidate_id": relative, "relation": "表兄弟"}).
		WantProblem(t, http.StatusConflict, "duplicate")
	k.Do(t, "POST", path, staff, map[string]any{"evaluator_id": org.Users["supervisor"].ID, "candidate_id": relative, "relation": "x"}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")

	step(t, k, staff, b.ID, "close")
	k.Do(t, "PUT", "/api/v1/applications/"+aRel.ID.String()+"/scores", ev, map[string]any{"theory": 90}).
		WantProblem(t, http.StatusForbidden, "recused")
	k.Do(t, "PUT", "/api/v1/applications/"+aStr.ID.String()+"/scores", ev, map[string]any{"theory": 90}).
		Want(t, http.StatusOK)
	var as struct {
		Recusals []struct {
			EvaluatorID uuid.UUID `json:"evaluator_id"`
			CandidateID uuid.UUID `json:"candidate_id"`
		} `json:"recusals"`
	}
	k.Do(t, "GET", "/api/v1/batches/"+b.ID.String()+"/assignments", org.Tokens["supervisor"], nil).Want(t, http.StatusOK).Decode(t, &as)
	if len(as.Recusals) != 1 || as.Recusals[0].CandidateID != relative || as.Recusals[0].EvaluatorID != evID {
		t.Fatalf("assignments %+v", as)
	}
}

func TestEvaluatorsPerMethod(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 4)
	staff := org.Tokens["staff"]
	b := createBatch(t, k, staff, func(m map[string]any) { m["min_evaluators"] = 2 })
	step(t, k, staff, b.ID, "publish")
	a := apply(t, k, staff, b.ID, map[string]any{"candidate_id": candidate(t, k, org, "考生", map[string]any{"occupation_years": 7})})
	path := "/api/v1/batches/" + b.ID.String()
	second := k.User(t, org, "evaluator-"+testkit.Slug("z"), "evaluator")
	k.Do(t, "POST", path+"/supervisors", staff, map[string]any{"user_ids": ids(org.Users["supervisor"].ID)}).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/evaluators", staff, map[string]any{"user_ids": ids(org.Users["evaluator"].ID)}).Want(t, http.StatusOK)
	// Two per method are required: the second evaluator scores practical only.
	k.Do(t, "POST", path+"/evaluators", staff, map[string]any{"user_ids": ids(second.ID), "methods": []string{"practical"}}).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/close", staff, nil).WantProblem(t, http.StatusUnprocessableEntity, "evaluators_required")
	k.Do(t, "POST", path+"/evaluators", staff, map[string]any{"user_ids": ids(second.ID), "methods": []string{"thesis_defense"}}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	k.Do(t, "POST", path+"/evaluators", staff, map[string]any{"user_ids": ids(second.ID), "methods": []string{"theory"}}).Want(t, http.StatusOK)
	step(t, k, staff, b.ID, "close")

	// The practical-only assignment was widened to theory; a user assigned for practical alone could
	// not score theory.
	third := k.User(t, org, "evaluator-"+testkit.Slug("w"), "evaluator")
	ctx := org.Ctx(context.Background())
	if _, err := svc(k).AssignEvaluators(ctx, b.ID, []uuid.UUID{third.ID}, []batches.Method{batches.MethodPractical}); err != nil {
		t.Fatal(err)
	}
	tok := k.Login(t, org.Tenant.Slug, third.Username)
	k.Do(t, "PUT", "/api/v1/applications/"+a.ID.String()+"/scores", tok, map[string]any{"theory": 70}).
		WantProblem(t, http.StatusForbidden, "not_assigned")
	k.Do(t, "PUT", "/api/v1/applications/"+a.ID.String()+"/scores", tok, map[string]any{"practical": 70}).Want(t, http.StatusOK)
}

func TestReviewsBeforeResultsAndAbsentFails(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 4)
	staff := org.Tokens["staff"]
	b := createBatch(t, k, staff, func(m map[string]any) { m["publicity_days"] = 0 })
	step(t, k, staff, b.ID, "publish")
	pending := apply(t, k, staff, b.ID, map[string]any{"candidate_id": candidate(t, k, org, "待审",
		map[string]any{"awards": []string{"major_contribution"}}), "route": "direct_recognition", "evidence_file_ids": []string{"f1"}})
	absent := apply(t, k, staff, b.ID, map[string]any{"candidate_id": candidate(t, k, org, "缺考", map[string]any{"occupation_years": 9})})
	staffBatch(t, k, org, b.ID)
	step(t, k, staff, b.ID, "close")
	k.Do(t, "POST", "/api/v1/batches/"+b.ID.String()+"/results/publish", staff, nil).
		WantProblem(t, http.StatusUnprocessableEntity, "reviews_pending")
	k.Do(t, "POST", "/api/v1/applications/"+pending.ID.String()+"/review", staff, map[string]any{"decision": "reject"}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	k.Do(t, "POST", "/api/v1/applications/"+pending.ID.String()+"/review", staff, map[string]any{"decision": "reject", "reason": "证明材料不符"}).
		Want(t, http.StatusOK)
	step(t, k, staff, b.ID, "results/publish")
	var got applicationJSON
	k.Do(t, "GET", "/api/v1/applications/"+absent.ID.String(), staff, nil).Want(t, http.StatusOK).Decode(t, &got)
	if got.result() != "fail" {
		t.Fatalf("an unscored candidate must fail at publication: %+v", got)
	}
}

func TestCancel(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 4)
	staff := org.Tokens["staff"]
	b := createBatch(t, k, staff, nil)
	step(t, k, staff, b.ID, "publish")
	var got batchJSON
	k.Do(t, "POST", "/api/v1/batches/"+b.ID.String()+"/cancel", staff, map[string]any{"reason": "场地不可用"}).
		Want(t, http.StatusOK).Decode(t, &got)
	if got.Status != "cancelled" {
		t.Fatalf("%+v", got)
	}
	k.Do(t, "POST", "/api/v1/batches/"+b.ID.String()+"/publish", staff, nil).WantProblem(t, http.StatusConflict, "invalid_state")
	k.Do(t, "POST", "/api/v1/batches/"+b.ID.String()+"/cancel", staff, nil).WantProblem(t, http.StatusConflict, "invalid_state")
}

func TestReevaluationOnCandidateChange(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 4)
	staff := org.Tokens["staff"]
	b := createBatch(t, k, staff, nil)
	step(t, k, staff, b.ID, "publish")
	c := candidate(t, k, org, "改资料", nil)
	a := apply(t, k, staff, b.ID, map[string]any{"candidate_id": c})
	if a.Status != "ineligible" {
		t.Fatalf("%+v", a)
	}
	k.Do(t, "PATCH", "/api/v1/candidates/"+c.String(), staff, map[string]any{"occupation_years": 6, "name": "改资料后"}).Want(t, http.StatusOK)
	var got applicationJSON
	k.Do(t, "GET", "/api/v1/applications/"+a.ID.String(), staff, nil).Want(t, http.StatusOK).Decode(t, &got)
	if got.Status != "eligible" || got.Eligibility.Rule != "l4.years" || got.CandidateName != "改资料后" {
		t.Fatalf("not re-evaluated: %+v", got)
	}

	// Once the batch is closed, eligibility stands; the name on the application still follows.
	staffBatch(t, k, org, b.ID)
	step(t, k, staff, b.ID, "close")
	k.Do(t, "PATCH", "/api/v1/candidates/"+c.String(), staff, map[string]any{"occupation_years": 0, "name": "再改"}).Want(t, http.StatusOK)
	k.Do(t, "GET", "/api/v1/applications/"+a.ID.String(), staff, nil).Want(t, http.StatusOK).Decode(t, &got)
	if got.Status != "eligible" || got.CandidateName != "再改" {
		t.Fatalf("after close: %+v", got)
	}
}

func TestSelfRegistrationAndMyApplications(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindSocialOrg, 4)
	b := createBatch(t, k, org.Tokens["staff"], nil)
	step(t, k, org.Tokens["staff"], b.ID, "publish")
	register := func(username, name string, years int) uuid.UUID {
		t.Helper()
		var out struct {
			CandidateID uuid.UUID       `json:"candidate_id"`
			Application applicationJSON `json:"application"`
		}
		k.Do(t, "POST", "/api/v1/public/institutions/"+org.Tenant.Slug+"/batches/"+b.ID.String()+"/applications", "", map[string]any{
			"username": username, "password": testkit.Password, "name": name, "id_type": "resident_id",
			"id_number": residentID(t), "phone": "13800138000", "education": "senior_high", "occupation_years": years,
		}).Want(t, http.StatusCreated).Decode(t, &out)
		if out.Application.Status != "eligible" || out.Application.FeeFen != 30000 || out.Application.CandidateID != out.CandidateID {
			t.Fatalf("registered %+v", out)
		}
		return out.Application.ID
	}
	mine := register("self-"+testkit.Slug("a"), "自报名", 7)
	theirs := register("self-"+testkit.Slug("b"), "他人", 8)
	var page struct{ Items []applicationJSON }
	k.Do(t, "GET", "/api/v1/me/applications", k.Login(t, org.Tenant.Slug, mustUsername(t, k, org, mine)), nil).
		Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != mine {
		t.Fatalf("own applications %+v (not %s)", page.Items, theirs)
	}
	// Staff have no own applications and may not use the candidate's view.
	k.Do(t, "GET", "/api/v1/me/applications", org.Tokens["staff"], nil).Want(t, http.StatusForbidden)
}

// mustUsername finds the username of the candidate-user who made application id.
func mustUsername(t *testing.T, k *testkit.Kit, org *testkit.Org, id uuid.UUID) string {
	t.Helper()
	ctx := org.Ctx(context.Background())
	a, err := svc(k).GetApplication(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var username string
	if err := k.DB.NewSelect().Table("users").Column("username").Where("id = (SELECT user_id FROM candidates WHERE id = ?)", a.CandidateID).
		Scan(context.Background(), &username); err != nil {
		t.Fatal(err)
	}
	return username
}

func TestServiceNeedsItsCollaborators(t *testing.T) {
	k := testkit.New(t)
	if _, err := batches.NewService(k.DB, batches.Deps{}); err == nil {
		t.Fatal("a service without collaborators was built")
	}
}
