package oversight_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/oversight/supervision"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestRiskWeightedSampling: a risk-weighted draw weighs each institution by its signals (here,
// complaints), records the weights, the signals and the seed, and reproduces identically from them;
// regulators see why, the public sees the weights only; another regulator cannot read it.
func TestRiskWeightedSampling(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "460108", "inspector", "viewer")
	other := k.Tenant(t, tenants.KindRegulator, "110105")
	var insts []*testkit.Org
	for i := 0; i < 4; i++ {
		insts = append(insts, k.Tenant(t, tenants.KindEnterprise, "460108"))
	}
	for i := 0; i < 3; i++ {
		k.Do(t, "POST", "/api/v1/public/complaints", "", map[string]any{"institution_slug": insts[0].Tenant.Slug,
			"content": "考评现场无人监考，成绩可疑。"}).Want(t, http.StatusCreated)
	}
	k.Do(t, "POST", "/api/v1/oversight/sampling", reg.Admin, map[string]any{"institutions": 1, "inspectors": 1, "method": "heaviest"}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")

	var s supervision.Sampling
	k.Do(t, "POST", "/api/v1/oversight/sampling", reg.Tokens["inspector"], map[string]any{"institutions": 2, "inspectors": 1,
		"method": "risk_weighted", "seed": "2026-12-02 风险加权"}).Want(t, http.StatusCreated).Decode(t, &s)
	if s.Method != supervision.MethodRiskWeighted || s.Algorithm != supervision.RiskSamplingAlgorithm || s.Parameters == nil ||
		s.Parameters.Floor != 1 || s.Parameters.MaxWeight != 10 || len(s.Institutions) != 2 || len(s.InstitutionPopulation) != 4 {
		t.Fatalf("draw = %+v", s)
	}
	weights := map[uuid.UUID]supervision.SamplingMember{}
	for _, m := range s.InstitutionPopulation {
		weights[m.ID] = m
	}
	hot := weights[insts[0].Tenant.ID]
	if hot.Weight <= weights[insts[1].Tenant.ID].Weight || len(hot.Signals) == 0 {
		t.Fatalf("the institution with complaints weighs %v, a quiet one %v", hot, weights[insts[1].Tenant.ID])
	}
	found := false
	for _, sig := range hot.Signals {
		found = found || (sig.Name == "complaints" && sig.Count == 3 && sig.Points == 3)
	}
	if !found {
		t.Fatalf("signals %+v do not explain the complaints", hot.Signals)
	}
	for _, m := range s.InstitutionPopulation {
		if m.Weight < s.Parameters.Floor {
			t.Fatalf("%s weighs %g, below the floor", m.Name, m.Weight)
		}
	}

	var rep supervision.Reproduction
	k.Do(t, "GET", "/api/v1/oversight/sampling/"+s.ID.String()+"/reproduce", reg.Tokens["viewer"], nil).Want(t, http.StatusOK).Decode(t, &rep)
	if !rep.Identical || len(rep.Recomputed) != 2 || rep.Recomputed[0].ID != s.Institutions[0].ID {
		t.Fatalf("reproduction = %+v", rep)
	}
	// An outsider repeats it from the published record alone.
	var pub supervision.Sampling
	k.Do(t, "GET", "/api/v1/public/sampling/"+s.ID.String(), "", nil).Want(t, http.StatusOK).Decode(t, &pub)
	for _, m := range pub.InstitutionPopulation {
		if len(m.Signals) != 0 || m.Weight == 0 {
			t.Fatalf("the public record shows %+v", m)
		}
	}
	if r := supervision.ReproduceDraw(pub); !r.Identical {
		t.Fatalf("the public record does not reproduce: %+v", r)
	}
	// The same seed with a plain random draw is recorded as such.
	var plain supervision.Sampling
	k.Do(t, "POST", "/api/v1/oversight/sampling", reg.Admin, map[string]any{"institutions": 1, "inspectors": 1, "seed": s.Seed}).
		Want(t, http.StatusCreated).Decode(t, &plain)
	if plain.Method != supervision.MethodRandom || plain.Parameters != nil || plain.InstitutionPopulation[0].Weight != 0 {
		t.Fatalf("plain draw = %+v", plain)
	}
	k.Do(t, "GET", "/api/v1/oversight/sampling/"+plain.ID.String()+"/reproduce", reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &rep)
	if !rep.Identical {
		t.Fatalf("plain reproduction = %+v", rep)
	}
	k.Do(t, "GET", "/api/v1/oversight/sampling/"+s.ID.String(), other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "GET", "/api/v1/oversight/sampling/"+s.ID.String()+"/reproduce", insts[1].Admin, nil).WantProblem(t, http.StatusForbidden, "forbidden")
}
