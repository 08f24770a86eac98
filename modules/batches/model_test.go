package batches_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform"
)

func TestStatusTransitions(t *testing.T) {
	all := []batches.Status{batches.StatusDraft, batches.StatusOpen, batches.StatusClosed, batches.StatusPublicity,
		batches.StatusFinalized, batches.StatusCancelled}
	allowed := map[[2]batches.Status]bool{
		{batches.StatusDraft, batches.StatusOpen}:          true,
		{batches.StatusDraft, batches.StatusCancelled}:     true,
		{batches.StatusOpen, batches.StatusClosed}:         true,
		{batches.StatusOpen, batches.StatusCancelled}:      true,
		{batches.StatusClosed, batches.StatusPublicity}:    true,
		{batches.StatusClosed, batches.StatusCancelled}:    true,
		{batches.StatusPublicity, batches.StatusFinalized}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := from.CanBecome(to); got != allowed[[2]batches.Status{from, to}] {
				t.Errorf("%s → %s: %v", from, to, got)
			}
		}
	}
}

func validBatch() batches.NewBatch {
	exam := time.Date(2026, 12, 20, 9, 0, 0, 0, batches.ChinaTime)
	return batches.NewBatch{OccupationCode: "6-31-01-03", Level: 4, Title: "电工四级", Venue: "朝阳",
		Methods: []batches.Method{batches.MethodTheory, batches.MethodPractical}, ExamStart: exam,
		ApplicationDeadline: exam.AddDate(0, 0, -7), FeeFen: 30000, Capacity: 100}
}

func TestNewBatchValidate(t *testing.T) {
	zero, many := 0, 31
	cases := []struct {
		name   string
		mod    func(*batches.NewBatch)
		fields []string // field errors expected; none: valid
	}{
		{"valid", func(*batches.NewBatch) {}, nil},
		{"publicity of zero days", func(n *batches.NewBatch) { n.PublicityDays = &zero }, nil},
		{"level 2 without comprehensive review", func(n *batches.NewBatch) { n.Level = 2 }, []string{"methods"}},
		{"level 1 without comprehensive review", func(n *batches.NewBatch) { n.Level = 1 }, []string{"methods"}},
		{"level 2 with comprehensive review", func(n *batches.NewBatch) {
			n.Level = 2
			n.Methods = append(n.Methods, batches.MethodComprehensiveReview)
		}, nil},
		{"apprentice rung", func(n *batches.NewBatch) { n.Level = int(catalog.LevelApprentice) }, []string{"level"}},
		{"no methods", func(n *batches.NewBatch) { n.Methods = nil }, []string{"methods"}},
		{"unknown method", func(n *batches.NewBatch) { n.Methods = []batches.Method{"interview"} }, []string{"methods[0]"}},
		{"duplicate method", func(n *batches.NewBatch) { n.Methods = append(n.Methods, batches.MethodTheory) }, []string{"methods[2]"}},
		{"pass mark over 100", func(n *batches.NewBatch) { n.PassMarks = map[batches.Method]float64{batches.MethodTheory: 101} },
			[]string{"pass_marks.theory"}},
		{"pass mark of an unused method", func(n *batches.NewBatch) {
			n.PassMarks = map[batches.Method]float64{batches.MethodThesisDefense: 60}
		}, []string{"pass_marks.thesis_defense"}},
		{"deadline after the exam", func(n *batches.NewBatch) { n.ApplicationDeadline = n.ExamStart.Add(time.Hour) },
			[]string{"application_deadline"}},
		{"exam ends before it starts", func(n *batches.NewBatch) { e := n.ExamStart.Add(-time.Hour); n.ExamEnd = &e },
			[]string{"exam_end"}},
		{"negative fee", func(n *batches.NewBatch) { n.FeeFen = -1 }, []string{"fee_fen"}},
		{"no capacity", func(n *batches.NewBatch) { n.Capacity = 0 }, []string{"capacity"}},
		{"too long a publicity", func(n *batches.NewBatch) { n.PublicityDays = &many }, []string{"publicity_days"}},
		{"no evaluator needed", func(n *batches.NewBatch) { n.MinEvaluators = &zero }, []string{"min_evaluators"}},
		{"no title or venue", func(n *batches.NewBatch) { n.Title, n.Venue = " ", "" }, []string{"title", "venue"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := validBatch()
			c.mod(&n)
			err := n.Validate()
			var got []string
			if pe, ok := err.(*platform.Error); ok {
				for _, f := range pe.Fields {
					got = append(got, f.Field)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.fields) {
				t.Fatalf("fields %v, want %v", got, c.fields)
			}
			if err == nil {
				if n.PassMarks[batches.MethodTheory] != batches.DefaultPassMark || n.PublicityDays == nil || n.MinEvaluators == nil ||
					*n.MinEvaluators != 1 || n.Subtype != "--" {
					t.Fatalf("defaults not filled: %+v", n)
				}
			}
		})
	}
	n := validBatch()
	if err := n.Validate(); err != nil || *n.PublicityDays != batches.DefaultPublicityDays {
		t.Fatalf("default publicity %v %v", n.PublicityDays, err)
	}
	n = validBatch()
	n.Level = 2
	err := n.Validate().(*platform.Error)
	if err.Fields[0].Code != "comprehensive_review_required" {
		t.Fatalf("code %+v", err.Fields)
	}
}

func TestComputeResult(t *testing.T) {
	b := batches.Batch{Methods: []batches.Method{batches.MethodTheory, batches.MethodPractical},
		PassMarks: map[batches.Method]float64{batches.MethodTheory: 60, batches.MethodPractical: 70}}
	type S = map[batches.Method]float64
	cases := []struct {
		name   string
		exempt bool
		scores S
		final  bool
		want   batches.Result
	}{
		{"both pass", false, S{"theory": 60, "practical": 70}, false, batches.ResultPass},
		{"practical under its own pass mark", false, S{"theory": 95, "practical": 69.5}, false, batches.ResultFail},
		{"incomplete", false, S{"theory": 90}, false, batches.ResultNone},
		{"one fail decides early", false, S{"theory": 40}, false, batches.ResultFail},
		{"absent at publication", false, S{"theory": 90}, true, batches.ResultFail},
		{"exempt from theory", true, S{"practical": 80}, false, batches.ResultPass},
		{"not exempt, theory missing", false, S{"practical": 80}, false, batches.ResultNone},
		{"nothing scored at publication", false, S{}, true, batches.ResultFail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := batches.ComputeResult(b, c.exempt, c.scores, c.final); got != c.want {
				t.Fatalf("%q, want %q", got, c.want)
			}
		})
	}
}

