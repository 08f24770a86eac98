package exams_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/tenants"
)

type noSupervisors struct{}

func (noSupervisors) IsSupervisor(context.Context, uuid.UUID, uuid.UUID) (bool, error) {
	return false, nil
}

type noJurisdictions struct{}

func (noJurisdictions) Jurisdiction(context.Context, tenants.Scope) ([]uuid.UUID, error) {
	return nil, nil
}

// TestDevModeSQLite runs exam administration on the embedded dev database: a site, sessions with their
// overlap rules, both arrangements, a check-in and the absence that follows a session's end.
func TestDevModeSQLite(t *testing.T) {
	ctx := context.Background()
	db := dbtest.SQLite(t)
	tenantID, batchID := uuid.New(), uuid.New()
	now := time.Now().UTC().Truncate(time.Second)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.NewRaw(q, args...).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	exec("INSERT INTO tenants (id, slug, name, kind, region_code, status) VALUES (?, 'dev-inst', 'dev', 'enterprise', '110105', 'active')", tenantID)
	exec(`INSERT INTO batches (id, tenant_id, occupation_code, occupation_name, level, title, methods, pass_marks, exam_start,
		application_deadline, venue, fee_fen, capacity, publicity_days, rule_set, status, created_at, updated_at)
		VALUES (?, ?, '6-31-01-03', '电工', 4, 'dev', '["theory","practical"]', '{"theory":60,"practical":60}', ?, ?, 'v', 0, 100, 0, 'std-2018', 'closed', ?, ?)`,
		batchID, tenantID, now, now, now, now)
	var apps []uuid.UUID
	for i := range 6 {
		id := uuid.New()
		apps = append(apps, id)
		exec(`INSERT INTO applications (id, tenant_id, batch_id, candidate_id, candidate_name, id_type, id_number, status,
			eligibility_passed, eligibility_rule, eligibility, theory_exempt, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'resident_id', ?, 'eligible', 1, 'dev', '{}', ?, ?, ?)`,
			id, tenantID, batchID, uuid.New(), fmt.Sprintf("考生%d", i), fmt.Sprintf("ID%04d", i), i == 5, now.Add(time.Duration(i)*time.Second), now)
	}
	svc, err := exams.NewService(db, exams.Deps{Supervisors: noSupervisors{}, Jurisdictions: noJurisdictions{}, TicketKey: exams.TicketKey([]byte("dev secret"))})
	if err != nil {
		t.Fatal(err)
	}
	sctx := tenants.WithActor(tenants.WithScope(ctx, tenants.Scope{TenantID: tenantID, Kind: tenants.KindEnterprise}),
		tenants.Actor{UserID: uuid.New(), Name: "staff", Roles: []string{"staff"}})

	site, err := svc.CreateSite(sctx, exams.SiteInput{Name: "考点", Address: "地址", Rooms: []exams.RoomInput{
		{Name: "一", Kind: exams.RoomTheory, Seats: 4}, {Name: "二", Kind: exams.RoomTheory, Seats: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := site.Rooms[0].ID, site.Rooms[1].ID
	ended, err := svc.CreateSession(sctx, batchID, exams.SessionInput{Method: batches.MethodTheory, StartsAt: now.Add(-3 * time.Hour), EndsAt: now.Add(-time.Hour), RoomIDs: []uuid.UUID{r1, r2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in   exams.SessionInput
		want error
	}{
		{exams.SessionInput{Method: batches.MethodTheory, StartsAt: now.Add(-2 * time.Hour), EndsAt: now, RoomIDs: []uuid.UUID{r2}}, exams.ErrSessionOverlap},
		{exams.SessionInput{Method: batches.MethodPractical, StartsAt: now.Add(-2 * time.Hour), EndsAt: now, RoomIDs: []uuid.UUID{r1}}, exams.ErrRoomBusy},
	} {
		if _, err := svc.CreateSession(sctx, batchID, c.in); !errors.Is(err, c.want) {
			t.Fatalf("%+v: %v, want %v", c.in, err, c.want)
		}
	}
	live, err := svc.CreateSession(sctx, batchID, exams.SessionInput{Method: batches.MethodPractical, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour), RoomIDs: []uuid.UUID{r1, r2}})
	if err != nil {
		t.Fatal(err)
	}
	seq, err := svc.Arrange(sctx, batchID, exams.ArrangeInput{Mode: exams.ModeSequential})
	if err != nil {
		t.Fatal(err)
	}
	if len(seq.Seats) != 5+6 {
		t.Fatalf("%d seats", len(seq.Seats))
	}
	a1, err := svc.Arrange(sctx, batchID, exams.ArrangeInput{Mode: exams.ModeShuffled, Seed: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := svc.Arrange(sctx, batchID, exams.ArrangeInput{Mode: exams.ModeShuffled, Seed: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a1.Seats {
		if a1.Seats[i] != a2.Seats[i] || a1.Seats[i].TicketNumber == "" {
			t.Fatalf("seed dev twice: %+v %+v", a1.Seats[i], a2.Seats[i])
		}
	}
	ci, err := svc.CheckIn(sctx, batchID, exams.CheckInInput{SessionID: live.ID, IDNumber: "id0000"})
	if err != nil || !ci.Created || ci.ApplicationID != apps[0] {
		t.Fatalf("check-in %+v %v", ci, err)
	}
	again, err := svc.CheckIn(sctx, batchID, exams.CheckInInput{SessionID: live.ID, IDNumber: "ID0000"})
	if err != nil || again.Created || !again.CheckedInAt.Equal(ci.CheckedInAt) {
		t.Fatalf("again %+v %v", again, err)
	}
	att, err := svc.Attendance(sctx, batchID, ended.ID)
	if err != nil || !att.Ended || len(att.Items) != 5 || att.Items[0].Status != exams.Absent {
		t.Fatalf("attendance %+v %v", att, err)
	}
	var absent map[uuid.UUID][]batches.Method
	if err := tenants.WithTx(sctx, db, func(ctx context.Context, tx bun.Tx) error {
		absent, err = svc.Absentees(ctx, tx, batchID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(absent) != 5 || absent[apps[5]] != nil || absent[apps[0]][0] != batches.MethodTheory {
		t.Fatalf("absentees %v", absent)
	}
}
