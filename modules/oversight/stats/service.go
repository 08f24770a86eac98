package stats

import (
	"context"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/oversight/facts"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Service computes statistics.
type Service struct {
	base  core.Base
	stars Ratings
}

// Ratings gives the star rating (1–5) of every institution in a jurisdiction, inside the regulator's
// oversight transaction (supervision's monitoring scores).
type Ratings interface {
	Stars(ctx context.Context, tx bun.IDB, j core.Jurisdiction) (map[uuid.UUID]int, error)
}

// New returns the service; stars may be nil (no breakdown by star rating).
func New(base core.Base, stars Ratings) *Service { return &Service{base: base, stars: stars} }

// statsSource is where the certificate statistics come from: the summary table the dispatcher keeps
// (one row per institution, occupation, level and month). Statistics never scan certificates: a
// province's figures are a GROUP BY over a table hundreds of times smaller, and they are the figures
// as reported, which reconciliation keeps honest.
const statsSource = facts.CertStatsTable

// Compute computes the statistics of the regulator's jurisdiction: certificates by occupation, level,
// month and institution; pass rates; results published late. withRows adds the full breakdown (for
// exports).
func (s *Service) Compute(ctx context.Context, f Filter, withRows bool) (Stats, error) {
	if err := f.Validate(); err != nil {
		return Stats{}, err
	}
	st := Stats{ByOccupation: []OccupationCount{}, ByLevel: []LevelCount{}, ByMonth: []MonthCount{},
		ByInstitution: []InstitutionCount{}, PassRates: []PassRate{}, PassRatesByInst: []PassRate{}, Late: []LateResult{},
		Districts: []string{}, ByStars: []StarCount{}}
	err := s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		if f.InstitutionID != uuid.Nil {
			if err := j.Require(f.InstitutionID); err != nil {
				return err
			}
		}
		if len(j.IDs) == 0 {
			return nil
		}
		names, err := core.Tenants(ctx, tx, j.IDs)
		if err != nil {
			return err
		}
		st.Districts = districts(names)
		ids := j.IDs
		if f.District != "" || f.InstitutionKind != "" {
			ids = nil
			for _, id := range j.IDs {
				if f.keeps(names[id]) {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				return nil
			}
		}
		st.Institutions = len(ids)
		if s.stars != nil {
			stars, err := s.stars.Stars(ctx, tx, j)
			if err != nil {
				return err
			}
			st.ByStars = starCounts(stars, ids)
		}
		sel := func(cols, group string) *bun.SelectQuery {
			q := tx.NewSelect().TableExpr(statsSource).
				ColumnExpr(cols + ", coalesce(sum(issued), 0) AS issued, coalesce(sum(revoked), 0) AS revoked")
			q = f.apply(q, ids, "month")
			if group != "" {
				q = q.GroupExpr(group).OrderExpr(group)
			}
			return q
		}
		var insts []institutionSum
		if platform.IsPostgres(tx) {
			insts, err = groupingSets(ctx, tx, f, ids, &st)
		} else {
			insts, err = groupEach(ctx, sel, &st)
		}
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
				st.Rows = append(st.Rows, Row{InstitutionID: r.TenantID, InstitutionName: names[r.TenantID].Name,
					OccupationCode: r.OccupationCode, Level: r.Level, Month: r.Month.UTC().Format("2006-01"), CertCount: r.CertCount})
			}
		}
		st.fillValid()
		return resultStats(ctx, tx, ids, f, names, &st)
	})
	return st, err
}

// resultStats adds pass rates and late results from the batch facts (batches whose results were
// published; the month filter applies to the publication month).
func resultStats(ctx context.Context, tx bun.Tx, ids []uuid.UUID, f Filter, names map[uuid.UUID]tenants.Tenant, st *Stats) error {
	base := func(cols string) *bun.SelectQuery {
		q := tx.NewSelect().TableExpr(facts.BatchFactsTable).ColumnExpr(cols).Where("results_published_at IS NOT NULL")
		return f.apply(q, ids, "results_published_at")
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
	var late []facts.BatchFact
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
			lr.PublishedOn = core.DayOf(*b.ResultsPublishedAt).Format(time.DateOnly)
		}
		st.Late = append(st.Late, lr)
	}
	return nil
}

type institutionSum struct {
	TenantID uuid.UUID `bun:"tenant_id,type:uuid"`
	CertCount
}

// groupingSets computes the total and the four breakdowns in one pass over the summary (PostgreSQL).
func groupingSets(ctx context.Context, tx bun.Tx, f Filter, ids []uuid.UUID, st *Stats) ([]institutionSum, error) {
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

// districts lists the region codes of the institutions in names, in order: the district filter's
// choices.
func districts(names map[uuid.UUID]tenants.Tenant) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, t := range names {
		if t.RegionCode != "" && !seen[t.RegionCode] {
			seen[t.RegionCode] = true
			out = append(out, t.RegionCode)
		}
	}
	sort.Strings(out)
	return out
}

// starCounts counts the institutions ids by star rating, from 5 stars down (every rating listed).
func starCounts(stars map[uuid.UUID]int, ids []uuid.UUID) []StarCount {
	out := make([]StarCount, 5)
	for i := range out {
		out[i].Stars = 5 - i
	}
	for _, id := range ids {
		if n, ok := stars[id]; ok && n >= 1 && n <= 5 {
			out[5-n].Institutions++
		}
	}
	return out
}
