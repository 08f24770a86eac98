package eligibility

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform"
)

var asOf = time.Date(2025, 6, 15, 14, 30, 0, 0, time.FixedZone("CST", 8*3600))

// held returns a level obtained the given whole years (and extra days less) before asOf.
func held(l catalog.Level, years int, daysShort int) func(*Applicant) {
	return func(a *Applicant) {
		a.CurrentLevel = l
		a.LevelObtained = asOf.AddDate(-years, 0, daysShort)
	}
}

func yearsIn(n int) func(*Applicant) { return func(a *Applicant) { a.YearsInOccupation = n } }

func diploma(k Education, related bool) func(*Applicant) {
	return func(a *Applicant) { a.Education = append(a.Education, Diploma{Kind: k, Related: related}) }
}

func title(t Title) func(*Applicant) { return func(a *Applicant) { a.Title = t } }

func award(k AwardKind) func(*Applicant) {
	return func(a *Applicant) { a.Awards = append(a.Awards, Award{Kind: k, Name: "test", Year: 2024}) }
}

func route(r Route) func(*Applicant) { return func(a *Applicant) { a.Route = r } }

func evidence(a *Applicant) { a.EvidenceFileIDs = append(a.EvidenceFileIDs, "file-1") }

func apprenticeship(a *Applicant) { a.ApprenticeshipCompleted = true }

func applicant(opts ...func(*Applicant)) Applicant {
	var a Applicant
	for _, o := range opts {
		o(&a)
	}
	return a
}

func defaults(t testing.TB) *Registry {
	t.Helper()
	r, err := Defaults()
	if err != nil {
		t.Fatalf("Defaults: %v", err)
	}
	return r
}

var both = []string{RuleSet2018, RuleSet2023}

type evalCase struct {
	name     string
	editions []string
	level    catalog.Level
	app      Applicant
	want     Outcome
	passes   string   // expected PassedPath ("" when ineligible)
	fails    []string // clause IDs that must have failed
}

