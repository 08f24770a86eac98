package supervision

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"
)

// population makes n members with the given weights (cycled), ids fixed by r.
func population(r *rand.Rand, n int, weights ...float64) []SamplingMember {
	out := make([]SamplingMember, n)
	for i := range out {
		var id uuid.UUID
		for j := range id {
			id[j] = byte(r.UintN(256))
		}
		out[i] = SamplingMember{ID: id, Name: fmt.Sprint("机构", i), Weight: weights[i%len(weights)]}
	}
	return out
}

// TestRiskDrawIsReproducible: the same seed and inputs draw the same members with the same keys,
// whatever order the population is given in; another seed draws differently.
func TestRiskDrawIsReproducible(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		pop := population(r, 1+r.IntN(40), 1, 3.5, 10, 2)
		n := 1 + r.IntN(len(pop))
		seed := fmt.Sprintf("seed-%d", r.Uint64())
		_, a := WeightedDraw(seed, pop, n)
		shuffled := append([]SamplingMember(nil), pop...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		_, b := WeightedDraw(seed, shuffled, n)
		if len(a) != n || len(b) != n {
			t.Fatalf("drew %d and %d of %d", len(a), len(b), n)
		}
		seen := map[uuid.UUID]bool{}
		for i := range a {
			if a[i].ID != b[i].ID || a[i].Key != b[i].Key {
				t.Fatalf("trial %d: same seed and inputs drew %v then %v", trial, a[i], b[i])
			}
			if seen[a[i].ID] {
				t.Fatalf("trial %d: %v drawn twice (draws are without replacement)", trial, a[i].ID)
			}
			seen[a[i].ID] = true
		}
	}
	pop := population(r, 30, 1, 2, 5)
	_, a := WeightedDraw("甲", pop, 5)
	_, b := WeightedDraw("乙", pop, 5)
	same := true
	for i := range a {
		same = same && a[i].ID == b[i].ID
	}
	if same {
		t.Fatal("two seeds drew the same five of thirty in the same order")
	}
}

// TestRiskWeightKeepsEveryoneInTheDraw: whatever the signals, a weight stays within [floor,
// max_weight], so every institution's chance is positive and bounded; and an institution with no
// signal at all is still drawn among heavy ones over many seeds.
func TestRiskWeightKeepsEveryoneInTheDraw(t *testing.T) {
	p := DefaultRiskParameters()
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 5000; trial++ {
		counts := map[string]int{}
		for _, rule := range p.Rules {
			counts[rule.Name] = r.IntN(50) - 5
		}
		w, signals := RiskWeight(p, counts)
		if w < p.Floor || w > p.MaxWeight {
			t.Fatalf("weight %g outside [%g, %g] for %v", w, p.Floor, p.MaxWeight, counts)
		}
		for _, s := range signals {
			if s.Count <= 0 || s.Points <= 0 {
				t.Fatalf("signal %+v explains nothing", s)
			}
		}
	}
	if w, s := RiskWeight(p, nil); w != p.Floor || len(s) != 0 {
		t.Fatalf("no signal: weight %g, signals %v", w, s)
	}
	// One clean institution among nineteen at the maximum weight: its chance of being the one drawn is
	// floor / (floor + 19 × max) ≈ 0.5 %, so over 20,000 seeds it must come up (expected ≈ 105 times).
	pop := population(r, 20, p.MaxWeight)
	pop[7].Weight = p.Floor
	hits := 0
	for i := 0; i < 20000; i++ {
		if _, d := WeightedDraw(fmt.Sprint("s", i), pop, 1); d[0].ID == pop[7].ID {
			hits++
		}
	}
	if hits == 0 {
		t.Fatal("an institution with the floor weight was never drawn in 20,000 seeds")
	}
	if hits > 300 {
		t.Fatalf("the light institution was drawn %d times in 20,000: weights are not honoured", hits)
	}
}

// TestRiskDrawFavoursHeavierSignals: over many seeds, institutions are drawn in proportion to their
// weight (first draw), and more signals make a heavier weight.
func TestRiskDrawFavoursHeavierSignals(t *testing.T) {
	p := DefaultRiskParameters()
	light, _ := RiskWeight(p, map[string]int{"complaints": 1})
	heavy, _ := RiskWeight(p, map[string]int{"complaints": 3, "cross_institution_flags": 2, "low_star_rating": 2})
	if !(heavy > light && light > p.Floor) {
		t.Fatalf("weights light %g heavy %g", light, heavy)
	}
	r := rand.New(rand.NewPCG(5, 6))
	pop := population(r, 10, 1)
	pop[2].Weight, pop[5].Weight = light, heavy
	counts := map[uuid.UUID]int{}
	const seeds = 20000
	for i := 0; i < seeds; i++ {
		_, d := WeightedDraw(fmt.Sprintf("round-%d", i), pop, 3)
		for _, m := range d {
			counts[m.ID]++
		}
	}
	clean := counts[pop[0].ID]
	if !(counts[pop[5].ID] > counts[pop[2].ID] && counts[pop[2].ID] > clean) {
		t.Fatalf("drawn: heavy %d, light %d, clean %d", counts[pop[5].ID], counts[pop[2].ID], clean)
	}
	// The first draw alone is proportional to weight: P(heavy first) = heavy / Σw.
	total := 0.0
	for _, m := range pop {
		total += m.Weight
	}
	first := 0
	for i := 0; i < seeds; i++ {
		if _, d := WeightedDraw(fmt.Sprintf("first-%d", i), pop, 1); d[0].ID == pop[5].ID {
			first++
		}
	}
	want := heavy / total * seeds
	if got := float64(first); got < want*0.9 || got > want*1.1 {
		t.Fatalf("heavy drawn first %d times of %d, want about %.0f", first, seeds, want)
	}
}
