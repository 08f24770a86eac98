// Package filings is step 1 of the lifecycle (备案): an institution applies to the regulator of its
// region with the occupations × levels it wants to evaluate; the regulator approves (with the evaluator
// code, province code and site serial that certificate numbers carry) or rejects. An approved filing
// is valid for three years, may be renewed in its last three months, and is expired by a daily job that
// warns 90, 30 and 7 days ahead. CheckScope is what batches and certificates ask before acting.
// Enterprises also record their annual plan and last year's summary here.
//
// Dates (valid_from, valid_until, the day a check is made for) are calendar dates in China's time zone.
// A filing approved from D is valid on every day d with D <= d < valid_until, where valid_until is D
// plus three years: API.md's "valid_until three years on", a half-open interval so that three years
// are exactly three years (2026-11-01 → 2029-11-01; on 2029-11-01 the filing is expired).
package filings

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

// Status of a filing. The machine: submitted → approved | rejected (the regulator's decision);
// approved → expired (the daily job, once valid_until is reached).
type Status string

// Filing states.
const (
	StatusSubmitted Status = "submitted"
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusExpired   Status = "expired"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusSubmitted, StatusApproved, StatusRejected, StatusExpired:
		return true
	}
	return false
}

// ValidityYears is how long an approved filing lasts; RenewalMonths is the window at its end in which
// a renewal may be applied for (DOMAIN.md, lifecycle step 1).
const (
	ValidityYears = 3
	RenewalMonths = 3
)

// WarningDays are the days ahead of valid_until at which the institution is warned.
var WarningDays = []int{90, 30, 7}

// ScopeItem is one occupation of a filing with its levels (highest number first).
type ScopeItem struct {
	OccupationCode string
	OccupationName string
	Levels         []int
	// NormID is the enterprise evaluation norm the occupation is filed under when it has no national
	// standard; uuid.Nil otherwise.
	NormID uuid.UUID
}

// ScopeRequest is one occupation × levels an institution applies for.
type ScopeRequest struct {
	OccupationCode string
	Levels         []int
}

// Filing is an institution's filing and, once decided, the regulator's decision applied to it.
type Filing struct {
	ID         uuid.UUID
	TenantID   uuid.UUID // the institution
	Status     Status
	Scope      []ScopeItem
	RegionCode string    // the institution's region when it applied, then when approved
	RenewalOf  uuid.UUID // the filing this one renews, uuid.Nil for a first filing

	EvaluatorCode string    // 4 digits, "0000" when first filed with a province
	ProvinceCode  string    // first two digits of the institution's region
	SiteSerial    string    // 6 digits assigned by the province
	ValidFrom     time.Time // date (UTC midnight); zero until approved
	ValidUntil    time.Time // ValidFrom + 3 years, exclusive
	DecisionNote  string
	DecidedAt     time.Time // zero until decided
	DecidedBy     uuid.UUID // the regulator tenant that decided

	SubmittedBy uuid.UUID
	SubmittedAt time.Time
	UpdatedAt   time.Time

	// InstitutionName and InstitutionSlug are filled in regulators' views.
	InstitutionName string
	InstitutionSlug string
}

// Covers reports whether the filing's scope includes occupation × level.
func (f Filing) Covers(occupationCode string, level int) bool {
	for _, it := range f.Scope {
		if it.OccupationCode == occupationCode && slices.Contains(it.Levels, level) {
			return true
		}
	}
	return false
}

// ApprovedScope is what CheckScope returns: the approved, unexpired filing covering an occupation ×
// level, with the parts of a certificate number it fixes.
type ApprovedScope struct {
	FilingID      uuid.UUID
	EvaluatorCode string // 4 characters
	ProvinceCode  string // 2
	SiteSerial    string // 6
	ValidFrom     time.Time
	ValidUntil    time.Time // exclusive: the first day the filing no longer covers
}

// Decision is a regulator's decision on a submitted filing.
type Decision struct {
	Decision      string // "approve" or "reject"
	EvaluatorCode string // approve: 4 digits ("0000" allowed)
	SiteSerial    string // approve: 6 digits
	ValidFrom     time.Time
	Note          string // required when rejecting: the institution is told why
}

// Decision kinds.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
)

var (
	evaluatorCodePattern = regexp.MustCompile(`^[0-9]{4}$`)
	siteSerialPattern    = regexp.MustCompile(`^[0-9]{6}$`)
)

// Validate checks a decision and normalises it; today is the regulator's current date, used to refuse
// an approval that would already have run out.
func (d *Decision) Validate(today time.Time) error {
	d.Decision = strings.TrimSpace(d.Decision)
	d.EvaluatorCode = strings.TrimSpace(d.EvaluatorCode)
	d.SiteSerial = strings.TrimSpace(d.SiteSerial)
	d.Note = strings.TrimSpace(d.Note)
	var v platform.Validation
	v.Check(utf8.RuneCountInString(d.Note) <= 2000, "note", "too_long", "at most 2,000 characters")
	switch d.Decision {
	case DecisionApprove:
		v.Check(evaluatorCodePattern.MatchString(d.EvaluatorCode), "evaluator_code", "format", "4 digits (\"0000\" when first filed with the province)")
		v.Check(siteSerialPattern.MatchString(d.SiteSerial), "site_serial", "format", "6 digits assigned by the province")
		if v.Check(!d.ValidFrom.IsZero(), "valid_from", "required", "valid_from (YYYY-MM-DD) is required to approve") {
			d.ValidFrom = dateOf(d.ValidFrom)
			v.Check(ValidUntil(d.ValidFrom).After(today), "valid_from", "already_expired",
				"a filing valid from this date would already have expired")
		}
	case DecisionReject:
		v.Check(d.Note != "", "note", "required", "a rejection must say why (the institution is told the reasons)")
		v.Check(d.EvaluatorCode == "" && d.SiteSerial == "" && d.ValidFrom.IsZero(), "decision", "unexpected_fields",
			"a rejection carries only a note")
	default:
		v.Add("decision", "invalid", "decision must be approve or reject")
	}
	return v.Err()
}