func evalCases() []evalCase {
	L5, L4, L3, L2, L1 := catalog.Level5, catalog.Level4, catalog.Level3, catalog.Level2, catalog.Level1
	special, chief := catalog.LevelSpecialTechnician, catalog.LevelChiefTechnician
	e18, e23 := []string{RuleSet2018}, []string{RuleSet2023}
	return []evalCase{
		// Level 5.
		{"l5 one year", both, L5, applicant(yearsIn(1)), OutcomeEligible, "l5.years", nil},
		{"l5 no year no apprenticeship", both, L5, applicant(), OutcomeIneligible, "", []string{"l5.years.min_years_in_occupation", "l5.apprenticeship.apprenticeship_completed"}},
		{"l5 apprenticeship", both, L5, applicant(apprenticeship), OutcomeEligible, "l5.apprenticeship", []string{"l5.years.min_years_in_occupation"}},
		{"l5 already held", both, L5, applicant(yearsIn(3), held(L5, 1, 0)), OutcomeIneligible, "", []string{"5.requires.not_yet_held"}},
		{"l5 higher level held", both, L5, applicant(yearsIn(9), held(L3, 1, 0)), OutcomeIneligible, "", []string{"5.requires.not_yet_held"}},
		{"l5 direct recognition", both, L5, applicant(route(RouteDirectRecognition), award(AwardProvincialCompetition), evidence), OutcomePendingReview, "l5.direct", nil},
		{"l5 direct without evidence", both, L5, applicant(route(RouteDirectRecognition), award(AwardProvincialCompetition)), OutcomeIneligible, "", []string{"l5.direct.evidence"}},
		{"l5 direct without award", both, L5, applicant(route(RouteDirectRecognition), evidence, yearsIn(5)), OutcomeIneligible, "", []string{"l5.direct.award"}},
		{"l5 fast track not offered", both, L5, applicant(route(RouteFastTrack), award(AwardWorldSkills), evidence), OutcomeIneligible, "", []string{"5.route"}},

		// Level 4.
		{"l4 after l5 four years (2018)", e18, L4, applicant(yearsIn(4), held(L5, 4, 0)), OutcomeEligible, "l4.after_l5", nil},
		{"l4 after l5 two years fails 2018", e18, L4, applicant(yearsIn(3), held(L5, 2, 0)), OutcomeIneligible, "", []string{"l4.after_l5.holds_level", "l4.years.min_years_in_occupation"}},
		{"l4 after l5 two years passes 2023", e23, L4, applicant(yearsIn(3), held(L5, 2, 0)), OutcomeEligible, "l4.after_l5", nil},
		{"l4 after l5 one day short (2023)", e23, L4, applicant(yearsIn(3), held(L5, 2, 1)), OutcomeIneligible, "", []string{"l4.after_l5.holds_level"}},
		{"l4 level held long but too little work", both, L4, applicant(yearsIn(1), held(L5, 5, 0)), OutcomeIneligible, "", []string{"l4.after_l5.holds_level"}},
		{"l4 six years", both, L4, applicant(yearsIn(6)), OutcomeEligible, "l4.years", []string{"l4.after_l5.holds_level"}},
		{"l4 five years", both, L4, applicant(yearsIn(5)), OutcomeIneligible, "", []string{"l4.years.min_years_in_occupation"}},
		{"l4 six years but level 5 too recent", both, L4, applicant(yearsIn(8), held(L5, 0, -180)), OutcomeIneligible, "", []string{"l4.years.min_years_since_level", "l4.after_l5.holds_level"}},
		{"l4 technical school related", both, L4, applicant(diploma(EduTechnicalSchool, true)), OutcomeEligible, "l4.school", nil},
		{"l4 secondary vocational related", both, L4, applicant(diploma(EduSecondaryVocational, true)), OutcomeEligible, "l4.school", nil},
		{"l4 technical school unrelated", both, L4, applicant(diploma(EduTechnicalSchool, false)), OutcomeIneligible, "", []string{"l4.school.education"}},
		{"l4 fast track", both, L4, applicant(route(RouteFastTrack), held(L5, 0, -90), award(AwardNationalCompetition), evidence), OutcomePendingReview, "l4.fast", nil},
		{"l4 fast track enterprise prize", both, L4, applicant(route(RouteFastTrack), held(L5, 0, -90), award(AwardEnterpriseCompetition), evidence), OutcomeIneligible, "", []string{"l4.fast.award"}},
		{"l4 direct recognition", both, L4, applicant(route(RouteDirectRecognition), award(AwardEnterpriseCompetition), evidence), OutcomePendingReview, "l4.direct", nil},
		{"l4 direct without evidence", both, L4, applicant(route(RouteDirectRecognition), award(AwardMajorContribution)), OutcomeIneligible, "", []string{"l4.direct.evidence"}},

		// Level 3.
		{"l3 after l4 five years (2018)", e18, L3, applicant(yearsIn(5), held(L4, 5, 0)), OutcomeEligible, "l3.after_l4", nil},
		{"l3 after l4 four years fails 2018", e18, L3, applicant(yearsIn(4), held(L4, 4, 0)), OutcomeIneligible, "", []string{"l3.after_l4.holds_level"}},
		{"l3 after l4 four years passes 2023", e23, L3, applicant(yearsIn(4), held(L4, 4, 0)), OutcomeEligible, "l3.after_l4", nil},
		{"l3 after l4 three years fails 2023", e23, L3, applicant(yearsIn(4), held(L4, 3, 0)), OutcomeIneligible, "", []string{"l3.after_l4.holds_level"}},
		{"l3 technician college", both, L3, applicant(held(L4, 1, 0), diploma(EduTechnicianCollege, false)), OutcomeEligible, "l3.senior_school", nil},
		{"l3 senior school level too recent", both, L3, applicant(held(L4, 0, -200), diploma(EduSeniorTechnicalSchool, false)), OutcomeIneligible, "", []string{"l3.senior_school.min_years_since_level"}},
		{"l3 senior school without level 4", both, L3, applicant(held(L5, 3, 0), diploma(EduSeniorTechnicalSchool, false)), OutcomeIneligible, "", []string{"l3.senior_school.holds_level"}},
		{"l3 vocational college related", both, L3, applicant(held(L4, 1, 0), diploma(EduVocationalCollege, true)), OutcomeEligible, "l3.vocational_college", nil},
		{"l3 vocational college unrelated", both, L3, applicant(held(L4, 1, 0), diploma(EduVocationalCollege, false)), OutcomeIneligible, "", []string{"l3.vocational_college.education"}},
		{"l3 college plus two years", both, L3, applicant(yearsIn(2), held(L4, 2, 0), diploma(EduCollege, true)), OutcomeEligible, "l3.college", nil},
		{"l3 college plus one year", both, L3, applicant(yearsIn(2), held(L4, 1, 0), diploma(EduCollege, true)), OutcomeIneligible, "", []string{"l3.college.holds_level", "l3.bachelor.education"}},
		{"l3 bachelor plus one year", both, L3, applicant(yearsIn(1), held(L4, 1, 0), diploma(EduBachelor, true)), OutcomeEligible, "l3.bachelor", []string{"l3.college.holds_level"}},
		{"l3 bachelor unrelated", both, L3, applicant(yearsIn(1), held(L4, 1, 0), diploma(EduBachelor, false)), OutcomeIneligible, "", []string{"l3.bachelor.education"}},
		{"l3 assistant title", both, L3, applicant(yearsIn(1), title(TitleAssistant)), OutcomeEligible, "l3.title", nil},
		{"l3 intermediate title maps down", both, L3, applicant(yearsIn(1), title(TitleIntermediate)), OutcomeEligible, "l3.title", nil},
		{"l3 junior title", both, L3, applicant(yearsIn(1), title(TitleJunior)), OutcomeIneligible, "", []string{"l3.title.professional_title"}},
		{"l3 title but level 4 too recent", both, L3, applicant(yearsIn(3), title(TitleAssistant), held(L4, 0, -90)), OutcomeIneligible, "", []string{"l3.title.min_years_since_level"}},
		{"l3 title without work", both, L3, applicant(title(TitleAssistant)), OutcomeIneligible, "", []string{"l3.title.min_years_in_occupation"}},
		{"l3 fast track", both, L3, applicant(route(RouteFastTrack), held(L4, 0, -30), award(AwardWorldSkills), evidence), OutcomePendingReview, "l3.fast", nil},
		{"l3 fast track from level 5", both, L3, applicant(route(RouteFastTrack), held(L5, 3, 0), award(AwardWorldSkills), evidence), OutcomeIneligible, "", []string{"l3.fast.holds_level"}},
		{"l3 direct recognition", both, L3, applicant(route(RouteDirectRecognition), award(AwardNationalTechnicalExpert), evidence), OutcomePendingReview, "l3.direct", nil},
		{"l3 direct without award", both, L3, applicant(route(RouteDirectRecognition), evidence), OutcomeIneligible, "", []string{"l3.direct.award"}},

		// Level 2.
		{"l2 after l3 four years", both, L2, applicant(yearsIn(4), held(L3, 4, 0)), OutcomeEligible, "l2.after_l3", nil},
		{"l2 after l3 three years", both, L2, applicant(yearsIn(9), held(L3, 3, 0)), OutcomeIneligible, "", []string{"l2.after_l3.holds_level"}},
		{"l2 technician college three years", both, L2, applicant(yearsIn(3), held(L3, 1, 0), diploma(EduTechnicianCollege, false)), OutcomeEligible, "l2.technician_college", nil},
		{"l2 technician college two years", both, L2, applicant(yearsIn(2), held(L3, 1, 0), diploma(EduTechnicianCollege, false)), OutcomeIneligible, "", []string{"l2.technician_college.min_years_in_occupation"}},
		{"l2 preparatory technician", both, L2, applicant(yearsIn(2), diploma(EduPreparatoryTechnician, true)), OutcomeEligible, "l2.preparatory_technician", nil},
		{"l2 preparatory technician one year", both, L2, applicant(yearsIn(1), diploma(EduPreparatoryTechnician, true)), OutcomeIneligible, "", []string{"l2.preparatory_technician.min_years_in_occupation"}},
		{"l2 intermediate title", both, L2, applicant(yearsIn(1), title(TitleIntermediate)), OutcomeEligible, "l2.title", nil},
		{"l2 assistant title", both, L2, applicant(yearsIn(5), title(TitleAssistant)), OutcomeIneligible, "", []string{"l2.title.professional_title"}},
		{"l2 fast track", both, L2, applicant(route(RouteFastTrack), held(L3, 0, -10), award(AwardChinaSkills), evidence), OutcomePendingReview, "l2.fast", nil},
		{"l2 fast track without level 3", both, L2, applicant(route(RouteFastTrack), award(AwardChinaSkills), evidence), OutcomeIneligible, "", []string{"l2.fast.holds_level"}},
		{"l2 direct recognition", both, L2, applicant(route(RouteDirectRecognition), award(AwardWorldSkills), evidence), OutcomePendingReview, "l2.direct", nil},
		{"l2 direct without evidence", both, L2, applicant(route(RouteDirectRecognition), award(AwardWorldSkills)), OutcomeIneligible, "", []string{"l2.direct.evidence"}},

		// Level 1.
		{"l1 after l2 four years", both, L1, applicant(yearsIn(12), held(L2, 4, 0)), OutcomeEligible, "l1.after_l2", nil},
		{"l1 after l2 three years", both, L1, applicant(yearsIn(12), held(L2, 3, 0)), OutcomeIneligible, "", []string{"l1.after_l2.holds_level"}},
		{"l1 deputy senior title", both, L1, applicant(yearsIn(1), title(TitleDeputySenior)), OutcomeEligible, "l1.title", nil},
		{"l1 intermediate title", both, L1, applicant(yearsIn(10), title(TitleIntermediate)), OutcomeIneligible, "", []string{"l1.title.professional_title"}},
		{"l1 fast track", both, L1, applicant(route(RouteFastTrack), held(L2, 1, 0), award(AwardNationalCompetition), evidence), OutcomePendingReview, "l1.fast", nil},
		{"l1 fast track without evidence", both, L1, applicant(route(RouteFastTrack), held(L2, 1, 0), award(AwardNationalCompetition)), OutcomeIneligible, "", []string{"l1.fast.evidence"}},
		{"l1 direct recognition", both, L1, applicant(route(RouteDirectRecognition), award(AwardMajorContribution), evidence), OutcomePendingReview, "l1.direct", nil},
		{"l1 direct without award", both, L1, applicant(route(RouteDirectRecognition), evidence), OutcomeIneligible, "", []string{"l1.direct.award"}},

		// The enterprise appointments above level 1.
		{"special after level 1", both, special, applicant(yearsIn(20), held(L1, 1, 0), evidence), OutcomePendingReview, "special.after_l1", nil},
		{"special after level 1 without evidence", both, special, applicant(yearsIn(20), held(L1, 1, 0)), OutcomeIneligible, "", []string{"special.after_l1.evidence"}},
		{"special after level 1 too recent", both, special, applicant(yearsIn(20), held(L1, 0, -100), evidence), OutcomeIneligible, "", []string{"special.after_l1.holds_level"}},
		{"special full senior title", both, special, applicant(yearsIn(1), title(TitleFullSenior), evidence), OutcomePendingReview, "special.title", nil},
		{"special deputy senior title", both, special, applicant(yearsIn(10), title(TitleDeputySenior), evidence), OutcomeIneligible, "", []string{"special.title.professional_title"}},
		{"chief after special", both, chief, applicant(yearsIn(25), held(special, 1, 0), evidence), OutcomePendingReview, "chief.after_special", nil},
		{"chief needs special first", both, chief, applicant(yearsIn(25), held(L1, 10, 0), evidence), OutcomeIneligible, "", []string{"chief.after_special.holds_level"}},
		{"chief already held", both, chief, applicant(yearsIn(25), held(chief, 1, 0), evidence), OutcomeIneligible, "", []string{"chief_technician.requires.not_yet_held"}},
	}
}

