package supervision

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/oversight/facts"
	"github.com/skillcert/skillcert/modules/platform"
)

// Scores pages the monitoring scores of every institution in the jurisdiction of the regulator in ctx
// over the last year, worst first. Scores are computed, not stored: the cursor is the offset into
// this ordering.
func (s *Service) Scores(ctx context.Context, req platform.PageRequest) (platform.Page[Score], error) {
	var offset int
	if _, err := platform.DecodeCursor(req.Cursor, &offset); err != nil {
		return platform.Page[Score]{}, err
	}
	if offset < 0 {
		return platform.Page[Score]{}, platform.ErrBadCursor
	}
	var all []Score
	err := s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) (err error) {
		all, err = s.scores(ctx, tx, j)
		return err
	})
	if err != nil {
		return platform.Page[Score]{}, err
	}
	next := platform.EncodeCursor(offset + req.Size())
	return platform.CutPage(all[min(offset, len(all)):], req, func(Score) string { return next }), nil
}

// Score computes one institution's monitoring score (404 outside the jurisdiction).
func (s *Service) Score(ctx context.Context, id uuid.UUID) (Score, error) {
	var out Score
	err := s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		if err := j.Require(id); err != nil {
			return err
		}
		all, err := s.scores(ctx, tx, j)
		for _, sc := range all {
			if sc.InstitutionID == id {
				out = sc
			}
		}
		return err
	})
	return out, err
}

// Stars gives the star rating of every institution in the jurisdiction j, in tx (the regulator's
// oversight transaction): the statistics count institutions by it.
func (s *Service) Stars(ctx context.Context, tx bun.IDB, j core.Jurisdiction) (map[uuid.UUID]int, error) {
	all, err := s.scores(ctx, tx, j)
	out := make(map[uuid.UUID]int, len(all))
	for _, sc := range all {
		out[sc.InstitutionID] = sc.Stars
	}
	return out, err
}

type countBy struct {
	ID uuid.UUID `bun:"id,type:uuid"`
	N  int       `bun:"n"`
}

func (s *Service) scores(ctx context.Context, tx bun.IDB, j core.Jurisdiction) ([]Score, error) {
	out := []Score{}
	if len(j.IDs) == 0 {
		return out, nil
	}
	since := s.base.Now().Add(-scoreWindow)
	counts := map[string]map[uuid.UUID]int{}
	add := func(signal string, rows []countBy) {
		m := map[uuid.UUID]int{}
		for _, r := range rows {
			m[r.ID] = r.N
		}
		counts[signal] = m
	}
	var late, compl []countBy
	if err := tx.NewSelect().TableExpr(facts.BatchFactsTable).ColumnExpr("tenant_id AS id, count(*) AS n").
		Where("tenant_id IN (?)", bun.In(j.IDs)).Where("results_late").Where("results_published_at >= ?", since).
		GroupExpr("tenant_id").Scan(ctx, &late); err != nil {
		return nil, err
	}
	add("late_results", late)
	unsup, err := s.deps.Supervisors.Unsupervised(ctx, tx, j.IDs, since, s.base.Now())
	if err != nil {
		return nil, err
	}
	counts["batches_without_supervisor"] = unsup
	if err := tx.NewSelect().TableExpr("oversight_complaints").ColumnExpr("institution_id AS id, count(*) AS n").
		Where("tenant_id = ?", j.Regulator.TenantID).Where("created_at >= ?", since).
		GroupExpr("institution_id").Scan(ctx, &compl); err != nil {
		return nil, err
	}
	add("complaints", compl)
	recon, err := s.deps.Differences.OpenDifferences(ctx, tx, j.Regulator.TenantID)
	if err != nil {
		return nil, err
	}
	counts["reconciliation_differences"] = recon
	anomalies, err := passRateAnomalies(ctx, tx, j.IDs, since)
	if err != nil {
		return nil, err
	}
	counts["pass_rate_anomalies"] = anomalies

	names, err := core.Tenants(ctx, tx, j.IDs)
	if err != nil {
		return nil, err
	}
	for _, id := range j.IDs {
		sc := Score{InstitutionID: id, Name: names[id].Name, Score: 100, Signals: []Signal{},
			Window: since.Format(time.DateOnly) + "/" + s.base.Now().Format(time.DateOnly)}
		var parts []string
		for _, r := range signalRules {
			n := counts[r.name][id]
			pen := math.Min(float64(n)*r.weight, r.cap)
			sc.Signals = append(sc.Signals, Signal{Name: r.name, Count: n, Weight: r.weight, Cap: r.cap, Penalty: pen, Explanation: r.explain})
			sc.Score -= pen
			if pen > 0 {
				parts = append(parts, fmt.Sprintf("− %g %s (%d × %g, at most %g)", pen, r.name, n, r.weight, r.cap))
			}
		}
		sc.Score = math.Max(sc.Score, 0)
		sc.Stars = stars(sc.Score)
		expl := "100"
		if len(parts) > 0 {
			expl += " " + strings.Join(parts, " ")
		} else {
			expl += " (no signal in the window)"
		}
		sc.Explanation = fmt.Sprintf("%s = %g → %d star(s); stars: 5 from 90, 4 from 75, 3 from 60, 2 from 40, else 1", expl, sc.Score, sc.Stars)
		out = append(out, sc)
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Score != out[b].Score {
			return out[a].Score < out[b].Score
		}
		return out[a].Name < out[b].Name
	})
	return out, nil
}

