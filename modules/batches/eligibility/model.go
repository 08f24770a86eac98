package eligibility

import (
	"fmt"
	"time"

	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform"
)

// Route is how a candidate asks to be evaluated.
type Route string

// Routes. The zero value "" means RouteNormal.
const (
	RouteNormal            Route = "normal"             // the standard's application conditions
	RouteDirectRecognition Route = "direct_recognition" // 直接认定: competition winners, major contributors
	RouteFastTrack         Route = "fast_track"         // 破格: skip the years a promotion normally needs
)

func (r Route) valid() bool {
	return r == RouteNormal || r == RouteDirectRecognition || r == RouteFastTrack
}

// Outcome is the verdict of a Decision.
type Outcome string

// Outcomes.
const (
	OutcomeEligible      Outcome = "eligible"       // a path passed; the application may proceed
	OutcomeIneligible    Outcome = "ineligible"     // no path passed, or a requirement failed
	OutcomePendingReview Outcome = "pending_review" // a review path passed; a reviewer decides on the evidence
)

// Education is a kind of graduation certificate (毕业证书).
type Education string

// Education kinds, named after the schools the standards list.
const (
	EduTechnicalSchool       Education = "technical_school"        // 技工学校
	EduSecondaryVocational   Education = "secondary_vocational"    // 中等职业学校 (中专, 职高)
	EduSeniorTechnicalSchool Education = "senior_technical_school" // 高级技工学校
	EduTechnicianCollege     Education = "technician_college"      // 技师学院
	EduPreparatoryTechnician Education = "preparatory_technician"  // 技师学院预备技师（技师）班
	EduVocationalCollege     Education = "vocational_college"      // 高等职业学校 (高职)
	EduCollege               Education = "college"                 // 大专 (专科)
	EduBachelor              Education = "bachelor"                // 本科
	EduMaster                Education = "master"                  // 硕士研究生
	EduDoctorate             Education = "doctorate"               // 博士研究生
)

var educationNames = map[Education][2]string{
	EduTechnicalSchool:       {"技工学校", "technical school"},
	EduSecondaryVocational:   {"中等职业学校", "secondary vocational school"},
	EduSeniorTechnicalSchool: {"高级技工学校", "senior technical school"},
	EduTechnicianCollege:     {"技师学院", "technician college"},
	EduPreparatoryTechnician: {"技师学院预备技师班", "preparatory technician class"},
	EduVocationalCollege:     {"高等职业学校", "higher vocational college"},
	EduCollege:               {"大专", "junior college"},
	EduBachelor:              {"本科", "bachelor's degree"},
	EduMaster:                {"硕士研究生", "master's degree"},
	EduDoctorate:             {"博士研究生", "doctorate"},
}

func (e Education) valid() bool { _, ok := educationNames[e]; return ok }

// Diploma is one graduation certificate of a candidate. Related means the major is this occupation's or
// a related one (本专业或相关专业); it is what both the education paths and the theory exemption need.
// A final-year student (在校应届毕业生) declares the diploma they are about to receive, as the standards
// allow.
type Diploma struct {
	Kind    Education `json:"kind"`
	Related bool      `json:"related"`
}

// Title is the grade of a professional title (职称).
type Title string

// Title grades, lowest first. The zero value means none.
const (
	TitleNone         Title = ""
	TitleJunior       Title = "junior"        // 员级
	TitleAssistant    Title = "assistant"     // 助理级
	TitleIntermediate Title = "intermediate"  // 中级
	TitleDeputySenior Title = "deputy_senior" // 副高级
	TitleFullSenior   Title = "full_senior"   // 正高级
)

var titles = map[Title]struct {
	rank   int
	zh, en string
}{
	TitleNone:         {0, "无职称", "no title"},
	TitleJunior:       {1, "员级职称", "junior title"},
	TitleAssistant:    {2, "助理级职称", "assistant-grade title"},
	TitleIntermediate: {3, "中级职称", "intermediate title"},
	TitleDeputySenior: {4, "副高级职称", "deputy senior title"},
	TitleFullSenior:   {5, "正高级职称", "full senior title"},
}

