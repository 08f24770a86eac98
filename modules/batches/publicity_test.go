package batches_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// recordingHook is a FinalizeHook that keeps what it was given, or fails.
type recordingHook struct {
	got  []batches.FinalizedBatch
	fail error
}

func (h *recordingHook) OnFinalized(ctx context.Context, tx bun.Tx, b batches.FinalizedBatch) error {
	if h.fail != nil {
		return h.fail
	}
	var n int
	if err := tx.NewSelect().Table("batch_passes").ColumnExpr("count(*)").Where("batch_id = ?", b.BatchID).Scan(ctx, &n); err != nil {
		return err
	}
	if n != len(b.Passed) {
		return errors.New("the pass rows are not in the hook's transaction")
	}
	h.got = append(h.got, b)
	return nil
}

// scoredBatch makes a batch in publicity whose applicants (by name) all passed.
func scoredBatch(t *testing.T, k *testkit.Kit, org *testkit.Org, publicityDays int, names ...string) (batchJSON, []applicationJSON) {
	t.Helper()
	staff := org.Tokens["staff"]
	b := createBatch(t, k, staff, func(m map[string]any) { m["publicity_days"] = publicityDays })
	step(t, k, staff, b.ID, "publish")
	var apps []applicationJSON
	for _, n := range names {
		apps = append(apps, apply(t, k, staff, b.ID, map[string]any{"candidate_id": candidate(t, k, org, n, map[string]any{"occupation_years": 7})}))
	}
	staffBatch(t, k, org, b.ID)
	step(t, k, staff, b.ID, "close")
	for _, a := range apps {
		k.Do(t, "PUT", "/api/v1/applications/"+a.ID.String()+"/scores", org.Tokens["evaluator"],
			map[string]any{"theory": 80, "practical": 80}).Want(t, http.StatusOK)
	}
	return step(t, k, staff, b.ID, "results/publish"), apps
}