func TestEvaluate(t *testing.T) {
	reg := defaults(t)
	for _, tt := range evalCases() {
		for _, ed := range tt.editions {
			t.Run(ed+"/"+tt.name, func(t *testing.T) {
				rs, err := reg.Get(ed)
				if err != nil {
					t.Fatal(err)
				}
				d, err := rs.Evaluate(tt.level, tt.app, asOf)
				if err != nil {
					t.Fatalf("Evaluate: %v", err)
				}
				if d.Outcome != tt.want || d.PassedPath != tt.passes {
					t.Errorf("outcome %s via %q, want %s via %q\n%s", d.Outcome, d.PassedPath, tt.want, tt.passes, dump(d))
				}
				for _, id := range tt.fails {
					c, ok := d.Clause(id)
					if !ok || c.Passed {
						t.Errorf("clause %s: found=%v passed=%v, want a failed clause\n%s", id, ok, c.Passed, dump(d))
					}
				}
				if tt.passes != "" {
					for _, c := range d.Clauses {
						if c.Path == tt.passes && !c.Passed {
							t.Errorf("passing path %s has failed clause %s", tt.passes, c.ID)
						}
					}
				}
				if d.RuleSet != ed || d.RuleSetRevision != 1 || d.Level != tt.level || len(d.Clauses) == 0 {
					t.Errorf("decision header = %s rev %d level %s with %d clauses", d.RuleSet, d.RuleSetRevision, d.Level, len(d.Clauses))
				}
				for _, c := range d.Clauses {
					if c.ID == "" || c.ReasonZH == "" || c.ReasonEN == "" {
						t.Errorf("clause without id or reasons: %+v", c)
					}
				}
			})
		}
	}
}