func (t Title) valid() bool { _, ok := titles[t]; return ok }
func (t Title) rank() int   { return titles[t].rank }

// AwardKind is a kind of distinction that may open direct recognition or fast-track.
type AwardKind string

// Award kinds.
const (
	AwardWorldSkills               AwardKind = "world_skills"                // 世界技能大赛获奖
	AwardChinaSkills               AwardKind = "china_skills_award"          // 中华技能大奖
	AwardNationalTechnicalExpert   AwardKind = "national_technical_expert"   // 全国技术能手
	AwardNationalCompetition       AwardKind = "national_competition"        // 国家级职业技能竞赛获奖
	AwardProvincialTechnicalExpert AwardKind = "provincial_technical_expert" // 省级技术能手
	AwardProvincialCompetition     AwardKind = "provincial_competition"      // 省级职业技能竞赛获奖
	AwardIndustryCompetition       AwardKind = "industry_competition"        // 行业职业技能竞赛获奖
	AwardEnterpriseCompetition     AwardKind = "enterprise_competition"      // 企业职业技能竞赛获奖
	AwardMajorContribution         AwardKind = "major_contribution"          // 技术创新、技术改造突出贡献
)

var awardNames = map[AwardKind][2]string{
	AwardWorldSkills:               {"世界技能大赛获奖", "WorldSkills medal"},
	AwardChinaSkills:               {"中华技能大奖", "China Skills Award"},
	AwardNationalTechnicalExpert:   {"全国技术能手", "national technical expert"},
	AwardNationalCompetition:       {"国家级职业技能竞赛获奖", "national skills competition prize"},
	AwardProvincialTechnicalExpert: {"省级技术能手", "provincial technical expert"},
	AwardProvincialCompetition:     {"省级职业技能竞赛获奖", "provincial skills competition prize"},
	AwardIndustryCompetition:       {"行业职业技能竞赛获奖", "industry skills competition prize"},
	AwardEnterpriseCompetition:     {"企业职业技能竞赛获奖", "enterprise skills competition prize"},
	AwardMajorContribution:         {"技术创新、技术改造突出贡献", "major contribution to innovation or technical renovation"},
}

func (k AwardKind) valid() bool { _, ok := awardNames[k]; return ok }

// Award is one distinction a candidate declares; the reviewer checks it against the evidence.
type Award struct {
	Kind AwardKind `json:"kind"`
	Name string    `json:"name,omitempty"`
	Year int       `json:"year,omitempty"`
}

// Applicant is what a candidate declares on an application, as far as eligibility is concerned.
//
// CurrentLevel is the highest level the candidate holds in this occupation or a related one (the
// standards count both), LevelObtained its issue date; both zero when none is held. YearsInOccupation is
// the cumulative full years worked in the occupation or related ones (累计从事本职业或相关职业工作年限).
type Applicant struct {
	Education               []Diploma     `json:"education,omitempty"`
	YearsInOccupation       int           `json:"years_in_occupation"`
	CurrentLevel            catalog.Level `json:"current_level,omitempty"`
	LevelObtained           time.Time     `json:"level_obtained,omitzero"`
	Title                   Title         `json:"title,omitempty"`
	ApprenticeshipCompleted bool          `json:"apprenticeship_completed,omitempty"`
	Awards                  []Award       `json:"awards,omitempty"`
	Route                   Route         `json:"route,omitempty"`
	EvidenceFileIDs         []string      `json:"evidence_file_ids,omitempty"`
}

// maxYears bounds declared years: a working life, not a typo of a year number.
const maxYears = 70

