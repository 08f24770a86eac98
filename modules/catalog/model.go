package catalog

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/catalog/seed"
	"github.com/skillcert/skillcert/modules/platform"
)

// Occupation is one occupation of the catalog as other modules see it.
//
// For the tenant in the context, NormFiled says that the tenant (an enterprise) has filed an evaluation
// norm (企业评价规范) for an occupation that has no national standard; Levels and Subtypes are then the
// norm's. An occupation can be filed for and evaluated when Evaluable: it has a national standard, or
// the tenant's norm for it is filed.
type Occupation struct {
	Code     string   // 6-31-01-03
	Name     string   // 电工
	Subtypes []string // 工种/职业方向; empty when none ("--" on certificates)
	Levels   []int    // national levels 1..5 it is evaluated at, highest number first: [5 4 3 2 1]
	// HasNationalStandard is true when levels come from a national skill standard (国家职业技能标准).
	HasNationalStandard bool
	// NormFiled is true when the tenant in the context filed an evaluation norm for the occupation.
	NormFiled bool
	// NormID is that norm, uuid.Nil otherwise.
	NormID uuid.UUID

	MajorCode, MajorName   string
	MiddleCode, MiddleName string
	MinorCode, MinorName   string
	IsGreen, IsDigital     bool
	New                    bool   // announced by the ministry as a new occupation since 2019
	StandardYear           int    // edition year of the national standard, 0 when not on record
	Note                   string // where the levels come from
	Source                 string // "seed" or "import"
	UpdatedAt              time.Time
}

// Evaluable reports whether the tenant the occupation was read for may file for and evaluate it.
func (o Occupation) Evaluable() bool { return o.HasNationalStandard || o.NormFiled }

// AllowsLevel reports whether level is one of the occupation's levels.
func (o Occupation) AllowsLevel(level int) bool { return slices.Contains(o.Levels, level) }

// Sources of an occupation row.
const (
	SourceSeed   = "seed"
	SourceImport = "import"
)

// ImportReport tells a platform administrator what a catalog upload changed.
type ImportReport struct {
	Rows      int // occupations in the file
	Created   int // codes that were not in the catalog
	Updated   int // existing codes whose data changed
	Unchanged int // existing codes uploaded with the same data
}

// NormStatus is the state of an evaluation norm.
type NormStatus string

// Norm states: a draft can be edited and is not evaluable; a filed norm (备案) is.
const (
	NormDraft NormStatus = "draft"
	NormFiled NormStatus = "filed"
)

