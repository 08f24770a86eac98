package eligibility

import (
	"fmt"
	"strings"
	"time"

	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform"
)

// Evaluate decides whether applicant a may apply for level under this rule set, as of the date asOf (only
// its calendar date counts). Every condition of every path of the requested route is checked and
// recorded, so the decision shows why each alternative passed or failed, not only the first.
//
// The outcome is eligible when the level's requirements hold and a path that needs no review passes;
// pending_review when the first passing path needs review (direct recognition, fast-track, awards,
// appointments) and evidence is attached; ineligible otherwise. Errors: 422 validation_failed for an
// invalid applicant, 422 level_not_covered when the rule set has no conditions for level.
func (rs *RuleSet) Evaluate(level catalog.Level, a Applicant, asOf time.Time) (Decision, error) {
	if err := a.Validate(asOf); err != nil {
		return Decision{}, err
	}
	lr, ok := rs.rules(level)
	if !ok {
		return Decision{}, platform.Unprocessable("level_not_covered",
			fmt.Sprintf("rule set %s has no application conditions for level %s", rs.ID, level))
	}
	route := a.Route
	if route == "" {
		route = RouteNormal
	}
	e := evaluator{a: a, target: level, asOf: civil(asOf)}
	d := Decision{
		Outcome:         OutcomeIneligible,
		RuleSet:         rs.ID,
		RuleSetRevision: rs.Revision,
		Level:           level,
		Route:           route,
		AsOf:            civil(asOf),
	}

	requiresOK := true
	for _, c := range lr.Requires {
		cl := e.check(c)
		cl.ID = level.Code() + ".requires." + c.id()
		d.Clauses = append(d.Clauses, cl)
		requiresOK = requiresOK && cl.Passed
	}

	offered := false
	for _, p := range lr.Paths {
		if p.Route != route {
			continue
		}
		offered = true
		passed := true
		for _, c := range p.Conditions {
			cl := e.check(c)
			cl.ID, cl.Path = p.ID+"."+c.id(), p.ID
			d.Clauses = append(d.Clauses, cl)
			passed = passed && cl.Passed
		}
		review := p.needsReview()
		if review {
			cl := e.evidence()
			cl.ID, cl.Path = p.ID+".evidence", p.ID
			d.Clauses = append(d.Clauses, cl)
			passed = passed && cl.Passed
		}
		if passed && requiresOK && d.PassedPath == "" {
			d.PassedPath = p.ID
			d.Outcome = OutcomeEligible
			if review {
				d.Outcome = OutcomePendingReview
			}
		}
	}
	if !offered {
		d.Clauses = append(d.Clauses, Clause{
			ID:       level.Code() + ".route",
			ReasonZH: fmt.Sprintf("%s没有“%s”申报途径", level.Label(), routeZH(route)),
			ReasonEN: fmt.Sprintf("%s offers no %s route", levelEN(level), strings.ReplaceAll(string(route), "_", " ")),
		})
	}

	if ex := rs.TheoryExemption; ex != nil && level.IsNational() && d.Outcome != OutcomeIneligible {
		exempt := true
		var clauses []Clause
		for _, c := range ex.Conditions {
			cl := e.check(c)
			cl.ID = "theory_exemption." + c.id()
			clauses = append(clauses, cl)
			exempt = exempt && cl.Passed
		}
		d.Clauses = append(d.Clauses, clauses...)
		if exempt {
			d.TheoryExempt = true
			d.ExemptReasonZH, d.ExemptReasonEN = ex.ZH, ex.EN
		}
	}
	return d, nil
}

// evaluator checks single conditions for one applicant and target level.
type evaluator struct {
	a      Applicant
	target catalog.Level
	asOf   time.Time
}

// check evaluates one condition into a clause (ID and Path are set by the caller).
func (e evaluator) check(c Condition) Clause {
	ok, zh, en := e.test(c)
	return Clause{Kind: c.Kind, Passed: ok, ReasonZH: zh, ReasonEN: en}
}

