package exams_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

type checkInJSON struct {
	ApplicationID uuid.UUID `json:"application_id"`
	Name          string    `json:"name"`
	Seat          int       `json:"seat"`
	Room          struct {
		ID   uuid.UUID `json:"id"`
		Name string    `json:"name"`
	} `json:"room"`
	CheckedInAt time.Time `json:"checked_in_at"`
}

type attendanceJSON struct {
	SessionID uuid.UUID `json:"session_id"`
	Ended     bool      `json:"ended"`
	Items     []struct {
		ApplicationID uuid.UUID  `json:"application_id"`
		Name          string     `json:"name"`
		Seat          int        `json:"seat"`
		RoomID        uuid.UUID  `json:"room_id"`
		Status        string     `json:"status"`
		CheckedInAt   *time.Time `json:"checked_in_at"`
	} `json:"items"`
}

// token signs the ticket token of an application as the ticket job does.
func token(t testing.TB, k *testkit.Kit, org *testkit.Org, batch, app uuid.UUID, number string) string {
	t.Helper()
	return k.Server.Exams.Exams.SignTicket(exams.TicketClaims{TenantID: org.Tenant.ID, BatchID: batch, ApplicationID: app, TicketNumber: number})
}

// TestCheckIn: by ticket token or id number; idempotent (the first time comes back, also under
// concurrency); forged, foreign and seatless tickets are invalid_ticket; the window is [start-60min,
// end); admins, staff and the batch's own supervisors may check in, audited with the operator.
func TestCheckIn(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k)
	s := site(t, k, org, 10, 10)
	e := closedBatch(t, k, org, 4, true) // plus one exempt from theory: no seat in the theory session
	now := time.Now().UTC().Truncate(time.Second)
	live := session(t, k, e, "theory", now.Add(-10*time.Minute), now.Add(2*time.Hour), s.Rooms[0].ID)
	later := session(t, k, e, "practical", now.Add(3*time.Hour), now.Add(5*time.Hour), s.Rooms[1].ID)
	a := arrange(t, k, e, "sequential", "")
	numbers := map[uuid.UUID]string{}
	for _, st := range a.Seats {
		numbers[st.ApplicationID] = st.TicketNumber
	}
	if numbers[e.exempt] == "" {
		t.Fatal("the exempt application has no ticket number")
	}
	path := "/api/v1/batches/" + e.batch.String() + "/check-ins"
	tok := func(i int) string { return token(t, k, org, e.batch, e.apps[i], numbers[e.apps[i]]) }

	// First by ticket: 201; again: 200 with the first time; by id number: 200 too.
	var first, again, byID checkInJSON
	k.Do(t, "POST", path, org.Tokens["staff"], map[string]any{"session_id": live.ID, "ticket": tok(0)}).Want(t, http.StatusCreated).Decode(t, &first)
	if first.ApplicationID != e.apps[0] || first.Name != "考生00" || first.Seat != 1 || first.Room.ID != s.Rooms[0].ID || first.Room.Name == "" {
		t.Fatalf("check-in %+v", first)
	}
	k.Do(t, "POST", path, org.Admin, map[string]any{"session_id": live.ID, "ticket": tok(0)}).Want(t, http.StatusOK).Decode(t, &again)
	k.Do(t, "POST", path, org.Admin, map[string]any{"session_id": live.ID, "id_number": strings.ToLower(e.idNums[0])}).Want(t, http.StatusOK).Decode(t, &byID)
	if !again.CheckedInAt.Equal(first.CheckedInAt) || !byID.CheckedInAt.Equal(first.CheckedInAt) {
		t.Fatalf("the first check-in time changed: %v %v %v", first.CheckedInAt, again.CheckedInAt, byID.CheckedInAt)
	}
	var viaID checkInJSON
	k.Do(t, "POST", path, org.Admin, map[string]any{"session_id": live.ID, "id_number": e.idNums[1]}).Want(t, http.StatusCreated).Decode(t, &viaID)
	if viaID.ApplicationID != e.apps[1] || viaID.Seat != 2 {
		t.Fatalf("by id number %+v", viaID)
	}

	// Concurrent scans of one ticket: exactly one 201, every answer the same time.
	var wg sync.WaitGroup
	res := make([]checkInJSON, 8)
	codes := make([]int, 8)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := k.Do(t, "POST", path, org.Admin, map[string]any{"session_id": live.ID, "ticket": tok(2)})
			codes[i] = r.Status
			r.Decode(t, &res[i])
		}()
	}
	wg.Wait()
	created := 0
	for i := range res {
		if codes[i] == http.StatusCreated {
			created++
		} else if codes[i] != http.StatusOK {
			t.Fatalf("concurrent check-in answered %d", codes[i])
		}
		if !res[i].CheckedInAt.Equal(res[0].CheckedInAt) {
			t.Fatal("concurrent check-ins answered different times")
		}
	}
	if created != 1 {
		t.Fatalf("%d concurrent check-ins created", created)
	}
	var n int
	if err := k.DB.NewSelect().Table("audit_log").ColumnExpr("count(*)").
		Where("tenant_id = ? AND action = 'exam.check_in' AND target_id = ?", org.Tenant.ID, e.apps[2].String()).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d audit entries for one check-in", n)
	}
	var actor string
	if err := k.DB.NewSelect().Table("audit_log").ColumnExpr("actor_name").
		Where("tenant_id = ? AND action = 'exam.check_in' AND target_id = ?", org.Tenant.ID, e.apps[1].String()).Scan(context.Background(), &actor); err != nil {
		t.Fatal(err)
	}
	if actor != "admin" {
		t.Fatalf("check-in audited as %q", actor)
	}
	// The entry (appended in SQL on the one-round-trip path) carries where and when, and the chain holds.
	var raw string
	if err := k.DB.NewSelect().Table("audit_log").ColumnExpr("after::text").
		Where("tenant_id = ? AND action = 'exam.check_in' AND target_id = ?", org.Tenant.ID, e.apps[1].String()).Scan(context.Background(), &raw); err != nil {
		t.Fatal(err)
	}
	var after map[string]any
	if err := json.Unmarshal([]byte(raw), &after); err != nil {
		t.Fatal(err)
	}
	if after["seat"] != float64(2) || after["room_id"] != s.Rooms[0].ID.String() || after["via"] != "id_number" ||
		after["session_id"] != live.ID.String() || after["batch_id"] != e.batch.String() || after["checked_in_at"] != viaID.CheckedInAt.Format(time.RFC3339Nano) {
		t.Fatalf("check-in audited with %v (check-in %+v)", after, viaID)
	}
	var chain struct {
		OK      bool  `json:"ok"`
		Entries int64 `json:"entries"`
	}
	k.Do(t, "GET", "/api/v1/audit/verify", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &chain)
	if !chain.OK || chain.Entries == 0 {
		t.Fatalf("audit chain after check-ins: %+v", chain)
	}

	// Refusals.
	otherBatch := closedBatch(t, k, org, 1, false)
	foreign := token(t, k, org, otherBatch.batch, e.apps[3], numbers[e.apps[3]])
	otherOrg := k.Tenant(t, tenants.KindEnterprise, "110105")
	forged := []byte(tok(3))
	forged[len(forged)-3] ^= 1
	for _, c := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"forged token", map[string]any{"session_id": live.ID, "ticket": string(forged)}, 422, "invalid_ticket"},
		{"garbage", map[string]any{"session_id": live.ID, "ticket": "hello"}, 422, "invalid_ticket"},
		{"token of another batch", map[string]any{"session_id": live.ID, "ticket": foreign}, 422, "invalid_ticket"},
		{"token of another tenant", map[string]any{"session_id": live.ID, "ticket": token(t, k, otherOrg, e.batch, e.apps[3], numbers[e.apps[3]])}, 422, "invalid_ticket"},
		{"id number without a seat", map[string]any{"session_id": live.ID, "id_number": residentID(t)}, 422, "invalid_ticket"},
		{"ticket of this batch, no seat in this session", map[string]any{"session_id": live.ID,
			"ticket": token(t, k, org, e.batch, e.exempt, numbers[e.exempt])}, 422, "invalid_ticket"},
		{"session not yet open", map[string]any{"session_id": later.ID, "ticket": tok(3)}, 422, "check_in_closed"},
		{"unknown session", map[string]any{"session_id": uuid.New(), "ticket": tok(3)}, 404, "not_found"},
		{"neither", map[string]any{"session_id": live.ID}, 422, "validation_failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k.Do(t, "POST", path, org.Admin, c.body).WantProblem(t, c.status, c.code)
		})
	}
	// A ticket of this batch for another session in which the person has no seat: the exam's
	// theory-exempt-free batch seats everyone everywhere, so use a seat-less application of another batch.
	k.Do(t, "POST", path, org.Admin, map[string]any{"session_id": live.ID, "id_number": otherBatch.idNums[0]}).
		WantProblem(t, http.StatusUnprocessableEntity, "invalid_ticket")

	// Who may check in: a supervisor assigned to the batch, not one assigned elsewhere; never an evaluator.
	k.Do(t, "POST", path, org.Tokens["supervisor"], map[string]any{"session_id": live.ID, "ticket": tok(3)}).Want(t, http.StatusCreated)
	stranger := k.User(t, org, "sup-"+testkit.Slug("x"), "supervisor")
	k.Do(t, "POST", path, k.Login(t, org.Tenant.Slug, stranger.Username), map[string]any{"session_id": live.ID, "ticket": tok(3)}).
		Want(t, http.StatusForbidden)
	k.Do(t, "POST", path, org.Tokens["evaluator"], map[string]any{"session_id": live.ID, "ticket": tok(3)}).Want(t, http.StatusForbidden)
	k.Do(t, "POST", path, otherOrg.Admin, map[string]any{"session_id": live.ID, "ticket": tok(3)}).WantProblem(t, http.StatusNotFound, "not_found")

	// Attendance before the end: present or expected, never absent.
	var att attendanceJSON
	k.Do(t, "GET", "/api/v1/batches/"+e.batch.String()+"/attendance?session_id="+live.ID.String(), org.Tokens["supervisor"], nil).
		Want(t, http.StatusOK).Decode(t, &att)
	if att.Ended || len(att.Items) != 4 {
		t.Fatalf("attendance %+v", att)
	}
	for _, it := range att.Items {
		if it.Status != "present" || it.CheckedInAt == nil {
			t.Fatalf("attendance item %+v", it)
		}
	}
	k.Do(t, "GET", "/api/v1/batches/"+e.batch.String()+"/attendance", org.Admin, nil).Want(t, http.StatusBadRequest)
}