// TestEveryPathCovered keeps TestEvaluate honest: every path of both default editions must appear in at
// least one case where it passes and one where one of its clauses fails.
func TestEveryPathCovered(t *testing.T) {
	reg := defaults(t)
	for _, rs := range reg.All() {
		passed, failed := map[string]bool{}, map[string]bool{}
		for _, tt := range evalCases() {
			if !contains(tt.editions, rs.ID) {
				continue
			}
			passed[tt.passes] = true
			for _, id := range tt.fails {
				failed[id[:strings.LastIndex(id, ".")]] = true
			}
		}
		n := 0
		for _, lr := range rs.Levels {
			for _, p := range lr.Paths {
				n++
				if !passed[p.ID] {
					t.Errorf("%s: no passing case for path %s", rs.ID, p.ID)
				}
				if !failed[p.ID] {
					t.Errorf("%s: no failing case for path %s", rs.ID, p.ID)
				}
			}
		}
		if n < 25 {
			t.Errorf("%s has only %d paths", rs.ID, n)
		}
	}
}

func dump(d Decision) string {
	var b strings.Builder
	for _, c := range d.Clauses {
		mark := "FAIL"
		if c.Passed {
			mark = "ok  "
		}
		b.WriteString("  " + mark + " " + c.ID + ": " + c.ReasonEN + "\n")
	}
	return b.String()
}

