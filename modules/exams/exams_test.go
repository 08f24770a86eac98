package exams_test

import (
	"context"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestSitesAndRooms: a site is created with its rooms (1–500 seats), read and listed in its tenant
// only, and replaced: rooms sent with their id kept, new ones added, left-out ones removed — unless a
// session uses them (409 room_in_use).
func TestSitesAndRooms(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k)
	other := k.Tenant(t, tenants.KindEnterprise, "110105")

	for _, seats := range []int{0, 501, -1} {
		k.Do(t, "POST", "/api/v1/exam-sites", org.Admin, map[string]any{"name": "A", "address": "B",
			"rooms": []map[string]any{{"name": "R", "kind": "theory", "seats": seats}}}).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	}
	k.Do(t, "POST", "/api/v1/exam-sites", org.Admin, map[string]any{"name": "A", "address": "B",
		"rooms": []map[string]any{{"name": "R", "kind": "kitchen", "seats": 3}}}).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	k.Do(t, "POST", "/api/v1/exam-sites", org.Tokens["evaluator"], map[string]any{"name": "A", "address": "B"}).Want(t, http.StatusForbidden)

	s := site(t, k, org, 1, 500, 30)
	if len(s.Rooms) != 3 || s.Rooms[0].Seats != 1 || s.Rooms[1].Seats != 500 || s.Rooms[0].ID == uuid.Nil || s.Address == "" {
		t.Fatalf("site %+v", s)
	}
	var got siteJSON
	k.Do(t, "GET", "/api/v1/exam-sites/"+s.ID.String(), org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &got)
	if got.ID != s.ID || len(got.Rooms) != 3 {
		t.Fatalf("get %+v", got)
	}
	k.Do(t, "GET", "/api/v1/exam-sites/"+s.ID.String(), other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	var page struct {
		Items []siteJSON `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/exam-sites", other.Admin, nil).Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) != 0 {
		t.Fatalf("another tenant lists %d sites", len(page.Items))
	}
	k.Do(t, "GET", "/api/v1/exam-sites", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) != 1 || len(page.Items[0].Rooms) != 3 {
		t.Fatalf("list %+v", page)
	}

	// Replace: keep room 1 (renamed, more seats), drop room 2, keep 3, add one.
	var put siteJSON
	k.Do(t, "PUT", "/api/v1/exam-sites/"+s.ID.String(), org.Admin, map[string]any{"name": "朝阳考点（新）", "address": "新址",
		"rooms": []map[string]any{
			{"id": s.Rooms[0].ID, "name": "一考场", "kind": "computer", "seats": 40},
			{"id": s.Rooms[2].ID, "name": "三考场", "kind": "theory", "seats": 30},
			{"name": "新考场", "kind": "practical", "seats": 12},
		}}).Want(t, http.StatusOK).Decode(t, &put)
	if len(put.Rooms) != 3 || put.Rooms[0].ID != s.Rooms[0].ID || put.Rooms[0].Seats != 40 || put.Rooms[0].Kind != "computer" ||
		put.Rooms[1].ID != s.Rooms[2].ID || put.Rooms[2].Name != "新考场" || put.Rooms[2].ID == uuid.Nil || put.Name != "朝阳考点（新）" {
		t.Fatalf("replaced %+v", put)
	}
	// A room id of another site is refused.
	k.Do(t, "PUT", "/api/v1/exam-sites/"+s.ID.String(), org.Admin, map[string]any{"name": "x", "address": "y",
		"rooms": []map[string]any{{"id": uuid.New(), "name": "?", "kind": "theory", "seats": 3}}}).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")

	// A room a session uses cannot be removed.
	e := closedBatch(t, k, org, 1, false)
	now := time.Now().UTC().Truncate(time.Second)
	session(t, k, e, "theory", now.Add(48*time.Hour), now.Add(50*time.Hour), put.Rooms[0].ID)
	k.Do(t, "PUT", "/api/v1/exam-sites/"+s.ID.String(), org.Admin, map[string]any{"name": "x", "address": "y",
		"rooms": []map[string]any{{"id": put.Rooms[1].ID, "name": "三考场", "kind": "theory", "seats": 30}}}).
		WantProblem(t, http.StatusConflict, "room_in_use")
}

// TestSessionOverlapAndRoomBusy: [starts_at, ends_at) intervals; a batch's sessions of one method never
// overlap, a room is never in two overlapping sessions of the tenant; touching intervals are fine.
func TestSessionOverlapAndRoomBusy(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k)
	s := site(t, k, org, 30, 30, 30, 30)
	r1, r2, r3, r4 := s.Rooms[0].ID, s.Rooms[1].ID, s.Rooms[2].ID, s.Rooms[3].ID
	a := closedBatch(t, k, org, 0, false)
	b := closedBatch(t, k, org, 0, false)
	day := time.Now().UTC().Truncate(time.Hour).Add(72 * time.Hour)
	h := func(n int) time.Time { return day.Add(time.Duration(n) * time.Hour) }
	session(t, k, a, "theory", h(9), h(11), r1)

	for _, c := range []struct {
		name   string
		e      *exam
		method string
		from   time.Time
		to     time.Time
		rooms  []uuid.UUID
		status int
		code   string
	}{
		{"same batch and method, overlapping", a, "theory", h(10), h(12), []uuid.UUID{r2}, 409, "session_overlap"},
		{"same batch and method, inside", a, "theory", h(9).Add(30 * time.Minute), h(10), []uuid.UUID{r2}, 409, "session_overlap"},
		{"same room, other batch, overlapping", b, "theory", h(10), h(12), []uuid.UUID{r1}, 409, "room_busy"},
		{"same room among others, other method", a, "practical", h(8), h(10), []uuid.UUID{r3, r1}, 409, "room_busy"},
		{"method unknown to the batch", a, "thesis_defense", h(20), h(21), []uuid.UUID{r3}, 422, "validation_failed"},
		{"ends before it starts", a, "practical", h(12), h(11), []uuid.UUID{r3}, 422, "validation_failed"},
		{"a room of another tenant", a, "practical", h(12), h(13), []uuid.UUID{uuid.New()}, 422, "validation_failed"},
		{"same batch and method, touching", a, "theory", h(11), h(12), []uuid.UUID{r1}, 201, ""},
		{"other method, same time, other room", a, "practical", h(9), h(11), []uuid.UUID{r2}, 201, ""},
		{"same room, other batch, touching", b, "theory", h(12), h(13), []uuid.UUID{r1}, 201, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := k.Do(t, "POST", "/api/v1/batches/"+c.e.batch.String()+"/sessions", org.Admin, sessionBody(c.method, c.from, c.to, c.rooms...))
			if c.status == 201 {
				res.Want(t, http.StatusCreated)
				return
			}
			res.WantProblem(t, c.status, c.code)
		})
	}

	// Replacing a session checks the same, against the others only.
	var list struct {
		Items []sessionJSON `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/batches/"+a.batch.String()+"/sessions", org.Tokens["supervisor"], nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 3 || list.Items[0].StartsAt.After(list.Items[1].StartsAt) {
		t.Fatalf("sessions %+v", list.Items)
	}
	first := list.Items[0]
	k.Do(t, "PUT", "/api/v1/batches/"+a.batch.String()+"/sessions/"+first.ID.String(), org.Admin,
		sessionBody(first.Method, first.StartsAt, first.EndsAt.Add(30*time.Minute), r4)).Want(t, http.StatusOK)
	k.Do(t, "PUT", "/api/v1/batches/"+a.batch.String()+"/sessions/"+first.ID.String(), org.Admin,
		sessionBody("theory", first.StartsAt, first.EndsAt.Add(2*time.Hour), r4)).WantProblem(t, http.StatusConflict, "session_overlap")

	// Concurrent double booking: many batches try one room at one time; exactly one wins.
	var es []*exam
	for range 6 {
		es = append(es, closedBatch(t, k, org, 0, false))
	}
	var wg sync.WaitGroup
	codes := make([]int, len(es))
	for i, e := range es {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := k.Do(t, "POST", "/api/v1/batches/"+e.batch.String()+"/sessions", org.Admin, sessionBody("theory", h(30), h(32), r3))
			codes[i] = res.Status
			if res.Status == http.StatusConflict && res.Code() != "room_busy" {
				t.Errorf("a concurrent booking failed with %s", res.Code())
			}
		}()
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			won++
		case http.StatusConflict:
		default:
			t.Errorf("a concurrent booking answered %d", c)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent bookings of one room won: %v", won, codes)
	}
	// And the same within a batch and method, on different rooms: one session wins.
	e := closedBatch(t, k, org, 0, false)
	rooms := []uuid.UUID{r1, r2, r3, r4}
	codes = make([]int, len(rooms))
	for i, r := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := k.Do(t, "POST", "/api/v1/batches/"+e.batch.String()+"/sessions", org.Admin, sessionBody("practical", h(40), h(41), r))
			codes[i] = res.Status
		}()
	}
	wg.Wait()
	won = 0
	for _, c := range codes {
		if c == http.StatusCreated {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent overlapping sessions of one batch and method: %v", won, codes)
	}
}

