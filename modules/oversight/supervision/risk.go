package supervision

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"math"
	mrand "math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
)

// Sampling methods: a plain random draw, or one weighted by the risk signals the platform holds.
const (
	MethodRandom       = "random"
	MethodRiskWeighted = "risk_weighted"
)

// RiskParameters bound a risk-weighted draw so that every institution keeps a chance: each weight
// is Floor plus its signals' points, at most MaxWeight (so no institution is more than
// MaxWeight/Floor times as likely to be drawn first as one with no signal at all).
type RiskParameters struct {
	Floor     float64        `json:"floor"`
	MaxWeight float64        `json:"max_weight"`
	Rules     []RiskRuleView `json:"rules"`
	Window    string         `json:"window,omitempty"` // the signals' period, "YYYY-MM-DD/YYYY-MM-DD"
}

// RiskRuleView is one signal's weighting as recorded with a draw.
type RiskRuleView struct {
	Name     string  `json:"name"`
	Points   float64 `json:"points"`    // added to the weight per occurrence
	MaxCount int     `json:"max_count"` // occurrences counted at most
}

// RiskSignal is one signal's part of an institution's weight in a risk-weighted draw.
type RiskSignal struct {
	Name   string  `json:"name"`
	Count  int     `json:"count"`
	Points float64 `json:"points"` // contribution to the weight: points × min(count, max_count)
}

// Default bounds of a risk-weighted draw.
const (
	riskFloor     = 1.0
	riskMaxWeight = 10.0
)

// riskRules are the signals a risk-weighted draw weighs, in the order they are explained. Counts
// come from the last year (scoreWindow) except open flags and differences, which count while open.
var riskRules = []RiskRuleView{
	{Name: "cross_institution_flags", Points: 2, MaxCount: 5},    // open 一人多证 / 重复考证 flags naming the institution
	{Name: "pass_rate_anomalies", Points: 2, MaxCount: 5},        // batches whose pass rate is far from the jurisdiction's
	{Name: "objections", Points: 0.5, MaxCount: 10},              // objections raised in publicity
	{Name: "complaints", Points: 1, MaxCount: 5},                 // public complaints received
	{Name: "late_results", Points: 1, MaxCount: 5},               // results published after they were due
	{Name: "evaluator_overlap", Points: 1, MaxCount: 5},          // batches where a supervisor also evaluates
	{Name: "reconciliation_differences", Points: 1, MaxCount: 5}, // open reconciliation differences
	{Name: "low_star_rating", Points: 1, MaxCount: 4},            // 5 minus the monitoring stars
}

// DefaultRiskParameters are the bounds and rules a risk-weighted draw records.
func DefaultRiskParameters() RiskParameters {
	return RiskParameters{Floor: riskFloor, MaxWeight: riskMaxWeight, Rules: append([]RiskRuleView(nil), riskRules...)}
}

// RiskWeight computes an institution's weight from its signal counts under p, with each signal's
// contribution (only signals that count). The weight is never below p.Floor nor above p.MaxWeight.
func RiskWeight(p RiskParameters, counts map[string]int) (float64, []RiskSignal) {
	w := p.Floor
	signals := []RiskSignal{}
	for _, r := range p.Rules {
		n := counts[r.Name]
		if n <= 0 {
			continue
		}
		pts := r.Points * float64(min(n, r.MaxCount))
		w += pts
		signals = append(signals, RiskSignal{Name: r.Name, Count: n, Points: pts})
	}
	return math.Min(math.Max(w, p.Floor), p.MaxWeight), signals
}

// RiskSamplingAlgorithm documents the risk-weighted draw so that anyone can repeat it from the
// recorded seed, weights and population.
const RiskSamplingAlgorithm = "risk-weighted/es-chacha8/v1: " +
	"institutions are weighted by floor + Σ points × min(count, max_count) over the recorded signals, at most max_weight; " +
	"they are sorted by id (lower-case canonical UUID form) and a ChaCha8 stream keyed by SHA-256(the seed's UTF-8 bytes) gives each in turn " +
	"u = (first 53 bits of the next Uint64 + 0.5) / 2^53; its key is ln(u) / weight (Efraimidis–Spirakis, u^(1/w) in log form); " +
	"institutions are sorted by key, largest first (ties by id), and the first N are drawn. " +
	"Inspectors are drawn and assigned as in double-random/hmac-sha256/v1 (the key of each is HMAC-SHA256(seed, \"inspector:\" + id))."