func (e evaluator) test(c Condition) (bool, string, string) {
	a := e.a
	switch c.Kind {
	case KindMinYearsInOccupation:
		ok := a.YearsInOccupation >= c.Years
		return ok,
			fmt.Sprintf("累计从事本职业%d年，要求%d年（含）以上", a.YearsInOccupation, c.Years),
			fmt.Sprintf("%s in the occupation, at least %s required", years(a.YearsInOccupation), years(c.Years))

	case KindHoldsLevel:
		want := c.Level
		if a.CurrentLevel == catalog.LevelUnknown {
			return false,
				fmt.Sprintf("未持有本职业（或相关职业）证书，要求持有%s（或以上）证书", want.Label()),
				fmt.Sprintf("holds no level in the occupation; %s or higher required", levelEN(want))
		}
		if want.Above(a.CurrentLevel) {
			return false,
				fmt.Sprintf("持有%s，要求%s（或以上）", a.CurrentLevel.Label(), want.Label()),
				fmt.Sprintf("holds %s; %s or higher required", levelEN(a.CurrentLevel), levelEN(want))
		}
		held := fullYears(a.LevelObtained, e.asOf)
		if c.Years == 0 {
			return true,
				fmt.Sprintf("持有%s", a.CurrentLevel.Label()),
				fmt.Sprintf("holds %s", levelEN(a.CurrentLevel))
		}
		if held < c.Years {
			return false,
				fmt.Sprintf("取得%s满%d年，要求取得证书后%d年（含）以上", a.CurrentLevel.Label(), held, c.Years),
				fmt.Sprintf("%s held for %s; %s required", levelEN(a.CurrentLevel), years(held), years(c.Years))
		}
		if a.YearsInOccupation < c.Years {
			return false,
				fmt.Sprintf("取得%s已满%d年，但累计从事本职业仅%d年，要求取得证书后从事本职业%d年（含）以上", a.CurrentLevel.Label(), held, a.YearsInOccupation, c.Years),
				fmt.Sprintf("%s held for %s but only %s in the occupation; %s of work after it required", levelEN(a.CurrentLevel), years(held), years(a.YearsInOccupation), years(c.Years))
		}
		return true,
			fmt.Sprintf("取得%s满%d年，要求%d年（含）以上", a.CurrentLevel.Label(), held, c.Years),
			fmt.Sprintf("%s held for %s, at least %s required", levelEN(a.CurrentLevel), years(held), years(c.Years))

	case KindMinYearsSinceLevel:
		if a.CurrentLevel == catalog.LevelUnknown {
			return true, "未持有职业技能等级，不涉及晋级间隔", "holds no level, so no promotion interval applies"
		}
		held := fullYears(a.LevelObtained, e.asOf)
		return held >= c.Years,
			fmt.Sprintf("取得%s满%d年，晋级申报要求取得上一等级%d年后", a.CurrentLevel.Label(), held, c.Years),
			fmt.Sprintf("%s held for %s; a promotion needs %s after the previous level", levelEN(a.CurrentLevel), years(held), years(c.Years))

	case KindEducation:
		zhKinds, enKinds := educationList(c.Education)
		suffixZH, suffixEN := "毕业证书", "diploma"
		if c.Related {
			suffixZH, suffixEN = "本专业或相关专业毕业证书", "diploma in a related major"
		}
		for _, d := range a.Education {
			if contains(c.Education, d.Kind) && (!c.Related || d.Related) {
				return true,
					fmt.Sprintf("具有%s%s", educationNames[d.Kind][0], suffixZH),
					fmt.Sprintf("has a %s %s", educationNames[d.Kind][1], suffixEN)
			}
		}
		return false,
			fmt.Sprintf("未申报%s%s", zhKinds, suffixZH),
			fmt.Sprintf("no %s %s declared", enKinds, suffixEN)

	case KindApprenticeship:
		if a.ApprenticeshipCompleted {
			return true, "本职业学徒期满", "apprenticeship in the occupation completed"
		}
		return false, "未申报本职业学徒期满", "no completed apprenticeship declared"

	case KindProfessionalTitle:
		have := titles[a.Title]
		return a.Title.rank() >= c.Title.rank(),
			fmt.Sprintf("具有%s，要求%s（或以上）", have.zh, titles[c.Title].zh),
			fmt.Sprintf("has %s; %s or higher required", have.en, titles[c.Title].en)

	case KindAward:
		for _, aw := range a.Awards {
			if contains(c.Awards, aw.Kind) {
				return true,
					fmt.Sprintf("申报%s，须经人工审核证明材料", awardNames[aw.Kind][0]),
					fmt.Sprintf("declares %s, to be verified by a reviewer", awardNames[aw.Kind][1])
			}
		}
		zh, en := awardList(c.Awards)
		return false,
			fmt.Sprintf("未申报%s", zh),
			fmt.Sprintf("declares none of: %s", en)

	case KindRelatedDiploma:
		for _, d := range a.Education {
			if d.Related {
				return true,
					fmt.Sprintf("具有与申报职业相关专业的%s毕业证书", educationNames[d.Kind][0]),
					fmt.Sprintf("has a %s diploma in a major related to the occupation", educationNames[d.Kind][1])
			}
		}
		return false, "未申报与申报职业相关专业的毕业证书", "no diploma in a related major declared"

	case KindNotYetHeld:
		if a.CurrentLevel == catalog.LevelUnknown || e.target.Above(a.CurrentLevel) {
			if a.CurrentLevel == catalog.LevelUnknown {
				return true, "未持有本职业证书", "holds no level in the occupation yet"
			}
			return true,
				fmt.Sprintf("现持有%s，低于申报等级%s", a.CurrentLevel.Label(), e.target.Label()),
				fmt.Sprintf("holds %s, below the %s applied for", levelEN(a.CurrentLevel), levelEN(e.target))
		}
		return false,
			fmt.Sprintf("已持有%s，不得重复申报%s", a.CurrentLevel.Label(), e.target.Label()),
			fmt.Sprintf("already holds %s; %s may not be taken again", levelEN(a.CurrentLevel), levelEN(e.target))
	}
	// Unreachable for a validated rule set; fail closed rather than let an unknown kind pass.
	return false, "未知条件类型 " + string(c.Kind), "unknown condition kind " + string(c.Kind)
}