var ticketNumberRE = regexp.MustCompile(`^20[0-9]{2}[0-9]{4}[0-9]{5}$`)

// TestArrangement through the API: only for closed batches, 422 on too few seats, sequential in
// application order, shuffled reproducible from its (drawn) seed, exempt applications without a theory
// seat, ticket numbers unique and kept, a seat moved (audited), frozen by tickets until they are deleted.
func TestArrangement(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k)
	s := site(t, k, org, 3, 4)
	e := closedBatch(t, k, org, 6, true)
	day := time.Now().UTC().Truncate(time.Hour).Add(96 * time.Hour)
	path := "/api/v1/batches/" + e.batch.String()

	k.Do(t, "POST", path+"/arrangement", org.Admin, arrangeBody("sequential", "")).WantProblem(t, http.StatusUnprocessableEntity, "no_sessions")
	theory := session(t, k, e, "theory", day, day.Add(2*time.Hour), s.Rooms[0].ID) // 3 seats for 6 takers
	k.Do(t, "POST", path+"/arrangement", org.Admin, arrangeBody("sequential", "")).WantProblem(t, http.StatusUnprocessableEntity, "insufficient_seats")
	k.Do(t, "GET", path+"/arrangement", org.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "PUT", path+"/sessions/"+theory.ID.String(), org.Admin, sessionBody("theory", day, day.Add(2*time.Hour), s.Rooms[0].ID, s.Rooms[1].ID)).
		Want(t, http.StatusOK)
	practical := session(t, k, e, "practical", day.Add(3*time.Hour), day.Add(5*time.Hour), s.Rooms[1].ID, s.Rooms[0].ID) // 7 seats for 7
	k.Do(t, "POST", path+"/arrangement", org.Tokens["evaluator"], arrangeBody("sequential", "")).Want(t, http.StatusForbidden)

	seq := arrange(t, k, e, "sequential", "")
	if seq.Mode != "sequential" || seq.Seed != "" || len(seq.Seats) != 6+7 {
		t.Fatalf("sequential: %s %q %d seats", seq.Mode, seq.Seed, len(seq.Seats))
	}
	numbers := map[uuid.UUID]string{}
	taken := map[string]uuid.UUID{}
	for _, st := range seq.Seats {
		if st.ApplicationID == e.exempt && st.SessionID == theory.ID {
			t.Fatal("the theory-exempt application got a theory seat")
		}
		if !ticketNumberRE.MatchString(st.TicketNumber) {
			t.Fatalf("ticket number %q", st.TicketNumber)
		}
		if n, ok := numbers[st.ApplicationID]; ok && n != st.TicketNumber {
			t.Fatalf("two ticket numbers for one application: %s %s", n, st.TicketNumber)
		}
		if a, ok := taken[st.TicketNumber]; ok && a != st.ApplicationID {
			t.Fatalf("ticket number %s given twice", st.TicketNumber)
		}
		numbers[st.ApplicationID], taken[st.TicketNumber] = st.TicketNumber, st.ApplicationID
	}
	// Sequential: theory in application order, room 1 (3 seats) then room 2.
	for i, st := range seq.Seats[:6] {
		room, seat := s.Rooms[0].ID, i+1
		if i >= 3 {
			room, seat = s.Rooms[1].ID, i-2
		}
		if st.SessionID != theory.ID || st.ApplicationID != e.apps[i] || st.RoomID != room || st.Seat != seat {
			t.Fatalf("sequential theory seat %d: %+v", i, st)
		}
	}
	if seq.Seats[6].SessionID != practical.ID || seq.Seats[6].RoomID != s.Rooms[1].ID || seq.Seats[6].ApplicationID != e.apps[0] {
		t.Fatalf("practical starts with %+v", seq.Seats[6])
	}

	shuffled := arrange(t, k, e, "shuffled", "")
	if shuffled.Mode != "shuffled" || len(shuffled.Seed) < 8 || len(shuffled.Seats) != 13 {
		t.Fatalf("shuffled: %s %q %d", shuffled.Mode, shuffled.Seed, len(shuffled.Seats))
	}
	again := arrange(t, k, e, "shuffled", shuffled.Seed)
	var stored arrangementJSON
	k.Do(t, "GET", path+"/arrangement", org.Tokens["supervisor"], nil).Want(t, http.StatusOK).Decode(t, &stored)
	for i := range shuffled.Seats {
		if shuffled.Seats[i] != again.Seats[i] || again.Seats[i] != stored.Seats[i] {
			t.Fatalf("seed %s gave other seats: %+v / %+v / %+v", shuffled.Seed, shuffled.Seats[i], again.Seats[i], stored.Seats[i])
		}
		if numbers[shuffled.Seats[i].ApplicationID] != shuffled.Seats[i].TicketNumber {
			t.Fatal("re-arranging changed a ticket number")
		}
	}

	// Moving a seat: to a free seat of the session's room, audited; a taken seat is 409.
	var occupied struct {
		room uuid.UUID
		seat int
	}
	mover := e.apps[0]
	for _, st := range stored.Seats {
		if st.SessionID == practical.ID && st.ApplicationID != mover {
			occupied.room, occupied.seat = st.RoomID, st.Seat
		}
	}
	k.Do(t, "PUT", path+"/arrangement/seats/"+mover.String(), org.Admin, map[string]any{"session_id": practical.ID, "room_id": occupied.room, "seat": occupied.seat}).
		WantProblem(t, http.StatusConflict, "seat_taken")
	k.Do(t, "PUT", path+"/arrangement/seats/"+mover.String(), org.Admin, map[string]any{"session_id": theory.ID, "room_id": s.Rooms[1].ID, "seat": 5}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed") // room 2 has 4 seats
	var theoryFree struct {
		room uuid.UUID
		seat int
	}
	theoryUsed := map[[2]any]bool{}
	for _, st := range stored.Seats {
		if st.SessionID == theory.ID {
			theoryUsed[[2]any{st.RoomID, st.Seat}] = true
		}
	}
	for _, r := range s.Rooms {
		for n := 1; n <= r.Seats; n++ {
			if !theoryUsed[[2]any{r.ID, n}] {
				theoryFree.room, theoryFree.seat = r.ID, n
			}
		}
	}
	var moved seatJSON
	k.Do(t, "PUT", path+"/arrangement/seats/"+mover.String(), org.Admin, map[string]any{"session_id": theory.ID, "room_id": theoryFree.room, "seat": theoryFree.seat}).
		Want(t, http.StatusOK).Decode(t, &moved)
	if moved.RoomID != theoryFree.room || moved.Seat != theoryFree.seat || moved.TicketNumber != numbers[mover] {
		t.Fatalf("moved %+v", moved)
	}
	var actions []string
	if err := k.DB.NewSelect().Table("audit_log").Column("action").Where("tenant_id = ? AND action LIKE 'exam_arrangement.%'", org.Tenant.ID).
		OrderExpr("seq").Scan(context.Background(), &actions); err != nil {
		t.Fatal(err)
	}
	if len(actions) != 4 || actions[3] != "exam_arrangement.move_seat" {
		t.Fatalf("audited %v", actions)
	}
	var seeds []string
	if err := k.DB.NewSelect().Table("audit_log").ColumnExpr("after->>'seed'").Where("tenant_id = ? AND action = 'exam_arrangement.arrange'", org.Tenant.ID).
		OrderExpr("seq").Scan(context.Background(), &seeds); err != nil {
		t.Fatal(err)
	}
	if len(seeds) != 3 || seeds[1] != shuffled.Seed {
		t.Fatalf("audited seeds %v", seeds)
	}

	// Tickets freeze the arrangement and the sessions until deleted.
	now := time.Now()
	for _, a := range e.apps {
		if _, err := k.DB.ExecContext(context.Background(), `INSERT INTO exam_tickets (tenant_id, batch_id, application_id,
			ticket_number, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
			org.Tenant.ID, e.batch, a, numbers[a], now, now); err != nil {
			t.Fatal(err)
		}
	}
	k.Do(t, "POST", path+"/arrangement", org.Admin, arrangeBody("sequential", "")).WantProblem(t, http.StatusConflict, "tickets_issued")
	k.Do(t, "PUT", path+"/arrangement/seats/"+mover.String(), org.Admin, map[string]any{"session_id": theory.ID, "room_id": theoryFree.room, "seat": theoryFree.seat}).
		WantProblem(t, http.StatusConflict, "tickets_issued")
	k.Do(t, "PUT", path+"/sessions/"+theory.ID.String(), org.Admin, sessionBody("theory", day, day.Add(time.Hour), s.Rooms[0].ID)).
		WantProblem(t, http.StatusConflict, "tickets_issued")
	k.Do(t, "DELETE", path+"/sessions/"+practical.ID.String(), org.Admin, nil).WantProblem(t, http.StatusConflict, "tickets_issued")
	k.Do(t, "POST", path+"/sessions", org.Admin, sessionBody("practical", day.Add(20*time.Hour), day.Add(21*time.Hour), s.Rooms[0].ID)).
		WantProblem(t, http.StatusConflict, "tickets_issued")
	k.Do(t, "DELETE", path+"/tickets", org.Tokens["evaluator"], nil).Want(t, http.StatusForbidden)
	k.Do(t, "DELETE", path+"/tickets", org.Admin, nil).Want(t, http.StatusNoContent)
	after := arrange(t, k, e, "shuffled", shuffled.Seed)
	for i := range after.Seats {
		if after.Seats[i] != shuffled.Seats[i] {
			t.Fatal("the same seed after un-freezing gave other seats")
		}
	}
	// Deleting a session forgets the arrangement; ticket numbers stay.
	k.Do(t, "DELETE", path+"/sessions/"+practical.ID.String(), org.Admin, nil).Want(t, http.StatusNoContent)
	k.Do(t, "GET", path+"/arrangement", org.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	last := arrange(t, k, e, "sequential", "")
	for _, st := range last.Seats {
		if st.TicketNumber != numbers[st.ApplicationID] || st.SessionID != theory.ID {
			t.Fatalf("after deleting a session: %+v", st)
		}
	}

	// Only a closed batch is arranged.
	open := closedBatch(t, k, org, 0, false)
	k.Do(t, "POST", "/api/v1/batches/"+open.batch.String()+"/results/publish", org.Admin, nil).Want(t, http.StatusOK)
	k.Do(t, "POST", "/api/v1/batches/"+open.batch.String()+"/arrangement", org.Admin, arrangeBody("sequential", "")).
		WantProblem(t, http.StatusConflict, "invalid_state")
	// Another tenant sees nothing.
	other := k.Tenant(t, tenants.KindEnterprise, "110105")
	k.Do(t, "GET", path+"/arrangement", other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "POST", path+"/arrangement", other.Admin, arrangeBody("sequential", "")).WantProblem(t, http.StatusNotFound, "not_found")
}

// TestTicketNumbersAreUniqueAcrossBatches: two batches of a tenant get different batch codes, so their
// numbers never meet.
func TestTicketNumbersAreUniqueAcrossBatches(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k)
	s := site(t, k, org, 10)
	day := time.Now().UTC().Truncate(time.Hour).Add(120 * time.Hour)
	seen := map[string]bool{}
	for i := range 3 {
		e := closedBatch(t, k, org, 2, false)
		from := day.Add(time.Duration(3*i) * time.Hour)
		session(t, k, e, "theory", from, from.Add(time.Hour), s.Rooms[0].ID)
		for _, st := range arrange(t, k, e, "sequential", "").Seats {
			if seen[st.TicketNumber] {
				t.Fatalf("ticket number %s in two batches", st.TicketNumber)
			}
			seen[st.TicketNumber] = true
		}
	}
	if len(seen) != 6 {
		t.Fatalf("%d numbers", len(seen))
	}
}
