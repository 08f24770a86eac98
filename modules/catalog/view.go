package catalog

import (
	"time"

	"github.com/google/uuid"
)

// View models of the catalog: the JSON shapes the API sends and the console renders.

// OccupationView is an occupation as the API shows it.
type OccupationView struct {
	Code                string   `json:"code"`
	Name                string   `json:"name"`
	Subtypes            []string `json:"subtypes"`
	Levels              []int    `json:"levels"`
	HasNationalStandard bool     `json:"has_national_standard"`
	StandardYear        int      `json:"standard_year"`
	MajorCode           string   `json:"major_code"`
	MajorName           string   `json:"major_name"`
	MiddleCode          string   `json:"middle_code"`
	MiddleName          string   `json:"middle_name"`
	MinorCode           string   `json:"minor_code"`
	MinorName           string   `json:"minor_name"`
	IsGreen             bool     `json:"is_green"`
	IsDigital           bool     `json:"is_digital"`
	New                 bool     `json:"new"`
	Note                string   `json:"note"`
}

// NewOccupationView converts an occupation for the API.
func NewOccupationView(o Occupation) OccupationView {
	v := OccupationView{Code: o.Code, Name: o.Name, Subtypes: o.Subtypes, Levels: o.Levels,
		HasNationalStandard: o.HasNationalStandard, StandardYear: o.StandardYear, MajorCode: o.MajorCode,
		MajorName: o.MajorName, MiddleCode: o.MiddleCode, MiddleName: o.MiddleName, MinorCode: o.MinorCode,
		MinorName: o.MinorName, IsGreen: o.IsGreen, IsDigital: o.IsDigital, New: o.New, Note: o.Note}
	if v.Subtypes == nil {
		v.Subtypes = []string{}
	}
	if v.Levels == nil {
		v.Levels = []int{}
	}
	return v
}

// NormView is an evaluation norm as the API shows it.
type NormView struct {
	ID             uuid.UUID `json:"id"`
	OccupationCode string    `json:"occupation_code"`
	OccupationName string    `json:"occupation_name"`
	Title          string    `json:"title"`
	Subtypes       []string  `json:"subtypes"`
	Levels         []int     `json:"levels"`
	DocumentRef    string    `json:"document_ref"`
	Status         string    `json:"status" enum:"draft,filed"`
	FilingRef      string    `json:"filing_ref,omitempty"`
	FiledOn        string    `json:"filed_on,omitempty" format:"date"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// NewNormView converts a norm for the API.
func NewNormView(n Norm) NormView {
	v := NormView{ID: n.ID, OccupationCode: n.OccupationCode, OccupationName: n.OccupationName, Title: n.Title,
		Subtypes: n.Subtypes, Levels: n.Levels, DocumentRef: n.DocumentRef, Status: string(n.Status),
		FilingRef: n.FilingRef, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
	if !n.FiledOn.IsZero() {
		v.FiledOn = n.FiledOn.Format(time.DateOnly)
	}
	if v.Subtypes == nil {
		v.Subtypes = []string{}
	}
	return v
}

// ImportReportView is what a catalog upload changed, as the API shows it.
type ImportReportView struct {
	Rows      int `json:"rows"`      // occupations in the file
	Created   int `json:"created"`   // codes that were not in the catalog
	Updated   int `json:"updated"`   // existing codes whose data changed
	Unchanged int `json:"unchanged"` // existing codes uploaded with the same data
}

// NewImportReportView converts an import report for the API.
func NewImportReportView(r ImportReport) ImportReportView { return ImportReportView(r) }
