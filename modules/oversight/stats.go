package oversight

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
)

// StatsFilter narrows the statistics: months From..To inclusive (first days of months; zero: open),
// one occupation, level or institution.
type StatsFilter struct {
	From, To       time.Time
	OccupationCode string
	Level          int
	InstitutionID  uuid.UUID
}

// CertCount is a number of certificates issued and revoked in a group.
type CertCount struct {
	Issued  int64 `json:"issued"`
	Revoked int64 `json:"revoked"`
	Valid   int64 `json:"valid"`
}

// OccupationCount, LevelCount, MonthCount and InstitutionCount are CertCount per group.
type (
	OccupationCount struct {
		OccupationCode string `json:"occupation_code"`
		CertCount
	}
	LevelCount struct {
		Level int `json:"level"`
		CertCount
	}
	MonthCount struct {
		Month string `json:"month"` // YYYY-MM
		CertCount
	}
	InstitutionCount struct {
		InstitutionID uuid.UUID `json:"institution_id"`
		Name          string    `json:"name"`
		CertCount
	}
)

// StatsRow is one cell of the full breakdown (institution × occupation × level × month): the export.
type StatsRow struct {
	InstitutionID   uuid.UUID `json:"institution_id"`
	InstitutionName string    `json:"institution_name"`
	OccupationCode  string    `json:"occupation_code"`
	Level           int       `json:"level"`
	Month           string    `json:"month"`
	CertCount
}

// PassRate is the pass rate of the batches whose results were published in a group.
type PassRate struct {
	InstitutionID  *uuid.UUID `json:"institution_id,omitempty"`
	Name           string     `json:"name,omitempty"`
	OccupationCode string     `json:"occupation_code"`
	Level          int        `json:"level"`
	Batches        int        `json:"batches"`
	Candidates     int64      `json:"candidates"`
	Passed         int64      `json:"passed"`
	Rate           float64    `json:"rate"`
}

// LateResult is a batch whose results were published after they were due.
type LateResult struct {
	InstitutionID  uuid.UUID `json:"institution_id"`
	Name           string    `json:"name"`
	BatchID        string    `json:"batch_id"`
	OccupationCode string    `json:"occupation_code"`
	Level          int       `json:"level"`
	ExamEnd        string    `json:"exam_end"`
	DueOn          string    `json:"due_on"`
	PublishedOn    string    `json:"published_on"`
}

// Stats are the statistics of a regulator's jurisdiction.
type Stats struct {
	Total           CertCount          `json:"total"`
	ByOccupation    []OccupationCount  `json:"by_occupation"`
	ByLevel         []LevelCount       `json:"by_level"`
	ByMonth         []MonthCount       `json:"by_month"`
	ByInstitution   []InstitutionCount `json:"by_institution"`
	PassRates       []PassRate         `json:"pass_rates"`
	PassRatesByInst []PassRate         `json:"pass_rates_by_institution"`
	ResultsBatches  int                `json:"results_published_batches"`
	LateResults     int                `json:"late_results"`
	Late            []LateResult       `json:"late"`
	Rows            []StatsRow         `json:"-"` // the full breakdown, for exports
}

// statsSource is where the certificate statistics come from: the summary table the dispatcher keeps
// (one row per institution, occupation, level and month). Statistics never scan certificates: a
// province's figures are a GROUP BY over a table hundreds of times smaller, and they are the figures
// as reported, which reconciliation keeps honest.
const statsSource = "oversight_cert_stats"

func (f StatsFilter) apply(q *bun.SelectQuery, ids []uuid.UUID, monthCol string) *bun.SelectQuery {
	q = q.Where("tenant_id IN (?)", bun.In(ids))
	if f.InstitutionID != uuid.Nil {
		q = q.Where("tenant_id = ?", f.InstitutionID)
	}
	if f.OccupationCode != "" {
		q = q.Where("occupation_code = ?", f.OccupationCode)
	}
	if f.Level != 0 {
		q = q.Where("level = ?", f.Level)
	}
	if monthCol != "" && !f.From.IsZero() {
		q = q.Where(monthCol+" >= ?", f.From)
	}
	if monthCol != "" && !f.To.IsZero() {
		q = q.Where(monthCol+" < ?", f.To.AddDate(0, 1, 0))
	}
	return q
}

