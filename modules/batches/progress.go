package batches

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/tenants"
)

// Progress is where a batch's work stands, counted in one read: its applications by status, the
// admitted ones still missing a score, those paid and held, and its open objections. The console's
// step flow says from it what is missing before the next step.
type Progress struct {
	Applications   int                       // every application
	ByStatus       map[ApplicationStatus]int // per status (absent: none)
	Admitted       int                       // eligible or approved: sit the exam and are scored
	Unscored       int                       // admitted without a result yet (a method's score missing)
	Passed, Failed int                       // admitted with a result
	Paid           int                       // fee marked paid
	Held           int                       // held by an objection
	OpenObjections int
	Objections     int
}

// Reviewed is how many applications a reviewer decided (approved or rejected).
func (p Progress) Reviewed() int { return p.ByStatus[AppApproved] + p.ByStatus[AppRejected] }

// Progress counts a batch's applications and objections (see Progress). Like Get, another tenant's
// batch, or one an evaluator-only reader is not assigned to, is 404.
func (s *Service) Progress(ctx context.Context, batchID uuid.UUID) (Progress, error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{ByStatus: map[ApplicationStatus]int{}}
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := checkEvaluates(ctx, tx, sc.TenantID, batchID, ErrBatchNotFound); err != nil {
			return err
		}
		if _, err := getBatch(ctx, tx, sc.TenantID, batchID, false); err != nil {
			return err
		}
		return countProgress(ctx, tx, sc.TenantID, batchID, &p)
	})
	return p, err
}

// countProgress fills p with two grouped counts (applications by status, objections by status).
func countProgress(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, p *Progress) error {
	var apps []struct {
		Status   string `bun:"status"`
		N        int    `bun:"n"`
		Unscored int    `bun:"unscored"`
		Passed   int    `bun:"passed"`
		Failed   int    `bun:"failed"`
		Paid     int    `bun:"paid"`
		Held     int    `bun:"held"`
	}
	err := db.NewSelect().TableExpr("applications").ColumnExpr("status").ColumnExpr("count(*) AS n").
		ColumnExpr("sum(CASE WHEN result IS NULL OR result = '' THEN 1 ELSE 0 END) AS unscored").
		ColumnExpr("sum(CASE WHEN result = ? THEN 1 ELSE 0 END) AS passed", string(ResultPass)).
		ColumnExpr("sum(CASE WHEN result = ? THEN 1 ELSE 0 END) AS failed", string(ResultFail)).
		ColumnExpr("sum(CASE WHEN paid_at IS NULL THEN 0 ELSE 1 END) AS paid").
		ColumnExpr("sum(CASE WHEN held THEN 1 ELSE 0 END) AS held").
		Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).GroupExpr("status").Scan(ctx, &apps)
	if err != nil {
		return err
	}
	for _, r := range apps {
		st := ApplicationStatus(r.Status)
		p.ByStatus[st] = r.N
		p.Applications += r.N
		p.Paid += r.Paid
		p.Held += r.Held
		if st.Admitted() {
			p.Admitted += r.N
			p.Unscored += r.Unscored
			p.Passed += r.Passed
			p.Failed += r.Failed
		}
	}
	var objs []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	err = db.NewSelect().TableExpr("objections").ColumnExpr("status").ColumnExpr("count(*) AS n").
		Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).GroupExpr("status").Scan(ctx, &objs)
	if err != nil {
		return err
	}
	for _, r := range objs {
		p.Objections += r.N
		if ObjectionStatus(r.Status) == ObjectionOpen {
			p.OpenObjections += r.N
		}
	}
	return nil
}

// Decisions returns the full eligibility decisions of the given applications of a batch in one read
// (a list page carries only the summary; the console shows an ineligible row's reasons from these).
// Ids not of the batch are left out.
func (s *Service) Decisions(ctx context.Context, batchID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]eligibility.Decision, error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]eligibility.Decision, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := checkEvaluates(ctx, tx, sc.TenantID, batchID, ErrBatchNotFound); err != nil {
			return err
		}
		var rows []applicationRow
		if err := tx.NewSelect().Model(&rows).Column("id", "eligibility").
			Where("tenant_id = ? AND batch_id = ? AND id IN (?)", sc.TenantID, batchID, bun.In(ids)).Scan(ctx); err != nil {
			return err
		}
		for _, r := range rows {
			if r.Eligibility != nil {
				out[r.ID] = *r.Eligibility
			}
		}
		return nil
	})
	return out, err
}

// PathText is how the rule set words a path to qualify (the path an eligible application passed by),
// in Chinese and English; "" for an unknown rule set or path.
func (s *Service) PathText(ruleSet, path string) (zh, en string) {
	rs, err := s.deps.Rules.Get(ruleSet)
	if err != nil {
		return "", ""
	}
	for _, lr := range rs.Levels {
		for _, p := range lr.Paths {
			if p.ID == path {
				return p.ZH, p.EN
			}
		}
	}
	return "", ""
}