// Norm is an enterprise evaluation norm (企业评价规范): the enterprise's own standard for an occupation
// without a national standard. DOMAIN.md says such a norm is "filed with the ministry"; the platform
// does not model the ministry as a tenant, so filing is the enterprise recording the ministry's filing
// reference (备案号) and date, audited; from then on the norm is evaluable.
type Norm struct {
	ID             uuid.UUID
	TenantID       uuid.UUID
	OccupationCode string
	OccupationName string
	Title          string
	Subtypes       []string
	Levels         []int
	DocumentRef    string // the norm's own document number or reference
	Status         NormStatus
	FilingRef      string    // the ministry's filing reference, once filed
	FiledOn        time.Time // date of filing (UTC midnight), zero while draft
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// NewNorm is the input to create an evaluation norm.
type NewNorm struct {
	OccupationCode string
	Title          string
	Subtypes       []string
	Levels         []int
	DocumentRef    string
}

var codePattern = regexp.MustCompile(`^\d-\d{2}-\d{2}-\d{2}$`)

// ValidCode reports whether s looks like an occupation code (6-31-01-03).
func ValidCode(s string) bool { return codePattern.MatchString(s) }

// Validate checks and normalises a new norm (trimmed; levels ordered 5..1 without repeats).
func (n *NewNorm) Validate() error {
	n.OccupationCode = strings.TrimSpace(n.OccupationCode)
	n.Title = strings.TrimSpace(n.Title)
	n.DocumentRef = strings.TrimSpace(n.DocumentRef)
	var v platform.Validation
	v.Check(ValidCode(n.OccupationCode), "occupation_code", "format", "occupation_code must look like 6-31-01-03")
	v.Check(n.Title != "" && utf8.RuneCountInString(n.Title) <= 200, "title", "required", "a title of 1–200 characters is required")
	v.Check(utf8.RuneCountInString(n.DocumentRef) <= 200, "document_ref", "too_long", "at most 200 characters")
	n.Levels = checkLevels(&v, "levels", n.Levels)
	n.Subtypes = checkSubtypes(&v, "subtypes", n.Subtypes)
	return v.Err()
}

// checkLevels requires national levels 1..5 without repeats and returns them highest number first.
func checkLevels(v *platform.Validation, field string, levels []int) []int {
	if !v.Check(len(levels) > 0, field, "required", "at least one level (1..5) is required") {
		return nil
	}
	seen := map[int]bool{}
	for _, l := range levels {
		if !v.Check(Level(l).IsNational(), field, "out_of_range", "levels are national levels 1..5") {
			return nil
		}
		if !v.Check(!seen[l], field, "duplicate", "a level appears twice") {
			return nil
		}
		seen[l] = true
	}
	out := slices.Clone(levels)
	slices.SortFunc(out, func(a, b int) int { return b - a })
	return out
}

func checkSubtypes(v *platform.Validation, field string, subtypes []string) []string {
	out := make([]string, 0, len(subtypes))
	seen := map[string]bool{}
	for _, s := range subtypes {
		s = strings.TrimSpace(s)
		if !v.Check(s != "" && s != seed.NoSubtype && utf8.RuneCountInString(s) <= 100, field, "invalid", "sub-types are 1–100 characters, not \"--\"") {
			return nil
		}
		if !v.Check(!seen[s], field, "duplicate", "sub-type "+s+" appears twice") {
			return nil
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// NormFiling is what an enterprise records when the ministry has filed its norm.
type NormFiling struct {
	FilingRef string
	FiledOn   time.Time
}

// Permissions of catalog, as routes, the console and policies/roles/*.csv name them. The occupation
// list and a single occupation are public reference data and need none.
const (
	PermOccupationImport = "occupation:import"
	PermOccupationExport = "occupation:export"
	PermNormCreate       = "norm:create"
	PermNormList         = "norm:list"
	PermNormFile         = "norm:file"
)

// Sort keys of the catalog's lists.
const (
	SortCode      = "code"       // occupations: by code, ascending only
	SortCreatedAt = "created_at" // evaluation norms
)

// ListFilter narrows a catalog listing.
type ListFilter struct {
	// Query matches a code prefix ("6-31") or a substring of the name ("电工").
	Query string
	// HasNationalStandard, when set, keeps only occupations with (or without) a national standard.
	HasNationalStandard *bool
}

// Errors of the catalog.
var (
	ErrOccupationNotFound = platform.NotFound("occupation")
	ErrNormNotFound       = platform.NotFound("evaluation norm")
	ErrNormDuplicate      = platform.Conflict("duplicate", "the tenant already has an evaluation norm for this occupation")
	ErrHasStandard        = platform.Unprocessable("has_national_standard",
		"the occupation has a national skill standard; an enterprise evaluation norm is only for occupations without one")
	ErrEnterpriseOnly = platform.Forbidden("only enterprises (用人单位) add evaluation norms")
	ErrPlatformOnly   = platform.Forbidden("only the platform administrator loads the catalog")
	ErrNormFiled      = platform.Conflict("invalid_state", "the evaluation norm is already filed")
	// ErrCodeOrder is the 400 for asking the occupation list in descending order.
	ErrCodeOrder = platform.E(platform.KindInvalid, "invalid_sort", "the catalog is listed by code ascending only")
)