// TestCheckInWindow: the service's clock decides, from 60 minutes before the start until the end.
func TestCheckInWindow(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k)
	s := site(t, k, org, 5)
	e := closedBatch(t, k, org, 1, false)
	start := time.Now().UTC().Truncate(time.Second).Add(240 * time.Hour)
	ss := session(t, k, e, "theory", start, start.Add(2*time.Hour), s.Rooms[0].ID)
	arrange(t, k, e, "sequential", "")
	ctx := tenants.WithActor(tenants.WithScope(context.Background(), tenants.Scope{TenantID: org.Tenant.ID, Kind: org.Tenant.Kind}),
		tenants.Actor{UserID: org.Users["staff"].ID, Name: "staff", Roles: []string{"staff"}})
	for _, c := range []struct {
		at   time.Time
		open bool
	}{
		{start.Add(-61 * time.Minute), false},
		{start.Add(-60 * time.Minute), true},
		{start.Add(time.Hour), true},
		{start.Add(2*time.Hour - time.Microsecond), true},
		{start.Add(2 * time.Hour), false},
	} {
		svc := k.Server.Exams.Exams.WithClock(func() time.Time { return c.at })
		_, err := svc.CheckIn(ctx, e.batch, exams.CheckInInput{SessionID: ss.ID, IDNumber: e.idNums[0]})
		if c.open && err != nil || !c.open && err != exams.ErrCheckInClosed {
			t.Errorf("at start%+v: %v", c.at.Sub(start), err)
		}
	}
}

