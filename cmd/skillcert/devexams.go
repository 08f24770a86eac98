package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// seedDemoExams gives the demo enterprise an arranged exam (考务): a closed batch of eight
// candidates, an exam site with two theory rooms and a practical room, a theory and a practical
// session, a shuffled seat arrangement (seed 2026, reproducible) and its admission tickets, which the
// dev worker renders once it starts (with a CJK font installed). The demo login "candidate" is the
// first of them (李娜), so her portal's 我的准考证 shows her ticket.
func seedDemoExams(ctx context.Context, r *runtime) error {
	lc := r.srv.Lifecycle
	t, err := r.srv.Directory.BySlug(ctx, "acme")
	if err != nil {
		return err
	}
	ictx := tenants.WithActor(tenants.WithScope(ctx, scopeOf(t)), tenants.Actor{Name: "system:dev-seed", Roles: []string{"admin"}})
	users, err := r.srv.Identity.ListUsers(ictx, platform.PageRequest{Limit: 100})
	if err != nil {
		return err
	}
	byName := map[string]uuid.UUID{}
	for _, u := range users.Items {
		byName[u.Username] = u.ID
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	examDay := today.AddDate(0, 0, 20)
	b, err := lc.Batches.Create(ictx, batches.NewBatch{OccupationCode: "6-31-01-03", Level: 4,
		Title: "电工四级/中级工认定（考务演示）", Methods: []batches.Method{batches.MethodTheory, batches.MethodPractical},
		ExamStart: examDay, ApplicationDeadline: today.AddDate(0, 0, 10), Venue: "北京市朝阳区示例路 1 号",
		FeeFen: 30000, Capacity: 100, PassMarks: map[batches.Method]float64{batches.MethodTheory: 60, batches.MethodPractical: 60}})
	if err != nil {
		return fmt.Errorf("demo exam batch: %w", err)
	}
	if _, err := lc.Batches.Publish(ictx, b.ID); err != nil {
		return fmt.Errorf("publishing the demo exam batch: %w", err)
	}
	for j, name := range []string{"李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴艳"} {
		body := fmt.Sprintf("110105198805%02d%03d", j+1, 21+j)
		check, err := candidates.ResidentIDCheckChar(body)
		if err != nil {
			return err
		}
		obtained := today.AddDate(-3, 0, 0)
		c, err := lc.Candidates.Create(ictx, candidates.Input{Name: name, IDNumber: body + string(check), Education: "senior_high",
			OccupationYears: 7, CurrentLevel: 5, CurrentLevelObtainedOn: &obtained, Phone: "13800000000"})
		if err != nil {
			return fmt.Errorf("demo candidate %s: %w", name, err)
		}
		if _, err := lc.Batches.Apply(ictx, b.ID, batches.NewApplication{CandidateID: c.ID}); err != nil {
			return fmt.Errorf("demo application of %s: %w", name, err)
		}
		if j == 0 { // the demo login "candidate" is 李娜: 我的准考证 shows her ticket
			if err := lc.Candidates.LinkLogin(ictx, c.ID, byName["candidate"]); err != nil {
				return fmt.Errorf("linking the demo candidate login to %s: %w", name, err)
			}
		}
	}
	if _, err := lc.Batches.AssignEvaluators(ictx, b.ID, []uuid.UUID{byName["evaluator"]}, nil); err != nil {
		return fmt.Errorf("demo evaluators: %w", err)
	}
	if _, err := lc.Batches.AssignSupervisors(ictx, b.ID, []uuid.UUID{byName["supervisor"]}); err != nil {
		return fmt.Errorf("demo supervisors: %w", err)
	}
	if _, err := lc.Batches.Close(ictx, b.ID); err != nil {
		return fmt.Errorf("closing the demo exam batch: %w", err)
	}
	ex := r.srv.Exams
	site, err := ex.Exams.CreateSite(ictx, exams.SiteInput{Name: "朝阳考点", Address: "北京市朝阳区示例路 1 号实训楼",
		Rooms: []exams.RoomInput{{Name: "第1考场", Kind: exams.RoomTheory, Seats: 5}, {Name: "第2考场", Kind: exams.RoomTheory, Seats: 5},
			{Name: "实操室A", Kind: exams.RoomPractical, Seats: 10}}})
	if err != nil {
		return fmt.Errorf("demo exam site: %w", err)
	}
	nine := examDay.Add(time.Hour) // 09:00 in China
	if _, err := ex.Exams.CreateSession(ictx, b.ID, exams.SessionInput{Method: batches.MethodTheory, StartsAt: nine,
		EndsAt: nine.Add(90 * time.Minute), RoomIDs: []uuid.UUID{site.Rooms[0].ID, site.Rooms[1].ID}}); err != nil {
		return fmt.Errorf("demo theory session: %w", err)
	}
	if _, err := ex.Exams.CreateSession(ictx, b.ID, exams.SessionInput{Method: batches.MethodPractical, StartsAt: nine.Add(5 * time.Hour),
		EndsAt: nine.Add(7 * time.Hour), RoomIDs: []uuid.UUID{site.Rooms[2].ID}}); err != nil {
		return fmt.Errorf("demo practical session: %w", err)
	}
	if _, err := ex.Exams.Arrange(ictx, b.ID, exams.ArrangeInput{Mode: exams.ModeShuffled, Seed: "2026"}); err != nil {
		return fmt.Errorf("demo arrangement: %w", err)
	}
	if _, err := ex.Documents.IssueTickets(ictx, b.ID); err != nil {
		return fmt.Errorf("demo tickets: %w", err)
	}
	return nil
}
