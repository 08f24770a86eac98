package batches

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/platform"
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

// batchColumns are the columns of a batch as getBatchPG reads them, each with where it lands in a
// batchRow (jsonb columns arrive as text and are decoded after the scan).
var batchColumns = []struct {
	column string
	dest   func(r *batchRow, j *batchJSONCols) any
}{
	{"id", func(r *batchRow, _ *batchJSONCols) any { return platform.UUIDDest{P: &r.ID} }},
	{"tenant_id", func(r *batchRow, _ *batchJSONCols) any { return platform.UUIDDest{P: &r.TenantID} }},
	{"occupation_code", func(r *batchRow, _ *batchJSONCols) any { return &r.OccupationCode }},
	{"occupation_name", func(r *batchRow, _ *batchJSONCols) any { return &r.OccupationName }},
	{"subtype", func(r *batchRow, _ *batchJSONCols) any { return &r.Subtype }},
	{"level", func(r *batchRow, _ *batchJSONCols) any { return &r.Level }},
	{"title", func(r *batchRow, _ *batchJSONCols) any { return &r.Title }},
	{"methods::text", func(_ *batchRow, j *batchJSONCols) any { return &j.Methods }},
	{"pass_marks::text", func(_ *batchRow, j *batchJSONCols) any { return &j.PassMarks }},
	{"exam_start", func(r *batchRow, _ *batchJSONCols) any { return &r.ExamStart }},
	{"exam_end", func(r *batchRow, _ *batchJSONCols) any { return &r.ExamEnd }},
	{"application_deadline", func(r *batchRow, _ *batchJSONCols) any { return &r.ApplicationDeadline }},
	{"venue", func(r *batchRow, _ *batchJSONCols) any { return &r.Venue }},
	{"fee_fen", func(r *batchRow, _ *batchJSONCols) any { return &r.FeeFen }},
	{"capacity", func(r *batchRow, _ *batchJSONCols) any { return &r.Capacity }},
	{"publicity_days", func(r *batchRow, _ *batchJSONCols) any { return &r.PublicityDays }},
	{"min_evaluators", func(r *batchRow, _ *batchJSONCols) any { return &r.MinEvaluators }},
	{"rule_set", func(r *batchRow, _ *batchJSONCols) any { return &r.RuleSet }},
	{"filing_id", func(r *batchRow, _ *batchJSONCols) any { return platform.NullUUIDDest{P: &r.FilingID} }},
	{"status", func(r *batchRow, _ *batchJSONCols) any { return &r.Status }},
	{"results_late", func(r *batchRow, _ *batchJSONCols) any { return &r.ResultsLate }},
	{"cancel_reason", func(r *batchRow, _ *batchJSONCols) any { return &r.CancelReason }},
	{"published_at", func(r *batchRow, _ *batchJSONCols) any { return &r.PublishedAt }},
	{"closed_at", func(r *batchRow, _ *batchJSONCols) any { return &r.ClosedAt }},
	{"results_published_at", func(r *batchRow, _ *batchJSONCols) any { return &r.ResultsPublishedAt }},
	{"publicity_ends_at", func(r *batchRow, _ *batchJSONCols) any { return &r.PublicityEndsAt }},
	{"finalized_at", func(r *batchRow, _ *batchJSONCols) any { return &r.FinalizedAt }},
	{"cancelled_at", func(r *batchRow, _ *batchJSONCols) any { return &r.CancelledAt }},
	{"created_by", func(r *batchRow, _ *batchJSONCols) any { return platform.NullUUIDDest{P: &r.CreatedBy} }},
	{"created_at", func(r *batchRow, _ *batchJSONCols) any { return &r.CreatedAt }},
	{"updated_at", func(r *batchRow, _ *batchJSONCols) any { return &r.UpdatedAt }},
}

// batchJSONCols holds a batch's jsonb columns as read, before decoding.
type batchJSONCols struct{ Methods, PassMarks string }

// getBatchQuery is getBatchPG's statement (constant text: prepared once per connection).
var getBatchQuery = func() string {
	cols := make([]string, len(batchColumns))
	for i, c := range batchColumns {
		cols[i] = c.column
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM batches WHERE tenant_id = $1 AND id = $2"
}()

// getBatchPG is getBatch in one round trip on PostgreSQL outside a transaction (tenants.QueryPG): the
// batch page and its applications page read the batch on every view.
func getBatchPG(ctx context.Context, db *bun.DB, tenantID, id uuid.UUID) (Batch, error) {
	q, get := batchPGQuery(tenantID, id)
	if err := tenants.QueryPGMany(ctx, db, q); err != nil {
		return Batch{}, err
	}
	return get()
}

// batchPGQuery is the query of one batch for tenants.QueryPGMany, and how to get the batch it read.
func batchPGQuery(tenantID, id uuid.UUID) (tenants.PGQuery, func() (Batch, error)) {
	var r batchRow
	var j batchJSONCols
	dests := make([]any, len(batchColumns))
	for i, c := range batchColumns {
		dests[i] = c.dest(&r, &j)
	}
	found := false
	q := tenants.PGQuery{SQL: getBatchQuery, Args: []any{tenantID, id}, Scan: func(rows pgx.Rows) error {
		found = true
		return rows.Scan(dests...)
	}}
	return q, func() (Batch, error) {
		if !found {
			return Batch{}, ErrBatchNotFound
		}
		if err := json.Unmarshal([]byte(j.Methods), &r.Methods); err != nil {
			return Batch{}, fmt.Errorf("batches: methods of %s: %w", id, err)
		}
		if err := json.Unmarshal([]byte(j.PassMarks), &r.PassMarks); err != nil {
			return Batch{}, fmt.Errorf("batches: pass marks of %s: %w", id, err)
		}
		return r.batch(), nil
	}
}

// BatchApplications is Get and ListApplications in one read: the batch and a page of its applications
// (one round trip on PostgreSQL, as the console's applications page needs both on every view). The
// rules are theirs: 404 for another tenant's batch or one an evaluator-only reader does not evaluate.
func (s *Service) BatchApplications(ctx context.Context, batchID uuid.UUID, req platform.PageRequest, f ApplicationFilter) (Batch, platform.Page[Application], error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return Batch{}, platform.Page[Application]{}, err
	}
	if _, only := evaluatorOnly(ctx); only || !tenants.CanQueryPG(ctx, s.db) {
		b, err := s.Get(ctx, batchID)
		if err != nil {
			return Batch{}, platform.Page[Application]{}, err
		}
		p, err := s.ListApplications(ctx, batchID, req, f)
		return b, p, err
	}
	pq, err := applicationQueryOf(sc.TenantID, req, f)
	if err != nil {
		return Batch{}, platform.Page[Application]{}, err
	}
	pq.Batch = &batchID
	bq, get := batchPGQuery(sc.TenantID, batchID)
	aq, apps := applicationsPGQuery(pq)
	if err := tenants.QueryPGMany(ctx, s.db, bq, aq); err != nil {
		return Batch{}, platform.Page[Application]{}, err
	}
	b, err := get()
	if err != nil {
		return Batch{}, platform.Page[Application]{}, err
	}
	return b, platform.CutPage(*apps, req, applicationCursor), nil
}