// TestAbsence end to end: after a session ends, a seated application without a check-in is absent
// for its method — attendance says so, a score for it is 422 absent, the application reads result
// "absent" (never pass, also after results), and the results reported to the regulator carry it.
func TestAbsence(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k)
	s := site(t, k, org, 10)
	e := closedBatch(t, k, org, 3, false)
	now := time.Now().UTC().Truncate(time.Second)
	// Theory is over; practical is running.
	theory := session(t, k, e, "theory", now.Add(-3*time.Hour), now.Add(-30*time.Minute), s.Rooms[0].ID)
	practical := session(t, k, e, "practical", now.Add(-20*time.Minute), now.Add(3*time.Hour), s.Rooms[0].ID)
	arrange(t, k, e, "sequential", "")
	// Check-ins of the theory session, recorded while it ran (the service clock set back).
	ctx := tenants.WithActor(tenants.WithScope(context.Background(), tenants.Scope{TenantID: org.Tenant.ID, Kind: org.Tenant.Kind}),
		tenants.Actor{UserID: org.Users["staff"].ID, Name: "staff", Roles: []string{"staff"}})
	during := k.Server.Exams.Exams.WithClock(func() time.Time { return now.Add(-2 * time.Hour) })
	if _, err := during.CheckIn(ctx, e.batch, exams.CheckInInput{SessionID: theory.ID, IDNumber: e.idNums[0]}); err != nil {
		t.Fatal(err)
	}
	// After the end nobody else gets in.
	k.Do(t, "POST", "/api/v1/batches/"+e.batch.String()+"/check-ins", org.Admin, map[string]any{"session_id": theory.ID, "id_number": e.idNums[1]}).
		WantProblem(t, http.StatusUnprocessableEntity, "check_in_closed")
	for _, i := range []int{0, 1, 2} {
		k.Do(t, "POST", "/api/v1/batches/"+e.batch.String()+"/check-ins", org.Admin, map[string]any{"session_id": practical.ID, "id_number": e.idNums[i]}).
			Want(t, http.StatusCreated)
	}

	var att attendanceJSON
	k.Do(t, "GET", "/api/v1/batches/"+e.batch.String()+"/attendance?session_id="+theory.ID.String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &att)
	status := map[uuid.UUID]string{}
	for _, it := range att.Items {
		status[it.ApplicationID] = it.Status
	}
	if !att.Ended || status[e.apps[0]] != "present" || status[e.apps[1]] != "absent" || status[e.apps[2]] != "absent" {
		t.Fatalf("attendance %+v", att)
	}

	ev := org.Tokens["evaluator"]
	scores := func(app uuid.UUID, body map[string]any) *testkit.Response {
		return k.Do(t, "PUT", "/api/v1/applications/"+app.String()+"/scores", ev, body)
	}
	scores(e.apps[1], map[string]any{"theory": 90}).WantProblem(t, http.StatusUnprocessableEntity, "absent")
	scores(e.apps[1], map[string]any{"theory": 90, "practical": 90}).WantProblem(t, http.StatusUnprocessableEntity, "absent")
	var app struct {
		Result *string `json:"result"`
	}
	scores(e.apps[1], map[string]any{"practical": 95}).Want(t, http.StatusOK).Decode(t, &app)
	if app.Result == nil || *app.Result != "absent" {
		t.Fatalf("an absent candidate's result after a score: %v", app.Result)
	}
	scores(e.apps[0], map[string]any{"theory": 80, "practical": 85}).Want(t, http.StatusOK).Decode(t, &app)
	if app.Result == nil || *app.Result != "pass" {
		t.Fatalf("a present candidate's result: %v", app.Result)
	}
	k.Do(t, "GET", "/api/v1/applications/"+e.apps[2].String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &app)
	if app.Result == nil || *app.Result != "absent" {
		t.Fatalf("an absent application reads %v", app.Result)
	}
	var list struct {
		Items []struct {
			ID     uuid.UUID `json:"id"`
			Result *string   `json:"result"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/batches/"+e.batch.String()+"/applications", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &list)
	got := map[uuid.UUID]string{}
	for _, it := range list.Items {
		if it.Result != nil {
			got[it.ID] = *it.Result
		}
	}
	if got[e.apps[0]] != "pass" || got[e.apps[1]] != "absent" || got[e.apps[2]] != "absent" {
		t.Fatalf("list results %v", got)
	}

	// Results: the absentees are reported with them and never pass.
	k.Do(t, "POST", "/api/v1/batches/"+e.batch.String()+"/results/publish", org.Admin, nil).Want(t, http.StatusOK)
	k.Do(t, "GET", "/api/v1/applications/"+e.apps[1].String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &app)
	if app.Result == nil || *app.Result != "absent" {
		t.Fatalf("after results an absent application reads %v", app.Result)
	}
	var payload struct {
		Passed    int `json:"passed"`
		Absent    int `json:"absent"`
		Absentees []struct {
			ApplicationID uuid.UUID `json:"application_id"`
			Methods       []string  `json:"methods"`
		} `json:"absentees"`
	}
	var raw []byte
	if err := k.DB.NewSelect().Table("report_outbox").Column("payload").
		Where("subject_id = ? AND kind = 'results.published'", e.batch.String()).Scan(context.Background(), &raw); err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal(raw, &payload); err != nil {
		t.Fatal(err)
	}
	if payload.Passed != 1 || payload.Absent != 2 || len(payload.Absentees) != 2 || payload.Absentees[0].Methods[0] != "theory" {
		t.Fatalf("reported %s", raw)
	}
	k.Do(t, "POST", "/api/v1/batches/"+e.batch.String()+"/finalize", org.Admin, nil).Want(t, http.StatusOK)
	var passes struct {
		Items []struct {
			ApplicationID uuid.UUID `json:"application_id"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/batches/"+e.batch.String()+"/passes", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &passes)
	if len(passes.Items) != 1 || passes.Items[0].ApplicationID != e.apps[0] {
		t.Fatalf("passes %+v", passes)
	}
}

// TestRegulatorReads: a regulator over the institution's region reads arrangement and attendance and
// can write nothing; one over another region gets 404.
func TestRegulatorReads(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k)
	s := site(t, k, org, 5)
	e := closedBatch(t, k, org, 2, false)
	now := time.Now().UTC().Truncate(time.Second)
	ss := session(t, k, e, "theory", now.Add(-time.Hour), now.Add(time.Hour), s.Rooms[0].ID)
	arrange(t, k, e, "shuffled", "abc")
	reg := regulator(t, k)
	far := k.Tenant(t, tenants.KindRegulator, "310000") // Shanghai
	base := "/api/v1/oversight/institutions/" + org.Tenant.ID.String() + "/batches/" + e.batch.String()

	var a arrangementJSON
	k.Do(t, "GET", base+"/arrangement", reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &a)
	if a.Seed != "abc" || len(a.Seats) != 2 {
		t.Fatalf("regulator's arrangement %+v", a)
	}
	var att attendanceJSON
	k.Do(t, "GET", base+"/attendance?session_id="+ss.ID.String(), reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &att)
	if len(att.Items) != 2 || att.Items[0].Status != "expected" {
		t.Fatalf("regulator's attendance %+v", att)
	}
	k.Do(t, "GET", base+"/arrangement", far.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "GET", base+"/attendance?session_id="+ss.ID.String(), far.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	// Another institution's batch id under this institution: 404.
	other := institution(t, k)
	oe := closedBatch(t, k, other, 0, false)
	k.Do(t, "GET", "/api/v1/oversight/institutions/"+org.Tenant.ID.String()+"/batches/"+oe.batch.String()+"/arrangement", reg.Admin, nil).
		WantProblem(t, http.StatusNotFound, "not_found")
	// Read only: every write of exams answers a regulator 403; institutions may not use the oversight reads.
	for _, w := range []struct{ method, path string }{
		{"POST", "/api/v1/batches/" + e.batch.String() + "/arrangement"},
		{"POST", "/api/v1/batches/" + e.batch.String() + "/check-ins"},
		{"POST", "/api/v1/exam-sites"},
		{"DELETE", "/api/v1/batches/" + e.batch.String() + "/tickets"},
	} {
		k.Do(t, w.method, w.path, reg.Admin, map[string]any{"mode": "sequential"}).Want(t, http.StatusForbidden)
	}
	k.Do(t, "GET", base+"/arrangement", org.Admin, nil).Want(t, http.StatusForbidden)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