// ValidUntil is the end (exclusive) of a filing valid from validFrom: three years on.
func ValidUntil(validFrom time.Time) time.Time { return dateOf(validFrom).AddDate(ValidityYears, 0, 0) }

// RenewalOpens is the first day a renewal of a filing valid until validUntil may be applied for.
func RenewalOpens(validUntil time.Time) time.Time { return validUntil.AddDate(0, -RenewalMonths, 0) }

// Notice kinds.
const (
	NoticeExpiryWarning = "expiry_warning"
	NoticeExpired       = "expired"
)

// Notice tells an institution that a filing is about to run out (DaysBefore 90, 30 or 7) or has
// (kind expired, DaysBefore 0). There is at most one per filing, kind and threshold.
type Notice struct {
	ID         uuid.UUID
	FilingID   uuid.UUID
	Kind       string
	DaysBefore int
	ValidUntil time.Time
	CreatedAt  time.Time
}

// AnnualReport is an enterprise's annual plan for Year and its summary of the year before
// (年度计划与上年度总结), reported at the start of each year.
type AnnualReport struct {
	Year      int
	Plan      string
	Summary   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ExpiryResult counts what one run of the expiry job did.
type ExpiryResult struct {
	Checked int // approved filings within the warning horizon
	Expired int // filings moved to expired
	Warned  int // warning notices created
}

// Reasons a scope check fails, the code of the out_of_scope error's field "scope".
const (
	ReasonNoFiling       = "no_filing"       // no filing names the occupation
	ReasonLevelNotFiled  = "level_not_filed" // filings name the occupation, none at this level
	ReasonNotApproved    = "not_approved"    // the covering filing is still submitted
	ReasonRejected       = "rejected"        // the covering filing was rejected
	ReasonExpired        = "expired"         // the covering filing ran out
	ReasonNotYetValid    = "not_yet_valid"   // approved, valid from a later date
	ReasonSuspended      = "suspended"       // the institution is suspended by its regulator
	ReasonDisabled       = "disabled"        // the tenant is switched off
	ReasonRegionMismatch = "region_mismatch" // approved for a region the institution is no longer in
)

// outOfScope is the 422 every failed scope check returns; Reason reads its cause back.
func outOfScope(reason, message string) error {
	return &platform.Error{Kind: platform.KindUnprocessable, Code: "out_of_scope", Message: message,
		Fields: []platform.FieldError{{Field: "scope", Code: reason, Message: message}}}
}

// Reason returns why a CheckScope error refused ("expired", "suspended" …), or "" for any other error.
func Reason(err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) && pe.Code == "out_of_scope" && len(pe.Fields) > 0 {
		return pe.Fields[0].Code
	}
	return ""
}

// Permissions of filings, as routes, the console and policies/roles/*.csv name them.
const (
	PermFilingCreate          = "filing:create"
	PermFilingList            = "filing:list"
	PermFilingRead            = "filing:read"
	PermFilingRenew           = "filing:renew"
	PermAnnualReportList      = "annual_report:list"
	PermAnnualReportWrite     = "annual_report:write"
	PermOversightFilingList   = "oversight:filing_list"
	PermOversightFilingDecide = "oversight:filing_decide"
)

// Sort keys of the filings' lists.
const (
	SortSubmittedAt = "submitted_at" // filings, either way
	SortCreatedAt   = "created_at"   // notices, newest first only
	SortYear        = "year"         // annual reports
)

// ListFilter narrows a filing list.
type ListFilter struct {
	Status Status // "" for all
}

// Validate checks the filter (400 invalid_parameter for an unknown status).
func (f ListFilter) Validate() error {
	if f.Status != "" && !f.Status.Valid() {
		return platform.E(platform.KindInvalid, "invalid_parameter", "status must be submitted, approved, rejected or expired")
	}
	return nil
}

// Errors of filings.
var (
	ErrNotFound       = platform.NotFound("filing")
	ErrInvalidState   = platform.Conflict("invalid_state", "the filing is not in a state that allows this")
	ErrEnterpriseOnly = platform.Forbidden("only enterprises (用人单位) report annual plans and summaries")
	ErrRenewalWindow  = platform.Unprocessable("renewal_window",
		"a renewal may be applied for only in the last three months of an approved, unexpired filing")
	ErrRenewalPending = platform.Conflict("duplicate", "a renewal of this filing is already submitted or approved")
	// ErrNoticeOrder is the 400 for asking the notices oldest first.
	ErrNoticeOrder = platform.E(platform.KindInvalid, "invalid_sort", "notices are listed newest first (sort=-created_at)")
)

// chinaTime is the zone whose calendar filing dates follow (no daylight saving time, so a fixed zone).
var chinaTime = time.FixedZone("CST", 8*3600)

// dateOf keeps the calendar date of t as UTC midnight (how dates are held in Go and stored).
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Day is the calendar date in China at instant t, as UTC midnight: the day a check is made for.
func Day(t time.Time) time.Time { return dateOf(t.In(chinaTime)) }