func TestEditionsDifferOnlyInYears(t *testing.T) {
	reg := defaults(t)
	a, _ := reg.Get(RuleSet2018)
	b, _ := reg.Get(RuleSet2023)
	years := func(rs *RuleSet, path string) int {
		for _, lr := range rs.Levels {
			for _, p := range lr.Paths {
				if p.ID == path {
					return p.Conditions[0].Years
				}
			}
		}
		t.Fatalf("%s has no path %s", rs.ID, path)
		return 0
	}
	for path, want := range map[string][2]int{"l4.after_l5": {4, 2}, "l3.after_l4": {5, 4}, "l2.after_l3": {4, 4}, "l1.after_l2": {4, 4}} {
		if got := [2]int{years(a, path), years(b, path)}; got != want {
			t.Errorf("%s years = %v, want %v", path, got, want)
		}
	}
}

func TestTheoryExemption(t *testing.T) {
	rs, _ := defaults(t).Get(RuleSet2018)
	tests := []struct {
		name   string
		level  catalog.Level
		app    Applicant
		exempt bool
	}{
		{"related diploma", catalog.Level4, applicant(diploma(EduTechnicalSchool, true)), true},
		{"related bachelor on a years path", catalog.Level5, applicant(yearsIn(1), diploma(EduBachelor, true)), true},
		{"unrelated diploma", catalog.Level5, applicant(yearsIn(1), diploma(EduBachelor, false)), false},
		{"no diploma", catalog.Level5, applicant(yearsIn(1)), false},
		{"ineligible candidate", catalog.Level3, applicant(diploma(EduBachelor, true)), false},
		{"direct recognition pending review", catalog.Level4, applicant(route(RouteDirectRecognition), award(AwardProvincialCompetition), evidence, diploma(EduCollege, true)), true},
		{"appointment rung has no exam", catalog.LevelSpecialTechnician, applicant(yearsIn(20), held(catalog.Level1, 2, 0), evidence, diploma(EduBachelor, true)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := rs.Evaluate(tt.level, tt.app, asOf)
			if err != nil {
				t.Fatal(err)
			}
			if d.TheoryExempt != tt.exempt {
				t.Fatalf("TheoryExempt = %v, want %v (outcome %s)\n%s", d.TheoryExempt, tt.exempt, d.Outcome, dump(d))
			}
			if tt.exempt {
				c, ok := d.Clause("theory_exemption.related_diploma")
				if !ok || !c.Passed || d.ExemptReasonZH == "" || d.ExemptReasonEN == "" {
					t.Errorf("exemption not recorded: %+v %q %q", c, d.ExemptReasonZH, d.ExemptReasonEN)
				}
			} else if d.ExemptReasonZH != "" || d.ExemptReasonEN != "" {
				t.Errorf("reason given without exemption")
			}
		})
	}
}