func TestObjectionsHoldAndFinalizeLeavesThemOut(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindSocialOrg, 4)
	staff := org.Tokens["staff"]
	b, apps := scoredBatch(t, k, org, 5, "司马懿", "诸葛亮", "周瑜")
	upheld, dismissed, open := apps[0], apps[1], apps[2]
	ends, err := svc(k).PublicityEnds(context.Background(), *b.ResultsPublishedAt, 5)
	if err != nil || b.PublicityEndsAt == nil || !b.PublicityEndsAt.Equal(ends) || !ends.After(b.ResultsPublishedAt.AddDate(0, 0, 6)) {
		t.Fatalf("publicity ends %v, want %v (%v)", b.PublicityEndsAt, ends, err)
	}

	objPath := "/api/v1/public/batches/" + b.ID.String() + "/objections"
	object := func(body map[string]any) {
		t.Helper()
		k.Do(t, "POST", objPath, "", body).Want(t, http.StatusCreated)
	}
	object(map[string]any{"application_id": upheld.ID, "reason": "此人未参加实操考试", "contact": "13900000000"})
	object(map[string]any{"application_id": open.ID, "reason": "成绩存疑", "contact": "a@example.com"})
	// By the masked name and id number the public sees.
	var pub struct {
		Items []struct {
			ApplicationID  uuid.UUID `json:"application_id"`
			Name           string    `json:"name"`
			IDNumber       string    `json:"id_number"`
			UnderObjection bool      `json:"under_objection"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/public/batches/"+b.ID.String()+"/results", "", nil).Want(t, http.StatusOK).Decode(t, &pub)
	if len(pub.Items) != 3 || !pub.Items[0].UnderObjection || pub.Items[1].UnderObjection {
		t.Fatalf("public results %+v", pub)
	}
	object(map[string]any{"masked_name": pub.Items[1].Name, "masked_id_number": pub.Items[1].IDNumber, "reason": "学历造假", "contact": "x"})
	for _, bad := range []map[string]any{
		{"application_id": uuid.New(), "reason": "r", "contact": "c"},
		{"masked_name": "无*人", "masked_id_number": "110***********0000", "reason": "r", "contact": "c"},
		{"application_id": upheld.ID, "reason": "r"},
		{"application_id": upheld.ID, "contact": "c"},
	} {
		k.Do(t, "POST", objPath, "", bad).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	}
	k.Do(t, "POST", "/api/v1/public/batches/"+uuid.NewString()+"/objections", "", map[string]any{"application_id": upheld.ID, "reason": "r", "contact": "c"}).
		WantProblem(t, http.StatusNotFound, "not_found")

	var objs struct {
		Items []struct {
			ID            uuid.UUID `json:"id"`
			ApplicationID uuid.UUID `json:"application_id"`
			Status        string    `json:"status"`
			Contact       string    `json:"contact"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/batches/"+b.ID.String()+"/objections", staff, nil).Want(t, http.StatusOK).Decode(t, &objs)
	if len(objs.Items) != 3 || objs.Items[0].Contact != "13900000000" {
		t.Fatalf("objections %+v", objs)
	}
	objectionOf := func(app uuid.UUID) uuid.UUID {
		for _, o := range objs.Items {
			if o.ApplicationID == app {
				return o.ID
			}
		}
		t.Fatalf("no objection on %s", app)
		return uuid.Nil
	}
	held := func(a applicationJSON) bool {
		t.Helper()
		var got applicationJSON
		k.Do(t, "GET", "/api/v1/applications/"+a.ID.String(), staff, nil).Want(t, http.StatusOK).Decode(t, &got)
		return got.Held
	}
	if !held(upheld) || !held(dismissed) || !held(open) {
		t.Fatal("objections do not hold their applications")
	}
	resolve := func(id uuid.UUID, outcome string) *testkit.Response {
		return k.Do(t, "POST", "/api/v1/objections/"+id.String()+"/resolve", staff, map[string]any{"outcome": outcome, "note": "经核查"})
	}
	resolve(objectionOf(upheld.ID), "upheld").Want(t, http.StatusOK)
	resolve(objectionOf(dismissed.ID), "dismissed").Want(t, http.StatusOK)
	resolve(objectionOf(dismissed.ID), "upheld").WantProblem(t, http.StatusConflict, "invalid_state")
	resolve(objectionOf(open.ID), "maybe").WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	k.Do(t, "POST", "/api/v1/objections/"+objectionOf(open.ID).String()+"/resolve", org.Tokens["evaluator"],
		map[string]any{"outcome": "dismissed"}).Want(t, http.StatusForbidden)
	if !held(upheld) || held(dismissed) || !held(open) {
		t.Fatal("resolution did not release exactly the dismissed one")
	}

	// Not before the period ends.
	k.Do(t, "POST", "/api/v1/batches/"+b.ID.String()+"/finalize", staff, nil).
		WantProblem(t, http.StatusUnprocessableEntity, "publicity_not_over")
	ctx := org.Ctx(context.Background())
	_, err = at(k, ends.Add(-time.Second)).Finalize(ctx, b.ID)
	wantCode(t, err, "publicity_not_over")

	// Once over, objections are closed, and finalize hands over the unheld pass only — in its
	// transaction: a failing hook undoes everything.
	later := at(k, ends)
	_, err = later.RaiseObjection(context.Background(), b.ID, batches.NewObjection{ApplicationID: dismissed.ID, Reason: "r", Contact: "c"})
	wantCode(t, err, "publicity_over")
	failing := &recordingHook{fail: errors.New("issuance is down")}
	if _, err := later.WithFinalizeHook(failing).Finalize(ctx, b.ID); err == nil {
		t.Fatal("finalize succeeded although its hook failed")
	}
	if got, _ := svc(k).Get(ctx, b.ID); got.Status != batches.StatusPublicity {
		t.Fatalf("a failed finalize left the batch %s", got.Status)
	}
	if ps, _ := svc(k).Passes(ctx, b.ID, platform.PageRequest{}); len(ps.Items) != 0 {
		t.Fatalf("a failed finalize left passes %v", ps)
	}
	rec := &recordingHook{}
	fb, err := later.WithFinalizeHook(rec).Finalize(ctx, b.ID)
	if err != nil || fb.Status != batches.StatusFinalized {
		t.Fatalf("finalize: %+v %v", fb, err)
	}
	if len(rec.got) != 1 || len(rec.got[0].Passed) != 1 || rec.got[0].Passed[0].ApplicationID != dismissed.ID ||
		rec.got[0].Passed[0].HolderName != "诸葛亮" || rec.got[0].Level != 4 || rec.got[0].OccupationName != "电工" ||
		rec.got[0].TenantID != org.Tenant.ID {
		t.Fatalf("hook got %+v", rec.got)
	}
	ps, err := svc(k).Passes(ctx, b.ID, platform.PageRequest{})
	if err != nil || len(ps.Items) != 1 || ps.Items[0].ApplicationID != dismissed.ID {
		t.Fatalf("passes %+v %v", ps, err)
	}
	k.Do(t, "POST", "/api/v1/objections/"+objectionOf(open.ID).String()+"/resolve", staff, map[string]any{"outcome": "dismissed"}).
		WantProblem(t, http.StatusConflict, "invalid_state")
	if got := reportKinds(t, k, b.ID); !slices.Equal(got, []string{"batch.published", "results.published", "batch.finalized"}) {
		t.Fatalf("reports %v", got)
	}
}

func TestPublicityCountsWorkingDays(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise)
	path := "/api/v1/calendar/holidays/2031"
	national := map[string]any{
		"holidays": []string{"2031-10-01", "2031-10-02", "2031-10-03", "2031-10-04", "2031-10-05", "2031-10-06", "2031-10-07"},
		"workdays": []string{"2031-09-28", "2031-10-11"},
	}
	k.Do(t, "PUT", path, org.Admin, national).Want(t, http.StatusForbidden)
	for name, bad := range map[string]map[string]any{
		"weekday as workday": {"holidays": []string{}, "workdays": []string{"2031-09-29"}},
		"other year":         {"holidays": []string{"2032-01-01"}, "workdays": []string{}},
		"not a date":         {"holidays": []string{"2031-02-30"}, "workdays": []string{}},
		"both lists":         {"holidays": []string{"2031-09-28"}, "workdays": []string{"2031-09-28"}},
	} {
		t.Run(name, func(t *testing.T) {
			k.Do(t, "PUT", path, k.Admin, bad).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
		})
	}
	k.Do(t, "PUT", path, k.Admin, national).Want(t, http.StatusOK)
	var got struct {
		Year     int      `json:"year"`
		Holidays []string `json:"holidays"`
		Workdays []string `json:"workdays"`
	}
	k.Do(t, "GET", path, org.Admin, nil).Want(t, http.StatusOK).Decode(t, &got)
	if got.Year != 2031 || len(got.Holidays) != 7 || !slices.Equal(got.Workdays, []string{"2031-09-28", "2031-10-11"}) {
		t.Fatalf("calendar %+v", got)
	}

	cst := batches.ChinaTime
	ctx := context.Background()
	for _, c := range []struct {
		name string
		from time.Time
		days int
		want time.Time
	}{
		// Friday before the National Day week: Sunday 28th is worked, then 29th, 30th, the holiday week
		// is skipped, 8th and 9th complete the five days.
		{"across the holiday week", time.Date(2031, 9, 26, 10, 0, 0, 0, cst), 5, time.Date(2031, 10, 10, 0, 0, 0, 0, cst)},
		// A plain weekend in between: Friday 12th → Monday 15th to Friday 19th.
		{"across a weekend", time.Date(2031, 12, 12, 15, 0, 0, 0, cst), 5, time.Date(2031, 12, 20, 0, 0, 0, 0, cst)},
		// The adjusted Saturday 11 October counts.
		{"adjusted Saturday", time.Date(2031, 10, 10, 9, 0, 0, 0, cst), 1, time.Date(2031, 10, 12, 0, 0, 0, 0, cst)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := svc(k).PublicityEnds(ctx, c.from, c.days)
			if err != nil || !got.Equal(c.want) {
				t.Fatalf("ends %v, want %v (%v)", got.In(cst), c.want, err)
			}
		})
	}
	// Loading a year again replaces it.
	k.Do(t, "PUT", path, k.Admin, map[string]any{"holidays": []string{}, "workdays": []string{}}).Want(t, http.StatusOK)
	if got, _ := svc(k).PublicityEnds(ctx, time.Date(2031, 9, 26, 10, 0, 0, 0, cst), 5); !got.Equal(time.Date(2031, 10, 4, 0, 0, 0, 0, cst)) {
		t.Fatalf("after clearing the year: %v", got.In(cst))
	}
}

