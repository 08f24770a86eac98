package eligibility

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"sync"

	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform"
)

// Kind is the kind of a Condition. The set is closed: the engine knows how to check each one, and a rule
// set using any other kind is refused on load.
type Kind string

// Condition kinds and the fields each one uses.
const (
	// KindMinYearsInOccupation: at least Years cumulative years in the occupation.
	KindMinYearsInOccupation Kind = "min_years_in_occupation"
	// KindHoldsLevel: holds Level or a higher rung, obtained at least Years full years ago, and has worked
	// at least Years in the occupation ("取得…证书后，累计从事本职业工作N年").
	KindHoldsLevel Kind = "holds_level"
	// KindMinYearsSinceLevel: at least Years full years since the current level was obtained — the
	// promotion interval; holds trivially when no level is held.
	KindMinYearsSinceLevel Kind = "min_years_since_level"
	// KindEducation: a diploma of one of the Education kinds, in a related major when Related is set.
	KindEducation Kind = "education"
	// KindApprenticeship: an apprenticeship in the occupation completed (学徒期满).
	KindApprenticeship Kind = "apprenticeship_completed"
	// KindProfessionalTitle: a professional title of grade Title or higher.
	KindProfessionalTitle Kind = "professional_title"
	// KindAward: a declared award of one of the Awards kinds. Any path with an award condition goes to
	// manual review.
	KindAward Kind = "award"
	// KindRelatedDiploma: any diploma in a related major (used by the theory exemption).
	KindRelatedDiploma Kind = "related_diploma"
	// KindNotYetHeld: the candidate does not already hold the level applied for or a higher one — a level is
	// not taken twice (重复考证).
	KindNotYetHeld Kind = "not_yet_held"
)

// kindFields lists, per kind, which optional fields of Condition it uses; any other set field is an error.
var kindFields = map[Kind]struct{ years, level, education, related, title, awards bool }{
	KindMinYearsInOccupation: {years: true},
	KindHoldsLevel:           {years: true, level: true},
	KindMinYearsSinceLevel:   {years: true},
	KindEducation:            {education: true, related: true},
	KindApprenticeship:       {},
	KindProfessionalTitle:    {title: true},
	KindAward:                {awards: true},
	KindRelatedDiploma:       {},
	KindNotYetHeld:           {},
}

// Condition is one requirement of a path. Only the fields its Kind uses may be set.
type Condition struct {
	// ID names the condition within its path; it defaults to the Kind. Needed only when a path has two
	// conditions of the same kind.
	ID        string        `json:"id,omitempty"`
	Kind      Kind          `json:"kind"`
	Years     int           `json:"years,omitempty"`
	Level     catalog.Level `json:"level,omitempty"`
	Education []Education   `json:"education,omitempty"`
	Related   bool          `json:"related,omitempty"`
	Title     Title         `json:"title,omitempty"`
	Awards    []AwardKind   `json:"awards,omitempty"`
}

func (c Condition) id() string {
	if c.ID != "" {
		return c.ID
	}
	return string(c.Kind)
}

// Path is one alternative way to qualify for a level: all its conditions must hold.
type Path struct {
	ID    string `json:"id"`
	Route Route  `json:"route"`
	// ZH and EN describe the path as the standard words it, for reviewers and candidates.
	ZH string `json:"zh"`
	EN string `json:"en"`
	// Review sends a passing candidate to manual review (with evidence) instead of making them eligible.
	// Paths of the direct recognition and fast-track routes, and paths with an award condition, always do.
	Review     bool        `json:"review,omitempty"`
	Conditions []Condition `json:"conditions"`
}

// needsReview reports whether a passing candidate goes to a reviewer rather than straight through.
func (p Path) needsReview() bool {
	if p.Review || p.Route != RouteNormal {
		return true
	}
	for _, c := range p.Conditions {
		if c.Kind == KindAward {
			return true
		}
	}
	return false
}

// LevelRules are the conditions of one level: every Requires condition, and then any one Path of the
// requested route.
type LevelRules struct {
	Level    catalog.Level `json:"level"`
	Requires []Condition   `json:"requires,omitempty"`
	Paths    []Path        `json:"paths"`
}

// Exemption waives the theory exam when all its conditions hold (national levels only).
type Exemption struct {
	Conditions []Condition `json:"conditions"`
	ZH         string      `json:"zh"`
	EN         string      `json:"en"`
}

// RuleSet is one edition of application conditions. Treat a loaded RuleSet as read-only: decisions refer
// to it by ID and Revision, so a changed rule set must be uploaded under a new revision.
type RuleSet struct {
	ID       string `json:"id"`
	Revision int    `json:"revision"`
	NameZH   string `json:"name_zh"`
	NameEN   string `json:"name_en"`
	// Source names the documents the conditions come from.
	Source string `json:"source"`
	// AppliesFromYear is the first standard edition year this rule set is the default for (see
	// Registry.ForStandardYear).
	AppliesFromYear int                   `json:"applies_from_year"`
	TheoryExemption *Exemption            `json:"theory_exemption,omitempty"`
	Levels          []LevelRules          `json:"levels"`
	byLevel         map[catalog.Level]int // index into Levels, built on load
}