// Stats computes the statistics of the regulator's jurisdiction: certificates by occupation, level,
// month and institution; pass rates; results published late. withRows adds the full breakdown (for
// exports).
func (s *Service) Stats(ctx context.Context, f StatsFilter, withRows bool) (Stats, error) {
	st := Stats{ByOccupation: []OccupationCount{}, ByLevel: []LevelCount{}, ByMonth: []MonthCount{},
		ByInstitution: []InstitutionCount{}, PassRates: []PassRate{}, PassRatesByInst: []PassRate{}, Late: []LateResult{}}
	err := s.oversee(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		if f.InstitutionID != uuid.Nil {
			if err := j.require(f.InstitutionID); err != nil {
				return err
			}
		}
		if len(j.ids) == 0 {
			return nil
		}
		sel := func(cols, group string) *bun.SelectQuery {
			q := tx.NewSelect().TableExpr(statsSource).
				ColumnExpr(cols + ", coalesce(sum(issued), 0) AS issued, coalesce(sum(revoked), 0) AS revoked")
			q = f.apply(q, j.ids, "month")
			if group != "" {
				q = q.GroupExpr(group).OrderExpr(group)
			}
			return q
		}
		var insts []institutionSum
		var err error
		if platform.IsPostgres(tx) {
			insts, err = groupingSets(ctx, tx, f, j.ids, &st)
		} else {
			insts, err = groupEach(ctx, sel, &st)
		}
		if err != nil {
			return err
		}
		names, err := institutionNames(ctx, tx, j.ids)
		if err != nil {
			return err
		}
		for _, in := range insts {
			st.ByInstitution = append(st.ByInstitution, InstitutionCount{InstitutionID: in.TenantID, Name: names[in.TenantID].Name, CertCount: in.CertCount})
		}
		if withRows {
			var rows []struct {
				TenantID       uuid.UUID `bun:"tenant_id,type:uuid"`
				OccupationCode string    `bun:"occupation_code"`
				Level          int       `bun:"level"`
				Month          time.Time `bun:"month"`
				CertCount
			}
			if err := sel("tenant_id, occupation_code, level, month", "tenant_id, occupation_code, level, month").Scan(ctx, &rows); err != nil {
				return err
			}
			for _, r := range rows {
				st.Rows = append(st.Rows, StatsRow{InstitutionID: r.TenantID, InstitutionName: names[r.TenantID].Name,
					OccupationCode: r.OccupationCode, Level: r.Level, Month: r.Month.UTC().Format("2006-01"), CertCount: r.CertCount})
			}
		}
		st.fillValid()
		return s.resultStats(ctx, tx, j, f, names, &st)
	})
	return st, err
}

func (st *Stats) fillValid() {
	st.Total.Valid = st.Total.Issued - st.Total.Revoked
	for i := range st.ByOccupation {
		st.ByOccupation[i].Valid = st.ByOccupation[i].Issued - st.ByOccupation[i].Revoked
	}
	for i := range st.ByLevel {
		st.ByLevel[i].Valid = st.ByLevel[i].Issued - st.ByLevel[i].Revoked
	}
	for i := range st.ByMonth {
		st.ByMonth[i].Valid = st.ByMonth[i].Issued - st.ByMonth[i].Revoked
	}
	for i := range st.ByInstitution {
		st.ByInstitution[i].Valid = st.ByInstitution[i].Issued - st.ByInstitution[i].Revoked
	}
	for i := range st.Rows {
		st.Rows[i].Valid = st.Rows[i].Issued - st.Rows[i].Revoked
	}
}

// resultStats adds pass rates and late results from the batch facts (batches whose results were
// published; the month filter applies to the publication month).
func (s *Service) resultStats(ctx context.Context, tx bun.Tx, j jurisdiction, f StatsFilter, names map[uuid.UUID]tenantRow, st *Stats) error {
	base := func(cols string) *bun.SelectQuery {
		q := tx.NewSelect().TableExpr("oversight_batch_facts").ColumnExpr(cols).Where("results_published_at IS NOT NULL")
		return f.apply(q, j.ids, "results_published_at")
	}
	var rates []struct {
		TenantID       uuid.UUID `bun:"tenant_id,type:uuid"`
		OccupationCode string    `bun:"occupation_code"`
		Level          int       `bun:"level"`
		Batches        int       `bun:"batches"`
		Candidates     int64     `bun:"candidates"`
		Passed         int64     `bun:"passed"`
	}
	if err := base("tenant_id, occupation_code, level, count(*) AS batches, sum(candidates) AS candidates, sum(passed) AS passed").
		GroupExpr("tenant_id, occupation_code, level").OrderExpr("occupation_code, level, tenant_id").Scan(ctx, &rates); err != nil {
		return err
	}
	type key struct {
		occ   string
		level int
	}
	agg := map[key]*PassRate{}
	var order []key
	for _, r := range rates {
		id := r.TenantID
		st.PassRatesByInst = append(st.PassRatesByInst, PassRate{InstitutionID: &id, Name: names[id].Name, OccupationCode: r.OccupationCode,
			Level: r.Level, Batches: r.Batches, Candidates: r.Candidates, Passed: r.Passed, Rate: rate(r.Passed, r.Candidates)})
		k := key{r.OccupationCode, r.Level}
		a, ok := agg[k]
		if !ok {
			a = &PassRate{OccupationCode: k.occ, Level: k.level}
			agg[k] = a
			order = append(order, k)
		}
		a.Batches += r.Batches
		a.Candidates += r.Candidates
		a.Passed += r.Passed
		st.ResultsBatches += r.Batches
	}
	for _, k := range order {
		a := agg[k]
		a.Rate = rate(a.Passed, a.Candidates)
		st.PassRates = append(st.PassRates, *a)
	}
	var late []batchFactRow
	if err := base("*").Where("results_late").OrderExpr("results_published_at DESC").Limit(200).Scan(ctx, &late); err != nil {
		return err
	}
	if err := base("count(*)").Where("results_late").Scan(ctx, &st.LateResults); err != nil {
		return err
	}
	for _, b := range late {
		lr := LateResult{InstitutionID: b.TenantID, Name: names[b.TenantID].Name, BatchID: b.BatchID, OccupationCode: b.OccupationCode, Level: b.Level}
		if b.ExamEnd != nil {
			lr.ExamEnd = b.ExamEnd.UTC().Format(time.DateOnly)
		}
		if b.ResultsDueOn != nil {
			lr.DueOn = b.ResultsDueOn.UTC().Format(time.DateOnly)
		}
		if b.ResultsPublishedAt != nil {
			lr.PublishedOn = dayOf(*b.ResultsPublishedAt).Format(time.DateOnly)
		}
		st.Late = append(st.Late, lr)
	}
	return nil
}

