package filings

import (
	"time"

	"github.com/google/uuid"
)

// View models of filings: the JSON shapes the API sends and the console renders.

// ScopeItemView is one occupation of a filing's scope.
type ScopeItemView struct {
	OccupationCode string     `json:"occupation_code" required:"true"`
	OccupationName string     `json:"occupation_name,omitempty"`
	Levels         []int      `json:"levels" required:"true"`
	NormID         *uuid.UUID `json:"norm_id,omitempty"`
}

// FilingView is a filing as the API shows it. Dates are YYYY-MM-DD; valid_until is exclusive (three
// years after valid_from).
type FilingView struct {
	ID              uuid.UUID       `json:"id"`
	InstitutionID   uuid.UUID       `json:"institution_id"`
	InstitutionName string          `json:"institution_name,omitempty"`
	InstitutionSlug string          `json:"institution_slug,omitempty"`
	Status          string          `json:"status" enum:"submitted,approved,rejected,expired"`
	Scope           []ScopeItemView `json:"scope"`
	RegionCode      string          `json:"region_code"`
	RenewalOf       *uuid.UUID      `json:"renewal_of,omitempty"`
	EvaluatorCode   string          `json:"evaluator_code,omitempty"`
	ProvinceCode    string          `json:"province_code,omitempty"`
	SiteSerial      string          `json:"site_serial,omitempty"`
	ValidFrom       string          `json:"valid_from,omitempty" format:"date"`
	ValidUntil      string          `json:"valid_until,omitempty" format:"date"`
	DecisionNote    string          `json:"decision_note,omitempty"`
	DecidedAt       *time.Time      `json:"decided_at,omitempty"`
	SubmittedAt     time.Time       `json:"submitted_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

// NewFilingView converts a filing for the API.
func NewFilingView(f Filing) FilingView {
	v := FilingView{ID: f.ID, InstitutionID: f.TenantID, InstitutionName: f.InstitutionName, InstitutionSlug: f.InstitutionSlug,
		Status: string(f.Status), Scope: make([]ScopeItemView, len(f.Scope)), RegionCode: f.RegionCode,
		EvaluatorCode: f.EvaluatorCode, ProvinceCode: f.ProvinceCode, SiteSerial: f.SiteSerial,
		DecisionNote: f.DecisionNote, SubmittedAt: f.SubmittedAt, UpdatedAt: f.UpdatedAt}
	for i, it := range f.Scope {
		v.Scope[i] = ScopeItemView{OccupationCode: it.OccupationCode, OccupationName: it.OccupationName, Levels: it.Levels}
		if it.NormID != uuid.Nil {
			id := it.NormID
			v.Scope[i].NormID = &id
		}
	}
	if f.RenewalOf != uuid.Nil {
		id := f.RenewalOf
		v.RenewalOf = &id
	}
	if !f.ValidFrom.IsZero() {
		v.ValidFrom, v.ValidUntil = f.ValidFrom.Format(time.DateOnly), f.ValidUntil.Format(time.DateOnly)
	}
	if !f.DecidedAt.IsZero() {
		at := f.DecidedAt
		v.DecidedAt = &at
	}
	return v
}

// NoticeView is an expiry notice.
type NoticeView struct {
	ID         uuid.UUID `json:"id"`
	FilingID   uuid.UUID `json:"filing_id"`
	Kind       string    `json:"kind" enum:"expiry_warning,expired"`
	DaysBefore int       `json:"days_before"`
	ValidUntil string    `json:"valid_until" format:"date"`
	CreatedAt  time.Time `json:"created_at"`
}

// NewNoticeView converts a notice for the API.
func NewNoticeView(n Notice) NoticeView {
	return NoticeView{ID: n.ID, FilingID: n.FilingID, Kind: n.Kind, DaysBefore: n.DaysBefore,
		ValidUntil: n.ValidUntil.Format(time.DateOnly), CreatedAt: n.CreatedAt}
}

// AnnualReportView is an enterprise's annual plan and summary.
type AnnualReportView struct {
	Year      int       `json:"year"`
	Plan      string    `json:"plan"`
	Summary   string    `json:"summary"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewAnnualReportView converts an annual report for the API.
func NewAnnualReportView(r AnnualReport) AnnualReportView { return AnnualReportView(r) }
