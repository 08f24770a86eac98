package console

import (
	"testing"

	"github.com/skillcert/skillcert/modules/oversight/supervision"
)

// TestRegOperMessagesBuiltFromValues: the regulator's and operator's pages build message ids from
// values (kinds, statuses, severities, methods, signals, field codes); each has both languages.
func TestRegOperMessagesBuiltFromValues(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	add := func(prefix string, vals ...string) {
		for _, v := range vals {
			ids = append(ids, prefix+v)
		}
	}
	add("reg.inspection.kind.", "routine", "special", "annual")
	add("reg.inspection.status.", "planned", "in_progress", "closed")
	add("reg.finding.severity.", "minor", "major", "critical")
	add("reg.complaint.status.", "received", "investigating", "closed")
	add("reg.sampling.method.", "random", "risk_weighted")
	add("reg.flags.kind.", "multiple_certificates", "repeat_testing")
	add("reg.sync.done_", "endpoint", "pause", "resume", "replay")
	add("oper.kind.", "enterprise", "social_org", "school", "regulator", "platform")
	add("oper.status.", "active", "suspended", "disabled")
	add("oper.tenants.done_", "suspended", "active")
	for _, r := range riskRulesForTest() {
		ids = append(ids, "reg.signal."+r, "reg.signal_count."+r)
	}
	for _, code := range []string{"range", "population_too_small", "already_expired", "unexpected_fields", "unknown_user", "past", "scheme",
		"private_target", "invalid_state", "not_found", "unknown_region", "checksum", "slug_taken", "own_tenant", "credentials",
		"required", "format", "length", "invalid", "too_long"} {
		ids = append(ids, regFieldMessage(code))
	}
	for _, id := range ids {
		for _, lang := range []string{"zh-CN", "en"} {
			if !cat.keys[lang][id] {
				t.Errorf("message %q missing in %s", id, lang)
			}
		}
	}
}

// riskRulesForTest names the signals of a risk-weighted draw, as supervision records them.
func riskRulesForTest() []string {
	var out []string
	for _, r := range supervision.DefaultRiskParameters().Rules {
		out = append(out, r.Name)
	}
	return out
}