// WeightedDraw draws n members without replacement with probability proportional to their Weight,
// deterministically from seed (RiskSamplingAlgorithm). keyed is the whole population in key order,
// each with its key; drawn the first n. The members' order in the input does not matter.
func WeightedDraw(seed string, members []SamplingMember, n int) (keyed, drawn []SamplingMember) {
	keyed = append([]SamplingMember(nil), members...)
	// Sorting ids as bytes is sorting them as lower-case canonical strings (hex keeps the order).
	sort.Slice(keyed, func(i, j int) bool { return bytes.Compare(keyed[i].ID[:], keyed[j].ID[:]) < 0 })
	rng := mrand.New(mrand.NewChaCha8(sha256.Sum256([]byte(seed))))
	keys := make([]float64, len(keyed))
	for i := range keyed {
		u := (float64(rng.Uint64()>>11) + 0.5) / (1 << 53)
		w := keyed[i].Weight
		if w <= 0 || math.IsNaN(w) {
			w = math.SmallestNonzeroFloat64 // never happens under RiskWeight's floor; keeps the key finite-ordered
		}
		keys[i] = math.Log(u) / w
		keyed[i].Key = strconv.FormatFloat(keys[i], 'g', 17, 64)
	}
	order := make([]int, len(keyed))
	for i := range order {
		order[i] = i
	}
	// Largest key first; equal keys keep the id order of the stable sort.
	sort.SliceStable(order, func(a, b int) bool { return keys[order[a]] > keys[order[b]] })
	out := make([]SamplingMember, len(keyed))
	for i, o := range order {
		out[i] = keyed[o]
	}
	keyed = out
	return keyed, append([]SamplingMember(nil), keyed[:min(max(n, 0), len(keyed))]...)
}

// RiskSource reads the signals of a risk-weighted draw that oversight does not keep itself, from
// the institutions' records (satisfied by institutions.Records).
type RiskSource interface {
	// Objections counts, per institution, the objections raised since since, in tx.
	Objections(ctx context.Context, tx bun.IDB, institutionIDs []uuid.UUID, since time.Time) (map[uuid.UUID]int, error)
	// EvaluatorOverlap counts, per institution, the batches whose exam started since since in which a
	// user is both an evaluator and the internal quality supervisor, in tx.
	EvaluatorOverlap(ctx context.Context, tx bun.IDB, institutionIDs []uuid.UUID, since time.Time) (map[uuid.UUID]int, error)
}

// riskCounts gathers every institution's signal counts in the regulator's oversight transaction.
func (s *Service) riskCounts(ctx context.Context, tx bun.IDB, j core.Jurisdiction) (map[uuid.UUID]map[string]int, string, error) {
	out := map[uuid.UUID]map[string]int{}
	for _, id := range j.IDs {
		out[id] = map[string]int{}
	}
	if len(j.IDs) == 0 {
		return out, "", nil
	}
	scores, err := s.scores(ctx, tx, j)
	if err != nil {
		return nil, "", err
	}
	window := ""
	for _, sc := range scores {
		m := out[sc.InstitutionID]
		if m == nil {
			continue
		}
		window = sc.Window
		for _, sig := range sc.Signals {
			switch sig.Name {
			case "pass_rate_anomalies", "complaints", "late_results", "reconciliation_differences":
				m[sig.Name] = sig.Count
			}
		}
		m["low_star_rating"] = 5 - sc.Stars
	}
	var flags []struct {
		Items json.RawMessage `bun:"items"`
	}
	if err := tx.NewSelect().TableExpr("oversight_flags").ColumnExpr("items").Where("tenant_id = ?", j.Regulator.TenantID).
		Where("resolved_at IS NULL").Scan(ctx, &flags); err != nil {
		return nil, "", err
	}
	for _, f := range flags {
		var items []struct {
			InstitutionID uuid.UUID `json:"institution_id"`
		}
		_ = json.Unmarshal(f.Items, &items)
		seen := map[uuid.UUID]bool{}
		for _, it := range items {
			if m := out[it.InstitutionID]; m != nil && !seen[it.InstitutionID] {
				seen[it.InstitutionID] = true
				m["cross_institution_flags"]++
			}
		}
	}
	if s.deps.Risks != nil {
		since := s.base.Now().Add(-scoreWindow)
		for name, read := range map[string]func(context.Context, bun.IDB, []uuid.UUID, time.Time) (map[uuid.UUID]int, error){
			"objections": s.deps.Risks.Objections, "evaluator_overlap": s.deps.Risks.EvaluatorOverlap,
		} {
			counts, err := read(ctx, tx, j.IDs, since)
			if err != nil {
				return nil, "", err
			}
			for id, n := range counts {
				if m := out[id]; m != nil {
					m[name] = n
				}
			}
		}
	}
	return out, window, nil
}
