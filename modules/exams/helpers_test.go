package exams_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const electrician = "6-31-01-03"

var (
	regOnce sync.Once
	regOrg  *testkit.Org
)

// regulator is the package's Beijing regulator.
func regulator(t testing.TB, k *testkit.Kit) *testkit.Org {
	t.Helper()
	regOnce.Do(func() { regOrg = k.Tenant(t, tenants.KindRegulator, "110000") })
	return regOrg
}

// institution makes a Chaoyang (Beijing) enterprise with staff, evaluator and supervisor users and an
// approved filing for level 4 electricians.
func institution(t testing.TB, k *testkit.Kit) *testkit.Org {
	t.Helper()
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff", "evaluator", "supervisor", "candidate")
	reg := regulator(t, k)
	var f struct{ ID uuid.UUID }
	k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": electrician, "levels": []int{4}}},
	}).Want(t, http.StatusCreated).Decode(t, &f)
	k.Do(t, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": "000123",
		"valid_from": filings.Day(time.Now()).Format(time.DateOnly), "note": "ok",
	}).Want(t, http.StatusOK)
	return org
}

var idSeq atomic.Int64

// residentID returns a fresh valid resident id number.
func residentID(t testing.TB) string {
	t.Helper()
	n := idSeq.Add(1)
	body := fmt.Sprintf("110105%s%03d", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n/900)).Format("20060102"), n%900+100)
	c, err := candidates.ResidentIDCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// exam is a closed batch of an institution with its admitted applications in application order.
type exam struct {
	org     *testkit.Org
	batch   uuid.UUID
	apps    []uuid.UUID
	idNums  []string
	exempt  uuid.UUID // a theory-exempt application (uuid.Nil unless asked for)
	methods []string
}

// closedBatch makes a level 4 electrician batch (theory and practical) of org with n eligible
// applications (plus one theory-exempt one when exempt), staffed and closed.
func closedBatch(t testing.TB, k *testkit.Kit, org *testkit.Org, n int, exempt bool) *exam {
	t.Helper()
	start := time.Now().AddDate(0, 1, 0).UTC().Truncate(time.Second)
	var b struct{ ID uuid.UUID }
	k.Do(t, "POST", "/api/v1/batches", org.Admin, map[string]any{
		"occupation_code": electrician, "level": 4, "title": "电工四级认定", "methods": []string{"theory", "practical"},
		"exam_start": start.Format(time.RFC3339), "application_deadline": start.AddDate(0, 0, -7).Format(time.RFC3339),
		"venue": "北京市朝阳区实训基地", "fee_fen": 0, "capacity": 1000, "publicity_days": 0,
	}).Want(t, http.StatusCreated).Decode(t, &b)
	e := &exam{org: org, batch: b.ID, methods: []string{"theory", "practical"}}
	path := "/api/v1/batches/" + b.ID.String()
	k.Do(t, "POST", path+"/publish", org.Admin, nil).Want(t, http.StatusOK)
	for i := range n {
		idn := residentID(t)
		c := k.Do(t, "POST", "/api/v1/candidates", org.Admin, map[string]any{"name": fmt.Sprintf("考生%02d", i), "id_type": "resident_id",
			"id_number": idn, "education": "senior_high", "occupation_years": 6, "current_level": 5,
			"current_level_obtained_on": "2020-06-01"}).Want(t, http.StatusCreated).ID(t)
		e.apps = append(e.apps, k.Do(t, "POST", path+"/applications", org.Admin, map[string]any{"candidate_id": c}).Want(t, http.StatusCreated).ID(t))
		e.idNums = append(e.idNums, idn)
	}
	if exempt {
		c := k.Do(t, "POST", "/api/v1/candidates", org.Admin, map[string]any{"name": "免考生", "id_type": "resident_id",
			"id_number": residentID(t), "education": "technical_school", "related_diploma": true, "occupation_years": 1}).
			Want(t, http.StatusCreated).ID(t)
		e.exempt = k.Do(t, "POST", path+"/applications", org.Admin, map[string]any{"candidate_id": c}).Want(t, http.StatusCreated).ID(t)
	}
	k.Do(t, "POST", path+"/evaluators", org.Admin, map[string]any{"user_ids": []string{org.Users["evaluator"].ID.String()}}).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/supervisors", org.Admin, map[string]any{"user_ids": []string{org.Users["supervisor"].ID.String()}}).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/close", org.Admin, nil).Want(t, http.StatusOK)
	return e
}