func TestPromotionGapBoundary(t *testing.T) {
	rs, _ := defaults(t).Get(RuleSet2023)
	exactly := applicant(yearsIn(2), title(TitleAssistant), held(catalog.Level4, 1, 0))
	dayShort := applicant(yearsIn(2), title(TitleAssistant), held(catalog.Level4, 1, 1))
	d, _ := rs.Evaluate(catalog.Level3, exactly, asOf)
	if d.Outcome != OutcomeEligible || d.PassedPath != "l3.title" {
		t.Errorf("one full year: %s via %s\n%s", d.Outcome, d.PassedPath, dump(d))
	}
	d, _ = rs.Evaluate(catalog.Level3, dayShort, asOf)
	if c, _ := d.Clause("l3.title.min_years_since_level"); d.Outcome != OutcomeIneligible || c.Passed {
		t.Errorf("one day short: %s, gap clause %+v", d.Outcome, c)
	}
}

func TestFullYears(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 12, 0, 0, 0, time.UTC) }
	tests := []struct {
		from, to time.Time
		want     int
	}{
		{d(2021, 3, 10), d(2025, 3, 10), 4},
		{d(2021, 3, 10), d(2025, 3, 9), 3},
		{d(2020, 2, 29), d(2021, 2, 28), 0},
		{d(2020, 2, 29), d(2021, 3, 1), 1},
		{d(2025, 6, 15), d(2025, 6, 15), 0},
		{d(2025, 6, 16), d(2025, 6, 15), -1},
	}
	for _, tt := range tests {
		if got := fullYears(tt.from, tt.to); got != tt.want {
			t.Errorf("fullYears(%s, %s) = %d, want %d", tt.from.Format(time.DateOnly), tt.to.Format(time.DateOnly), got, tt.want)
		}
	}
}

func TestEvaluateIsDeterministic(t *testing.T) {
	rs, _ := defaults(t).Get(RuleSet2018)
	a := applicant(yearsIn(7), held(catalog.Level4, 5, 0), diploma(EduCollege, true), title(TitleAssistant))
	first, _ := rs.Evaluate(catalog.Level3, a, asOf)
	for _, when := range []time.Time{asOf, time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 6, 15, 23, 59, 59, 0, time.UTC)} {
		again, _ := rs.Evaluate(catalog.Level3, a, when)
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("decision changed with the time of day (%s)", when)
		}
	}
	b, err := json.Marshal(first)
	if err != nil || !strings.Contains(string(b), `"rule_set":"std-2018"`) || !strings.Contains(string(b), `"level":"3"`) {
		t.Errorf("decision JSON = %s, %v", b, err)
	}
}

func TestEvaluateErrors(t *testing.T) {
	rs, _ := defaults(t).Get(RuleSet2018)
	if _, err := rs.Evaluate(catalog.LevelApprentice, applicant(yearsIn(1)), asOf); platform.CodeOf(err) != "level_not_covered" {
		t.Errorf("apprentice: %v", err)
	}
	bad := []struct {
		name  string
		app   Applicant
		field string
	}{
		{"future level", applicant(held(catalog.Level5, 0, 2)), "level_obtained"},
		{"level without date", Applicant{CurrentLevel: catalog.Level4}, "level_obtained"},
		{"apprentice as current level", applicant(held(catalog.LevelApprentice, 1, 0)), "current_level"},
		{"negative years", applicant(yearsIn(-1)), "years_in_occupation"},
		{"unknown education", applicant(diploma("phd", true)), "education[0].kind"},
		{"unknown title", applicant(title("professor")), "title"},
		{"unknown award", applicant(award("olympics")), "awards[0].kind"},
		{"unknown route", applicant(route("vip")), "route"},
		{"empty evidence id", Applicant{EvidenceFileIDs: []string{""}}, "evidence_file_ids[0]"},
	}
	for _, tt := range bad {
		_, err := rs.Evaluate(catalog.Level3, tt.app, asOf)
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Code != "validation_failed" || len(pe.Fields) == 0 || pe.Fields[0].Field != tt.field {
			t.Errorf("%s: error %v, want a field error on %s", tt.name, err, tt.field)
		}
	}
}