// passRateAnomalies counts, per institution, batches whose pass rate stands out from the rest of
// the jurisdiction for the same occupation and level.
func passRateAnomalies(ctx context.Context, tx bun.IDB, ids []uuid.UUID, since time.Time) (map[uuid.UUID]int, error) {
	var rows []struct {
		TenantID       uuid.UUID `bun:"tenant_id,type:uuid"`
		OccupationCode string    `bun:"occupation_code"`
		Level          int       `bun:"level"`
		Candidates     int       `bun:"candidates"`
		Passed         int       `bun:"passed"`
	}
	if err := tx.NewSelect().TableExpr(facts.BatchFactsTable).ColumnExpr("tenant_id, occupation_code, level, candidates, passed").
		Where("tenant_id IN (?)", bun.In(ids)).Where("results_published_at >= ?", since).Where("candidates > 0").
		Scan(ctx, &rows); err != nil {
		return nil, err
	}
	type key struct {
		occ   string
		level int
	}
	type tot struct{ c, p int }
	all := map[key]tot{}
	per := map[key]map[uuid.UUID]tot{}
	for _, r := range rows {
		k := key{r.OccupationCode, r.Level}
		t := all[k]
		t.c, t.p = t.c+r.Candidates, t.p+r.Passed
		all[k] = t
		if per[k] == nil {
			per[k] = map[uuid.UUID]tot{}
		}
		pt := per[k][r.TenantID]
		pt.c, pt.p = pt.c+r.Candidates, pt.p+r.Passed
		per[k][r.TenantID] = pt
	}
	out := map[uuid.UUID]int{}
	for _, r := range rows {
		if r.Candidates < anomalyMinCandidates {
			continue
		}
		k := key{r.OccupationCode, r.Level}
		own := per[k][r.TenantID]
		peers := tot{all[k].c - own.c, all[k].p - own.p}
		rate := float64(r.Passed) / float64(r.Candidates)
		switch {
		case peers.c >= anomalyMinPeers:
			if math.Abs(rate-float64(peers.p)/float64(peers.c)) >= anomalyGap {
				out[r.TenantID]++
			}
		case r.Candidates >= anomalyPerfectCandidates && r.Passed == r.Candidates:
			out[r.TenantID]++
		}
	}
	return out, nil
}