func TestLateResults(t *testing.T) {
	k := testkit.New(t)
	ctx := context.Background()
	type fixture struct {
		org  *testkit.Org
		b    batchJSON
		days int
	}
	var fs []fixture
	for _, kind := range []tenants.Kind{tenants.KindSocialOrg, tenants.KindEnterprise} {
		org := institution(t, k, kind, 4)
		b := createBatch(t, k, org.Tokens["staff"], nil)
		step(t, k, org.Tokens["staff"], b.ID, "publish")
		fs = append(fs, fixture{org, b, batches.ResultsDueDays(kind == tenants.KindSocialOrg)})
	}
	social, employer := fs[0], fs[1]
	if social.days != 5 || employer.days != 10 {
		t.Fatalf("due days %d %d", social.days, employer.days)
	}
	late := func(f fixture) bool {
		t.Helper()
		var b batchJSON
		k.Do(t, "GET", "/api/v1/batches/"+f.b.ID.String(), f.org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &b)
		return b.ResultsLate
	}
	socialDue, _ := svc(k).PublicityEnds(ctx, social.b.ExamStart, 5)
	employerDue, _ := svc(k).PublicityEnds(ctx, employer.b.ExamStart, 10)
	run := func(asOf time.Time) {
		t.Helper()
		// As the scheduler runs it: a platform-wide task with no tenant in its context.
		if err := svc(k).LateResultsHandler()(ctx, jobs.Task{Type: batches.TaskLateResults, Period: asOf}); err != nil {
			t.Fatal(err)
		}
	}
	run(socialDue.Add(-time.Second))
	if late(social) || late(employer) {
		t.Fatal("flagged before results were due")
	}
	run(socialDue.Add(time.Second))
	if !late(social) || late(employer) {
		t.Fatalf("after 5 working days: social %v, employer %v", late(social), late(employer))
	}
	run(employerDue.Add(time.Second))
	if !late(employer) {
		t.Fatal("the employer's results are not flagged after 10 working days")
	}
	if n, err := svc(k).FlagLateResults(ctx, employerDue.Add(time.Second)); err != nil || n != 0 {
		t.Fatalf("a second run flagged %d (%v)", n, err)
	}

	// Results published after they were due are late too.
	org := institution(t, k, tenants.KindEnterprise, 4)
	b := createBatch(t, k, org.Tokens["staff"], nil)
	step(t, k, org.Tokens["staff"], b.ID, "publish")
	staffBatch(t, k, org, b.ID)
	step(t, k, org.Tokens["staff"], b.ID, "close")
	due, _ := svc(k).PublicityEnds(ctx, b.ExamStart, 10)
	pb, err := at(k, due.Add(time.Hour)).PublishResults(org.Ctx(ctx), b.ID)
	if err != nil || !pb.ResultsLate || pb.Status != batches.StatusPublicity {
		t.Fatalf("late publication %+v %v", pb, err)
	}
}