func rate(passed, candidates int64) float64 {
	if candidates <= 0 {
		return 0
	}
	return float64(int64(float64(passed)/float64(candidates)*10000+0.5)) / 10000
}

// ParseMonth reads "YYYY-MM" as the first day of that month.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return time.Time{}, platform.E(platform.KindInvalid, "invalid_parameter", "months are written YYYY-MM")
	}
	return t.UTC(), nil
}

type institutionSum struct {
	TenantID uuid.UUID `bun:"tenant_id,type:uuid"`
	CertCount
}

// groupingSets computes the total and the four breakdowns in one pass over the summary (PostgreSQL).
func groupingSets(ctx context.Context, tx bun.Tx, f StatsFilter, ids []uuid.UUID, st *Stats) ([]institutionSum, error) {
	var rows []struct {
		Set            int        `bun:"set"`
		OccupationCode *string    `bun:"occupation_code"`
		Level          *int       `bun:"level"`
		Month          *time.Time `bun:"month"`
		TenantID       *uuid.UUID `bun:"tenant_id,type:uuid"`
		CertCount
	}
	q := tx.NewSelect().TableExpr(statsSource).
		ColumnExpr("grouping(occupation_code, level, month, tenant_id) AS set, occupation_code, level, month, tenant_id").
		ColumnExpr("coalesce(sum(issued), 0) AS issued, coalesce(sum(revoked), 0) AS revoked")
	q = f.apply(q, ids, "month").
		GroupExpr("GROUPING SETS ((occupation_code), (level), (month), (tenant_id), ())").
		OrderExpr("occupation_code, level, month, tenant_id")
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	var insts []institutionSum
	// grouping() sets a bit for each column left out, first column highest: 0b0111 keeps the
	// occupation only, 0b1011 the level, 0b1101 the month, 0b1110 the institution, 0b1111 none.
	for _, r := range rows {
		switch r.Set {
		case 0b0111:
			st.ByOccupation = append(st.ByOccupation, OccupationCount{OccupationCode: *r.OccupationCode, CertCount: r.CertCount})
		case 0b1011:
			st.ByLevel = append(st.ByLevel, LevelCount{Level: *r.Level, CertCount: r.CertCount})
		case 0b1101:
			st.ByMonth = append(st.ByMonth, MonthCount{Month: r.Month.UTC().Format("2006-01"), CertCount: r.CertCount})
		case 0b1110:
			insts = append(insts, institutionSum{TenantID: *r.TenantID, CertCount: r.CertCount})
		case 0b1111:
			st.Total = r.CertCount
		}
	}
	return insts, nil
}

// groupEach computes the total and the breakdowns one query each (SQLite has no grouping sets).
func groupEach(ctx context.Context, sel func(cols, group string) *bun.SelectQuery, st *Stats) ([]institutionSum, error) {
	if err := sel("count(*) AS n", "").Scan(ctx, new(int64), &st.Total.Issued, &st.Total.Revoked); err != nil {
		return nil, err
	}
	if err := sel("occupation_code", "occupation_code").Scan(ctx, &st.ByOccupation); err != nil {
		return nil, err
	}
	if err := sel("level", "level").Scan(ctx, &st.ByLevel); err != nil {
		return nil, err
	}
	var months []struct {
		Month time.Time `bun:"month"`
		CertCount
	}
	if err := sel("month", "month").Scan(ctx, &months); err != nil {
		return nil, err
	}
	for _, m := range months {
		st.ByMonth = append(st.ByMonth, MonthCount{Month: m.Month.UTC().Format("2006-01"), CertCount: m.CertCount})
	}
	var insts []institutionSum
	err := sel("tenant_id", "tenant_id").Scan(ctx, &insts)
	return insts, err
}