// evidence is the clause every review path adds: a reviewer needs documents to look at.
func (e evaluator) evidence() Clause {
	if n := len(e.a.EvidenceFileIDs); n > 0 {
		return Clause{Passed: true,
			ReasonZH: fmt.Sprintf("已提交%d份证明材料，转人工审核", n),
			ReasonEN: fmt.Sprintf("%d evidence file(s) attached; goes to manual review", n)}
	}
	return Clause{Passed: false,
		ReasonZH: "此途径须人工审核，但未提交证明材料",
		ReasonEN: "this route needs manual review but no evidence file is attached"}
}

func levelEN(l catalog.Level) string {
	if l.IsNational() {
		return fmt.Sprintf("level %d (%s)", int(l), l.LabelEN())
	}
	return l.LabelEN()
}

func years(n int) string {
	if n == 1 {
		return "1 year"
	}
	return fmt.Sprintf("%d years", n)
}

func routeZH(r Route) string {
	switch r {
	case RouteDirectRecognition:
		return "直接认定"
	case RouteFastTrack:
		return "破格申报"
	}
	return "常规申报"
}

func educationList(es []Education) (string, string) {
	zh := make([]string, len(es))
	en := make([]string, len(es))
	for i, e := range es {
		zh[i], en[i] = educationNames[e][0], educationNames[e][1]
	}
	return strings.Join(zh, "或"), strings.Join(en, " or ")
}

func awardList(as []AwardKind) (string, string) {
	zh := make([]string, len(as))
	en := make([]string, len(as))
	for i, a := range as {
		zh[i], en[i] = awardNames[a][0], awardNames[a][1]
	}
	return strings.Join(zh, "、"), strings.Join(en, ", ")
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