func TestCandidateApplicant(t *testing.T) {
	on := time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)
	c := batches.Candidate{Education: "本科", RelatedDiploma: true, OccupationYears: 6, CurrentLevel: 5,
		CurrentLevelObtainedOn: &on, TitleLevel: "中级", ApprenticeshipCompleted: true,
		Awards: []string{"national_competition", "全国技术能手", "best employee of the month"}}
	got := c.Applicant(eligibility.RouteFastTrack, []string{"f"})
	want := eligibility.Applicant{
		Education:         []eligibility.Diploma{{Kind: eligibility.EduBachelor, Related: true}},
		YearsInOccupation: 6, CurrentLevel: catalog.Level5, LevelObtained: on, Title: eligibility.TitleIntermediate,
		ApprenticeshipCompleted: true,
		Awards:                  []eligibility.Award{{Kind: eligibility.AwardNationalCompetition}, {Kind: eligibility.AwardNationalTechnicalExpert}},
		Route:                   eligibility.RouteFastTrack, EvidenceFileIDs: []string{"f"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("applicant\n got %+v\nwant %+v", got, want)
	}
	// Declarations no condition uses are left out, so the applicant still validates.
	c = batches.Candidate{Education: "senior_high", TitleLevel: "", CurrentLevel: 0}
	a := c.Applicant("", nil)
	if len(a.Education) != 0 || a.Title != eligibility.TitleNone || a.Validate(time.Now()) != nil {
		t.Fatalf("%+v", a)
	}
}

func TestCalendar(t *testing.T) {
	cst := batches.ChinaTime
	cal := batches.NewCalendar([]string{"2026-12-31", "2027-01-01"}, []string{"2027-01-02"})
	cases := []struct {
		name string
		from time.Time
		days int
		want time.Time
	}{
		{"zero days end at once", time.Date(2026, 11, 27, 10, 0, 0, 0, cst), 0, time.Date(2026, 11, 27, 10, 0, 0, 0, cst)},
		{"Friday over a weekend", time.Date(2026, 11, 27, 10, 0, 0, 0, cst), 5, time.Date(2026, 12, 5, 0, 0, 0, 0, cst)},
		{"Monday", time.Date(2026, 11, 23, 8, 0, 0, 0, cst), 5, time.Date(2026, 12, 1, 0, 0, 0, 0, cst)},
		{"published on a Saturday", time.Date(2026, 11, 28, 8, 0, 0, 0, cst), 1, time.Date(2026, 12, 1, 0, 0, 0, 0, cst)},
		// 17:00 UTC on Friday is already Saturday in China.
		{"the China date counts", time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC), 1, time.Date(2026, 12, 1, 0, 0, 0, 0, cst)},
		// 30 Dec (Wed) → 31 Dec and 1 Jan are holidays, Sat 2 Jan is worked, then Mon 4 Jan.
		{"New Year with a worked Saturday", time.Date(2026, 12, 30, 9, 0, 0, 0, cst), 2, time.Date(2027, 1, 5, 0, 0, 0, 0, cst)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := cal.EndAfterWorkingDays(c.from, c.days); !got.Equal(c.want) {
				t.Fatalf("%v, want %v", got.In(cst), c.want)
			}
		})
	}
	if cal.IsWorkingDay(time.Date(2026, 12, 31, 12, 0, 0, 0, cst)) || !cal.IsWorkingDay(time.Date(2027, 1, 2, 12, 0, 0, 0, cst)) {
		t.Fatal("holiday or adjusted workday ignored")
	}
}

func TestHolidaysValidate(t *testing.T) {
	cases := []struct {
		name  string
		h     batches.Holidays
		field string
	}{
		{"ok", batches.Holidays{Year: 2027, Holidays: []string{"2027-02-10", "2027-01-01"}, Workdays: []string{"2027-02-06"}}, ""},
		{"year out of range", batches.Holidays{Year: 1999}, "year"},
		{"bad date", batches.Holidays{Year: 2027, Holidays: []string{"2027-13-01"}}, "holidays[0]"},
		{"other year", batches.Holidays{Year: 2027, Holidays: []string{"2026-12-31"}}, "holidays[0]"},
		{"weekday workday", batches.Holidays{Year: 2027, Workdays: []string{"2027-02-08"}}, "workdays[0]"},
		{"listed twice", batches.Holidays{Year: 2027, Holidays: []string{"2027-01-01", "2027-01-01"}}, "holidays[1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.h.Validate()
			if c.field == "" {
				if err != nil || !slices.IsSorted(c.h.Holidays) {
					t.Fatalf("%v %v", err, c.h.Holidays)
				}
				return
			}
			pe, ok := err.(*platform.Error)
			if !ok || len(pe.Fields) != 1 || pe.Fields[0].Field != c.field {
				t.Fatalf("%v, want a %s error", err, c.field)
			}
		})
	}
}