// Validate checks the applicant as declared on asOf and collects every bad field in one 422
// validation_failed error.
func (a Applicant) Validate(asOf time.Time) error {
	var v platform.Validation
	v.Check(a.Route == "" || a.Route.valid(), "route", "invalid", "route must be normal, direct_recognition or fast_track")
	v.Check(a.YearsInOccupation >= 0 && a.YearsInOccupation <= maxYears, "years_in_occupation", "out_of_range",
		fmt.Sprintf("years in the occupation must be between 0 and %d", maxYears))
	if a.CurrentLevel != catalog.LevelUnknown {
		if v.Check(a.CurrentLevel.Valid() && a.CurrentLevel != catalog.LevelApprentice, "current_level", "invalid",
			"current level must be one of 5..1, special_technician or chief_technician") {
			if v.Check(!a.LevelObtained.IsZero(), "level_obtained", "required", "the date the current level was obtained is required") {
				v.Check(!civil(a.LevelObtained).After(civil(asOf)), "level_obtained", "in_future", "the level cannot be obtained after the application date")
			}
		}
	}
	for i, d := range a.Education {
		v.Check(d.Kind.valid(), fmt.Sprintf("education[%d].kind", i), "invalid", "unknown education kind "+string(d.Kind))
	}
	v.Check(a.Title.valid(), "title", "invalid", "unknown professional title grade "+string(a.Title))
	for i, aw := range a.Awards {
		v.Check(aw.Kind.valid(), fmt.Sprintf("awards[%d].kind", i), "invalid", "unknown award kind "+string(aw.Kind))
	}
	for i, id := range a.EvidenceFileIDs {
		v.Check(id != "", fmt.Sprintf("evidence_file_ids[%d]", i), "required", "an evidence file id is empty")
	}
	return v.Err()
}

// Clause is one checked condition of a Decision.
//
// ID is stable across evaluations of the same rule set: "<path>.<condition>" for a path's condition
// ("l4.after_l5.holds_level"), "<level>.requires.<condition>" for a level-wide requirement,
// "<path>.evidence" for the evidence a review path needs, "<level>.route" when the level offers no path
// for the requested route, and "theory_exemption.<condition>" for the exemption.
type Clause struct {
	ID       string `json:"id"`
	Path     string `json:"path,omitempty"`
	Kind     Kind   `json:"kind,omitempty"`
	Passed   bool   `json:"passed"`
	ReasonZH string `json:"reason_zh"`
	ReasonEN string `json:"reason_en"`
}

// Decision is the result of an evaluation, recorded with the application.
type Decision struct {
	Outcome         Outcome       `json:"outcome"`
	RuleSet         string        `json:"rule_set"`
	RuleSetRevision int           `json:"rule_set_revision"`
	Level           catalog.Level `json:"level"`
	Route           Route         `json:"route"`
	AsOf            time.Time     `json:"as_of"`
	// PassedPath is the first path (in rule set order) that passed; "" when ineligible.
	PassedPath string   `json:"passed_path,omitempty"`
	Clauses    []Clause `json:"clauses"`
	// TheoryExempt reports whether the theory exam (理论知识考试) is waived, with the reason.
	TheoryExempt   bool   `json:"theory_exempt"`
	ExemptReasonZH string `json:"exempt_reason_zh,omitempty"`
	ExemptReasonEN string `json:"exempt_reason_en,omitempty"`
}

// Clause returns the clause with the given ID.
func (d Decision) Clause(id string) (Clause, bool) {
	for _, c := range d.Clauses {
		if c.ID == id {
			return c, true
		}
	}
	return Clause{}, false
}

// civil returns the calendar date of t in its own location, as UTC midnight, so that dates compare by day.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// fullYears counts whole calendar years from `from` to `to` (both taken as calendar dates): a level
// obtained on 2021-03-10 has been held 4 full years on 2025-03-10 and 3 on 2025-03-09. From 29 February a
// year is complete on 1 March of a common year.
func fullYears(from, to time.Time) int {
	f, t := civil(from), civil(to)
	if t.Before(f) {
		return -1
	}
	y := t.Year() - f.Year()
	if t.Month() < f.Month() || (t.Month() == f.Month() && t.Day() < f.Day()) {
		y--
	}
	return y
}
