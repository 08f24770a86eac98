package main

import (
	"context"
	"fmt"
	"time"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/tenants"
)

// seedDemoLifecycle gives the demo institutions something to look at: a filing for 电工 (electrician)
// approved by the Beijing regulator, a few candidates, and an open batch with applications at the
// enterprise and an open, publicly announced batch at the social organization.
func seedDemoLifecycle(ctx context.Context, r *runtime) error {
	lc := r.srv.Lifecycle
	ctxOf := func(slug string) (context.Context, error) {
		t, err := r.srv.Directory.BySlug(ctx, slug)
		if err != nil {
			return nil, err
		}
		return tenants.WithActor(tenants.WithScope(ctx, scopeOf(t)), tenants.Actor{Name: "system:dev-seed"}), nil
	}
	regulator, err := ctxOf("bj-hrss")
	if err != nil {
		return err
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for i, slug := range []string{"acme", "skills-academy"} {
		ictx, err := ctxOf(slug)
		if err != nil {
			return err
		}
		f, err := lc.Filings.Submit(ictx, []filings.ScopeRequest{{OccupationCode: "6-31-01-03", Levels: []int{5, 4, 3}}})
		if err != nil {
			return fmt.Errorf("demo filing of %s: %w", slug, err)
		}
		if _, err := lc.Filings.Decide(regulator, f.ID, filings.Decision{Decision: filings.DecisionApprove,
			EvaluatorCode: "0000", SiteSerial: fmt.Sprintf("%06d", 101+i), ValidFrom: today, Note: "演示数据 demo"}); err != nil {
			return fmt.Errorf("demo filing decision for %s: %w", slug, err)
		}
		b, err := lc.Batches.Create(ictx, batches.NewBatch{OccupationCode: "6-31-01-03", Level: 4,
			Title: "电工四级/中级工认定（演示）", Methods: []batches.Method{batches.MethodTheory, batches.MethodPractical},
			ExamStart: today.AddDate(0, 0, 40), ApplicationDeadline: today.AddDate(0, 0, 30), Venue: "北京市朝阳区示例路 1 号",
			FeeFen: 30000, Capacity: 100, PassMarks: map[batches.Method]float64{batches.MethodTheory: 60, batches.MethodPractical: 60}})
		if err != nil {
			return fmt.Errorf("demo batch of %s: %w", slug, err)
		}
		if _, err := lc.Batches.Publish(ictx, b.ID); err != nil {
			return fmt.Errorf("publishing the demo batch of %s: %w", slug, err)
		}
		if slug != "acme" {
			continue
		}
		for j, name := range []string{"张伟", "王芳", "阿卜杜·热合曼"} {
			body := fmt.Sprintf("110105199003%02d%03d", j+1, 11+j) // region, birth date, sequence
			check, err := candidates.ResidentIDCheckChar(body)
			if err != nil {
				return err
			}
			obtained := today.AddDate(-3, 0, 0)
			c, err := lc.Candidates.Create(ictx, candidates.Input{Name: name, IDNumber: body + string(check), Education: "senior_high",
				OccupationYears: 6, CurrentLevel: 5, CurrentLevelObtainedOn: &obtained, Phone: "13800000000"})
			if err != nil {
				return fmt.Errorf("demo candidate %s: %w", name, err)
			}
			if _, err := lc.Batches.Apply(ictx, b.ID, batches.NewApplication{CandidateID: c.ID}); err != nil {
				return fmt.Errorf("demo application of %s: %w", name, err)
			}
		}
	}
	return nil
}