func TestRegistry(t *testing.T) {
	reg := defaults(t)
	if ids := []string{reg.All()[0].ID, reg.All()[1].ID}; len(reg.All()) != 2 || ids[0] != RuleSet2018 || ids[1] != RuleSet2023 {
		t.Fatalf("All() = %v", ids)
	}
	for year, want := range map[int]string{0: RuleSet2023, 2009: RuleSet2018, 2018: RuleSet2018, 2021: RuleSet2018, 2023: RuleSet2018, 2024: RuleSet2023, 2030: RuleSet2023} {
		if got := reg.ForStandardYear(year).ID; got != want {
			t.Errorf("ForStandardYear(%d) = %s, want %s", year, got, want)
		}
	}
	if _, err := reg.Get("std-1999"); platform.KindOf(err) != platform.KindNotFound {
		t.Errorf("Get unknown: %v", err)
	}
	rs, _ := reg.Get(RuleSet2018)
	if _, err := NewRegistry(rs, rs); platform.CodeOf(err) != "duplicate_rule_set" {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := NewRegistry(); err == nil {
		t.Error("empty registry accepted")
	}
	covered := rs.LevelsCovered()
	if len(covered) != 7 || covered[0] != catalog.Level5 || covered[6] != catalog.LevelChiefTechnician {
		t.Errorf("LevelsCovered() = %v", covered)
	}
}

// TestDefaultsRoundTrip checks that a default edition survives export and re-upload unchanged, which is
// how an admin starts a new edition.
func TestDefaultsRoundTrip(t *testing.T) {
	for _, rs := range defaults(t).All() {
		b, err := json.Marshal(rs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Load(b)
		if err != nil {
			t.Fatalf("%s: reload: %v", rs.ID, err)
		}
		b2, _ := json.Marshal(again)
		if string(b) != string(b2) {
			t.Errorf("%s changed on round trip", rs.ID)
		}
	}
}

const uploaded = `{
  "id": "acme-2025", "revision": 3,
  "name_zh": "某企业评价规范", "name_en": "ACME enterprise norm",
  "source": "enterprise evaluation norm filed with the ministry",
  "applies_from_year": 2025,
  "levels": [{
    "level": "4",
    "paths": [{
      "id": "acme.l4", "route": "normal", "zh": "本企业工作3年且持有五级", "en": "3 years here and level 5",
      "conditions": [
        {"kind": "holds_level", "level": "五级/初级工"},
        {"id": "three_years", "kind": "min_years_in_occupation", "years": 3}
      ]
    }]
  }]
}`

func TestLoadUploadedRuleSet(t *testing.T) {
	rs, err := Load([]byte(uploaded))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	d, err := rs.Evaluate(catalog.Level4, applicant(yearsIn(3), held(catalog.Level5, 0, -1)), asOf)
	if err != nil || d.Outcome != OutcomeEligible || d.PassedPath != "acme.l4" || d.RuleSet != "acme-2025" || d.RuleSetRevision != 3 {
		t.Fatalf("decision = %+v, %v", d, err)
	}
	if _, ok := d.Clause("acme.l4.three_years"); !ok {
		t.Error("condition id not used in the clause id")
	}
	if d.TheoryExempt {
		t.Error("a rule set without exemption exempted")
	}
	if _, err := rs.Evaluate(catalog.Level3, applicant(), asOf); platform.CodeOf(err) != "level_not_covered" {
		t.Errorf("uncovered level: %v", err)
	}
}

func TestLoadRejects(t *testing.T) {
	base := func(cond string) string {
		return `{"id":"x","revision":1,"name_zh":"x","name_en":"x","levels":[{"level":"5","paths":[{"id":"p","route":"normal","zh":"x","en":"x","conditions":[` + cond + `]}]}]}`
	}
	tests := []struct {
		name  string
		json  string
		code  string // code of the top-level error
		field string // field with the error, for validation_failed
		fcode string
	}{
		{"unknown kind", base(`{"kind":"good_looks"}`), "validation_failed", "levels[0].paths[0].conditions[0].kind", "unknown_kind"},
		{"field not used by kind", base(`{"kind":"apprenticeship_completed","years":2}`), "validation_failed", "levels[0].paths[0].conditions[0].years", "not_allowed"},
		{"holds_level without level", base(`{"kind":"holds_level","years":2}`), "validation_failed", "levels[0].paths[0].conditions[0].level", "required"},
		{"zero years", base(`{"kind":"min_years_in_occupation"}`), "validation_failed", "levels[0].paths[0].conditions[0].years", "out_of_range"},
		{"unknown education", base(`{"kind":"education","education":["clown_school"]}`), "validation_failed", "levels[0].paths[0].conditions[0].education[0]", "invalid"},
		{"unknown award", base(`{"kind":"award","awards":["nobel"]}`), "validation_failed", "levels[0].paths[0].conditions[0].awards[0]", "invalid"},
		{"title none", base(`{"kind":"professional_title"}`), "validation_failed", "levels[0].paths[0].conditions[0].title", "invalid"},
		{"duplicate condition", base(`{"kind":"apprenticeship_completed"},{"kind":"apprenticeship_completed"}`), "validation_failed", "levels[0].paths[0].conditions[1].id", "duplicate"},
		{"empty path", base(``), "validation_failed", "levels[0].paths[0].conditions", "required"},
		{"unknown JSON field", strings.Replace(base(`{"kind":"apprenticeship_completed"}`), `"revision":1`, `"revision":1,"colour":"red"`, 1), "invalid_rule_set", "", ""},
		{"unknown level", strings.Replace(base(`{"kind":"apprenticeship_completed"}`), `"level":"5"`, `"level":"9"`, 1), "invalid_rule_set", "", ""},
		{"trailing data", base(`{"kind":"apprenticeship_completed"}`) + `{}`, "invalid_rule_set", "", ""},
		{"not JSON", `levels: 5`, "invalid_rule_set", "", ""},
		{"bad route", strings.Replace(base(`{"kind":"apprenticeship_completed"}`), `"normal"`, `"backdoor"`, 1), "validation_failed", "levels[0].paths[0].route", "invalid"},
		{"bad id", strings.Replace(base(`{"kind":"apprenticeship_completed"}`), `"id":"x"`, `"id":"X Y"`, 1), "validation_failed", "id", "invalid"},
		{"duplicate level", strings.Replace(base(`{"kind":"apprenticeship_completed"}`), `]}]}`, `]}]},{"level":"五级","paths":[{"id":"q","route":"normal","zh":"x","en":"x","conditions":[{"kind":"apprenticeship_completed"}]}]}`, 1) + ``, "validation_failed", "levels[1].level", "duplicate"},
		{"duplicate path id", strings.Replace(base(`{"kind":"apprenticeship_completed"}`), `]}]}`, `]},{"id":"p","route":"normal","zh":"x","en":"x","conditions":[{"kind":"apprenticeship_completed"}]}]}`, 1), "validation_failed", "levels[0].paths[1].id", "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(tt.json))
			var pe *platform.Error
			if !errors.As(err, &pe) || pe.Code != tt.code || pe.Kind != platform.KindUnprocessable {
				t.Fatalf("Load error = %v, want code %s", err, tt.code)
			}
			if tt.field == "" {
				return
			}
			for _, f := range pe.Fields {
				if f.Field == tt.field && f.Code == tt.fcode {
					return
				}
			}
			t.Errorf("fields = %+v, want %s/%s", pe.Fields, tt.field, tt.fcode)
		})
	}
}

func BenchmarkEvaluate(b *testing.B) {
	rs, _ := defaults(b).Get(RuleSet2023)
	a := applicant(yearsIn(7), held(catalog.Level4, 5, 0), diploma(EduCollege, true), title(TitleAssistant))
	for b.Loop() {
		if _, err := rs.Evaluate(catalog.Level3, a, asOf); err != nil {
			b.Fatal(err)
		}
	}
}