type roomJSON struct {
	ID    uuid.UUID `json:"id"`
	Name  string    `json:"name"`
	Kind  string    `json:"kind"`
	Seats int       `json:"seats"`
}

type siteJSON struct {
	ID      uuid.UUID  `json:"id"`
	Name    string     `json:"name"`
	Address string     `json:"address"`
	Rooms   []roomJSON `json:"rooms"`
}

// site creates a site of org with rooms of the given seat counts.
func site(t testing.TB, k *testkit.Kit, org *testkit.Org, seats ...int) siteJSON {
	t.Helper()
	var rooms []map[string]any
	for i, n := range seats {
		rooms = append(rooms, map[string]any{"name": fmt.Sprintf("第%d考场", i+1), "kind": "theory", "seats": n})
	}
	var s siteJSON
	k.Do(t, "POST", "/api/v1/exam-sites", org.Admin, map[string]any{"name": "朝阳考点", "address": "北京市朝阳区某路1号", "rooms": rooms}).
		Want(t, http.StatusCreated).Decode(t, &s)
	return s
}

type sessionJSON struct {
	ID       uuid.UUID  `json:"id"`
	Method   string     `json:"method"`
	StartsAt time.Time  `json:"starts_at"`
	EndsAt   time.Time  `json:"ends_at"`
	Rooms    []roomJSON `json:"rooms"`
}

func sessionBody(method string, from, to time.Time, rooms ...uuid.UUID) map[string]any {
	ids := make([]string, len(rooms))
	for i, r := range rooms {
		ids[i] = r.String()
	}
	return map[string]any{"method": method, "starts_at": from.UTC().Format(time.RFC3339), "ends_at": to.UTC().Format(time.RFC3339), "room_ids": ids}
}

// session adds a session to the exam's batch.
func session(t testing.TB, k *testkit.Kit, e *exam, method string, from, to time.Time, rooms ...uuid.UUID) sessionJSON {
	t.Helper()
	var s sessionJSON
	k.Do(t, "POST", "/api/v1/batches/"+e.batch.String()+"/sessions", e.org.Admin, sessionBody(method, from, to, rooms...)).
		Want(t, http.StatusCreated).Decode(t, &s)
	return s
}

type seatJSON struct {
	ApplicationID uuid.UUID `json:"application_id"`
	SessionID     uuid.UUID `json:"session_id"`
	RoomID        uuid.UUID `json:"room_id"`
	Seat          int       `json:"seat"`
	TicketNumber  string    `json:"ticket_number"`
}

type arrangementJSON struct {
	Mode  string     `json:"mode"`
	Seed  string     `json:"seed"`
	Seats []seatJSON `json:"seats"`
}

func arrangeBody(mode, seed string) map[string]any {
	b := map[string]any{"mode": mode}
	if seed != "" {
		b["seed"] = seed
	}
	return b
}

// arrange arranges the exam's batch and decodes the arrangement.
func arrange(t testing.TB, k *testkit.Kit, e *exam, mode, seed string) arrangementJSON {
	t.Helper()
	var a arrangementJSON
	k.Do(t, "POST", "/api/v1/batches/"+e.batch.String()+"/arrangement", e.org.Admin, arrangeBody(mode, seed)).
		Want(t, http.StatusOK).Decode(t, &a)
	return a
}
