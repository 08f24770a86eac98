package batches_test

import (
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/batches/eligibility"
)

// An application view encodes itself exactly as the app's JSON encoder encodes it: every field, in
// order, with its omitempty rule.
func TestApplicationViewAppendJSON(t *testing.T) {
	at := time.Date(2026, 11, 23, 6, 30, 0, 123000, time.UTC)
	later, by := at.Add(time.Hour), uuid.New()
	pass := batches.Result("pass")
	full := batches.ApplicationView{ID: uuid.New(), BatchID: uuid.New(), CandidateID: uuid.New(),
		CandidateName: "𠀀阿卜杜热合曼·<买买提>&\u2028" + string(rune(0x1F600)), IDType: "resident_id", IDNumber: "11010519900101****",
		Status: "approved", Route: eligibility.Route("fast_track"), EvidenceFileIDs: []string{"f1", "f\"2"},
		Eligibility: batches.EligibilityView{Passed: true, Rule: "l4.after_l5", Reasons: []string{"取得五级证书后从业4年"},
			ReasonsEN: []string{"4 years after level 5"}, Outcome: "eligible", RuleSet: "2018", RuleSetRevision: 3,
			TheoryExempt: true, ExemptReason: "大专以上", ExemptReasonEN: "diploma", AsOf: &later,
			Clauses: []eligibility.Clause{{ID: "a", Path: "p", Kind: "years", Passed: true, ReasonZH: "是", ReasonEN: "yes"},
				{ID: "b", Passed: false, ReasonZH: "否", ReasonEN: "no"}}},
		FeeFen: 30000, Paid: true, PaidAt: &later,
		Review: &batches.ReviewView{Decision: "approve", Reason: "材料齐全", ReviewedBy: &by, ReviewedAt: &later},
		Scores: map[batches.Method]float64{"theory": 78, "practical": 85.5, "comprehensive_review": 60},
		Result: &pass, Held: true, CreatedAt: at, UpdatedAt: later}
	views := map[string]batches.ApplicationView{
		"every field": full,
		"bare":        {Eligibility: batches.EligibilityView{Reasons: []string{}, ReasonsEN: []string{}}, Scores: map[batches.Method]float64{}},
		"zero":        {},
		"review without reason": {Review: &batches.ReviewView{Decision: "reject"}, EvidenceFileIDs: []string{},
			Scores: map[batches.Method]float64{"theory": 0.1}},
	}
	for name, v := range views {
		want, err := gojson.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