// rules returns the rules of a level.
func (rs *RuleSet) rules(l catalog.Level) (LevelRules, bool) {
	if rs.byLevel == nil {
		for _, lr := range rs.Levels {
			if lr.Level == l {
				return lr, true
			}
		}
		return LevelRules{}, false
	}
	i, ok := rs.byLevel[l]
	if !ok {
		return LevelRules{}, false
	}
	return rs.Levels[i], true
}

// LevelsCovered returns the levels the rule set has conditions for, in rule set order.
func (rs *RuleSet) LevelsCovered() []catalog.Level {
	out := make([]catalog.Level, len(rs.Levels))
	for i, lr := range rs.Levels {
		out[i] = lr.Level
	}
	return out
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Load parses and validates a rule set from JSON, e.g. an edition uploaded by a platform admin. Unknown
// JSON fields, unknown condition kinds, fields a kind does not use, duplicate levels or path IDs and empty
// paths are refused with a 422 validation_failed error naming every bad field
// ("levels[1].paths[0].conditions[2].kind": "unknown_kind").
func Load(data []byte) (*RuleSet, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rs RuleSet
	if err := dec.Decode(&rs); err != nil {
		return nil, platform.Wrap(platform.KindUnprocessable, "invalid_rule_set", "the rule set is not valid JSON of the expected shape: "+err.Error(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, platform.E(platform.KindUnprocessable, "invalid_rule_set", "the rule set has data after its JSON object")
	}
	if err := rs.validate(); err != nil {
		return nil, err
	}
	return &rs, nil
}

// validate checks the whole rule set and builds its level index.
func (rs *RuleSet) validate() error {
	var v platform.Validation
	v.Check(idPattern.MatchString(rs.ID), "id", "invalid", "id must be lower-case letters, digits, '.', '_' or '-'")
	v.Check(rs.Revision >= 1, "revision", "invalid", "revision starts at 1")
	v.Check(rs.NameZH != "" && rs.NameEN != "", "name", "required", "name_zh and name_en are required")
	v.Check(rs.AppliesFromYear >= 0 && rs.AppliesFromYear < 10000, "applies_from_year", "invalid", "applies_from_year is a year")
	v.Check(len(rs.Levels) > 0, "levels", "required", "a rule set covers at least one level")
	if rs.TheoryExemption != nil {
		v.Check(rs.TheoryExemption.ZH != "" && rs.TheoryExemption.EN != "", "theory_exemption", "required", "the exemption needs zh and en reasons")
		validateConditions(&v, "theory_exemption.conditions", rs.TheoryExemption.Conditions, true)
	}
	byLevel := map[catalog.Level]int{}
	pathIDs := map[string]bool{}
	for i, lr := range rs.Levels {
		f := fmt.Sprintf("levels[%d]", i)
		if v.Check(lr.Level.Valid(), f+".level", "invalid", "unknown level") {
			_, dup := byLevel[lr.Level]
			v.Check(!dup, f+".level", "duplicate", "level "+lr.Level.String()+" appears twice")
			byLevel[lr.Level] = i
		}
		validateConditions(&v, f+".requires", lr.Requires, false)
		v.Check(len(lr.Paths) > 0, f+".paths", "required", "a level needs at least one path")
		for j, p := range lr.Paths {
			pf := fmt.Sprintf("%s.paths[%d]", f, j)
			if v.Check(idPattern.MatchString(p.ID), pf+".id", "invalid", "path id must be lower-case letters, digits, '.', '_' or '-'") {
				v.Check(!pathIDs[p.ID], pf+".id", "duplicate", "path id "+p.ID+" is used twice")
				pathIDs[p.ID] = true
			}
			v.Check(p.Route.valid(), pf+".route", "invalid", "route must be normal, direct_recognition or fast_track")
			v.Check(p.ZH != "" && p.EN != "", pf, "required", "a path needs zh and en descriptions")
			validateConditions(&v, pf+".conditions", p.Conditions, true)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	rs.byLevel = byLevel
	return nil
}

// validateConditions checks a list of conditions; required means the list may not be empty (a path with
// no condition would let everybody through).
func validateConditions(v *platform.Validation, field string, cs []Condition, required bool) {
	if required {
		v.Check(len(cs) > 0, field, "required", "at least one condition is required")
	}
	ids := map[string]bool{}
	for i, c := range cs {
		f := fmt.Sprintf("%s[%d]", field, i)
		use, known := kindFields[c.Kind]
		if !v.Check(known, f+".kind", "unknown_kind", "unknown condition kind "+fmt.Sprintf("%q", c.Kind)) {
			continue
		}
		if v.Check(c.ID == "" || idPattern.MatchString(c.ID), f+".id", "invalid", "condition id must be lower-case letters, digits, '.', '_' or '-'") {
			v.Check(!ids[c.id()], f+".id", "duplicate", "two conditions named "+c.id()+"; give them ids")
			ids[c.id()] = true
		}
		unused := func(set bool, name string) {
			v.Check(!set, f+"."+name, "not_allowed", name+" is not used by "+string(c.Kind))
		}
		unused(!use.years && c.Years != 0, "years")
		unused(!use.level && c.Level != catalog.LevelUnknown, "level")
		unused(!use.education && len(c.Education) > 0, "education")
		unused(!use.related && c.Related, "related")
		unused(!use.title && c.Title != TitleNone, "title")
		unused(!use.awards && len(c.Awards) > 0, "awards")
		switch c.Kind {
		case KindMinYearsInOccupation, KindMinYearsSinceLevel:
			v.Check(c.Years >= 1 && c.Years <= maxYears, f+".years", "out_of_range", fmt.Sprintf("years must be 1..%d", maxYears))
		case KindHoldsLevel:
			v.Check(c.Years >= 0 && c.Years <= maxYears, f+".years", "out_of_range", fmt.Sprintf("years must be 0..%d", maxYears))
			v.Check(c.Level.Valid(), f+".level", "required", "holds_level needs a valid level")
		case KindEducation:
			v.Check(len(c.Education) > 0, f+".education", "required", "education needs at least one kind")
			for k, e := range c.Education {
				v.Check(e.valid(), fmt.Sprintf("%s.education[%d]", f, k), "invalid", "unknown education kind "+string(e))
			}
		case KindProfessionalTitle:
			v.Check(c.Title != TitleNone && c.Title.valid(), f+".title", "invalid", "professional_title needs a title grade")
		case KindAward:
			v.Check(len(c.Awards) > 0, f+".awards", "required", "award needs at least one kind")
			for k, a := range c.Awards {
				v.Check(a.valid(), fmt.Sprintf("%s.awards[%d]", f, k), "invalid", "unknown award kind "+string(a))
			}
		}
	}
}

// Registry holds the rule sets known to the platform, by ID.
type Registry struct {
	sets []*RuleSet // ordered by AppliesFromYear, then ID
}

// NewRegistry builds a registry; two rule sets with the same ID are an error.
func NewRegistry(sets ...*RuleSet) (*Registry, error) {
	seen := map[string]bool{}
	out := make([]*RuleSet, 0, len(sets))
	for _, rs := range sets {
		if rs == nil {
			continue
		}
		if seen[rs.ID] {
			return nil, platform.Conflict("duplicate_rule_set", "rule set "+rs.ID+" is registered twice")
		}
		seen[rs.ID] = true
		out = append(out, rs)
	}
	if len(out) == 0 {
		return nil, platform.Unprocessable("no_rule_sets", "a registry needs at least one rule set")
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].AppliesFromYear != out[j].AppliesFromYear {
			return out[i].AppliesFromYear < out[j].AppliesFromYear
		}
		return out[i].ID < out[j].ID
	})
	return &Registry{sets: out}, nil
}

// All returns the rule sets, oldest edition first.
func (r *Registry) All() []*RuleSet { return append([]*RuleSet(nil), r.sets...) }

// Get returns the rule set with the given ID, or a not_found error.
func (r *Registry) Get(id string) (*RuleSet, error) {
	for _, rs := range r.sets {
		if rs.ID == id {
			return rs, nil
		}
	}
	return nil, platform.NotFound("rule set " + id)
}

// ForStandardYear picks the default rule set for a national standard of the given edition year: the one
// with the latest AppliesFromYear not after year, or the oldest when year precedes them all. Year 0 (no
// edition on record, e.g. an occupation evaluated under an enterprise norm written today) gives the newest.
func (r *Registry) ForStandardYear(year int) *RuleSet {
	if year == 0 {
		return r.sets[len(r.sets)-1]
	}
	pick := r.sets[0]
	for _, rs := range r.sets {
		if rs.AppliesFromYear <= year {
			pick = rs
		}
	}
	return pick
}

//go:embed rulesets/*.json
var defaultFiles embed.FS

// Default rule set IDs.
const (
	RuleSet2018 = "std-2018"
	RuleSet2023 = "std-2023"
)

var loadDefaults = sync.OnceValues(func() (*Registry, error) {
	names, err := defaultFiles.ReadDir("rulesets")
	if err != nil {
		return nil, err
	}
	var sets []*RuleSet
	for _, n := range names {
		b, err := defaultFiles.ReadFile(path.Join("rulesets", n.Name()))
		if err != nil {
			return nil, err
		}
		rs, err := Load(b)
		if err != nil {
			return nil, fmt.Errorf("embedded rule set %s: %w", n.Name(), err)
		}
		sets = append(sets, rs)
	}
	return NewRegistry(sets...)
})

// Defaults returns the registry of the embedded default rule sets (std-2018 and std-2023). They are
// parsed once; an error means the binary was built with a broken rule file.
func Defaults() (*Registry, error) { return loadDefaults() }
