package candidates

import (
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

// View models of candidates: the JSON shapes the API sends and the console renders.

// CandidateView is a candidate as the institution's own staff see it: in full.
type CandidateView struct {
	ID                      uuid.UUID  `json:"id"`
	Name                    string     `json:"name"`
	IDType                  string     `json:"id_type"`
	IDNumber                string     `json:"id_number"`
	Phone                   string     `json:"phone"`
	Education               string     `json:"education"`
	OccupationYears         int        `json:"occupation_years"`
	CurrentLevel            int        `json:"current_level"`
	CurrentLevelObtainedOn  *string    `json:"current_level_obtained_on"`
	TitleLevel              string     `json:"title_level"`
	ApprenticeshipCompleted bool       `json:"apprenticeship_completed"`
	RelatedDiploma          bool       `json:"related_diploma"`
	Awards                  []string   `json:"awards"`
	StudentNo               string     `json:"student_no,omitempty"`
	UserID                  *uuid.UUID `json:"user_id,omitempty"`
	HasPhoto                bool       `json:"has_photo"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

// NewCandidateView converts a candidate for the institution's staff.
func NewCandidateView(c Candidate) CandidateView {
	v := CandidateView{ID: c.ID, Name: c.Name, IDType: c.IDType, IDNumber: c.IDNumber, Phone: c.Phone,
		Education: c.Education, OccupationYears: c.OccupationYears, CurrentLevel: c.CurrentLevel,
		TitleLevel: c.TitleLevel, ApprenticeshipCompleted: c.ApprenticeshipCompleted, RelatedDiploma: c.RelatedDiploma,
		Awards: c.Awards, StudentNo: c.StudentNo, UserID: c.UserID, HasPhoto: c.HasPhoto,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if v.Awards == nil {
		v.Awards = []string{}
	}
	if c.CurrentLevelObtainedOn != nil {
		s := c.CurrentLevelObtainedOn.Format(dateLayout)
		v.CurrentLevelObtainedOn = &s
	}
	return v
}

// PhotoView describes a stored certificate photo (not its bytes).
type PhotoView struct {
	CandidateID uuid.UUID `json:"candidate_id"`
	ContentType string    `json:"content_type"`
	Bytes       int       `json:"bytes"`
	SHA256      string    `json:"sha256"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// NewPhotoView describes a photo.
func NewPhotoView(p Photo) PhotoView {
	return PhotoView{CandidateID: p.CandidateID, ContentType: p.ContentType, Bytes: len(p.Data),
		SHA256: p.SHA256, Width: p.Width, Height: p.Height, UpdatedAt: p.UpdatedAt}
}

// RowErrorView is one rejected row of an import.
type RowErrorView struct {
	Row    int                   `json:"row"`
	Errors []platform.FieldError `json:"errors"`
}

// ImportView is the outcome of an import.
type ImportView struct {
	Created        int            `json:"created"`
	Updated        int            `json:"updated"`
	Unchanged      int            `json:"unchanged"`
	Rejected       []RowErrorView `json:"rejected"`
	RejectedTotal  int            `json:"rejected_total" description:"all rejected rows; rejected lists at most 5,000"`
	Rows           int            `json:"rows"`
	Format         string         `json:"format"`
	SHA256         string         `json:"sha256"`
	IgnoredColumns []string       `json:"ignored_columns"`
}

// NewImportView converts an import's outcome.
func NewImportView(r ImportResult) ImportView {
	v := ImportView{Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged,
		Rejected: make([]RowErrorView, 0, len(r.Rejected)), RejectedTotal: r.RejectedTotal, Rows: r.Rows,
		Format: r.Format, SHA256: r.SHA256, IgnoredColumns: r.IgnoredColumns}
	if v.IgnoredColumns == nil {
		v.IgnoredColumns = []string{}
	}
	for _, e := range r.Rejected {
		v.Rejected = append(v.Rejected, RowErrorView(e))
	}
	return v
}

// RegistrationView is the answer to a self-registration: the new candidate, their login and the
// application (the Applier's view of it).
type RegistrationView struct {
	CandidateID uuid.UUID `json:"candidate_id"`
	UserID      uuid.UUID `json:"user_id"`
	Application any       `json:"application"`
}

// NewRegistrationView converts a registration's outcome.
func NewRegistrationView(r Registered) RegistrationView {
	return RegistrationView{CandidateID: r.CandidateID, UserID: r.UserID, Application: r.Application}
}

// PublicView is a candidate as the public or a regulator may see them: the name and ID number masked
// (MaskName, MaskIDNumber), the document type in the clear. Modules that show candidates outside the
// institution — results publicity, certificate queries, oversight — build it with Public or MaskedView
// and never put a Candidate's Name or IDNumber in such an answer.
type PublicView struct {
	Name     string `json:"name"`
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
}

// Public returns the candidate's masked view.
func (c Candidate) Public() PublicView { return MaskedView(c.Name, c.IDType, c.IDNumber) }

// MaskedView masks a name and ID number that another module holds (an application's or certificate's
// copy of the holder's identity), the same way Public does.
func MaskedView(name, idType, idNumber string) PublicView {
	return PublicView{Name: MaskName(name), IDType: idType, IDNumber: MaskIDNumber(idNumber)}
}

// OversightView is what a regulator's oversight reads of a candidate: the masked identity plus the
// facts that decide eligibility, which a regulator checks without needing to know who the person is.
type OversightView struct {
	PublicView
	Education       string `json:"education"`
	OccupationYears int    `json:"occupation_years"`
	CurrentLevel    int    `json:"current_level"`
	TitleLevel      string `json:"title_level,omitempty"`
}

// Oversight returns the candidate's view for regulators.
func (c Candidate) Oversight() OversightView {
	return OversightView{PublicView: c.Public(), Education: c.Education, OccupationYears: c.OccupationYears,
		CurrentLevel: c.CurrentLevel, TitleLevel: c.TitleLevel}
}

// auditView is what the audit log records of a candidate. The log is readable by regulators in
// oversight, so it carries the masked identity only (no hash of the ID number either: ID numbers have
// so little entropy that a hash is reversible by trying them all); the full values stay in the
// candidates table, and an update's entry lists which fields changed.
type auditView struct {
	PublicView
	Phone           string   `json:"phone,omitempty"`
	Education       string   `json:"education"`
	OccupationYears int      `json:"occupation_years"`
	CurrentLevel    int      `json:"current_level"`
	CurrentLevelOn  string   `json:"current_level_obtained_on,omitempty"`
	TitleLevel      string   `json:"title_level,omitempty"`
	Apprenticeship  bool     `json:"apprenticeship_completed,omitempty"`
	RelatedDiploma  bool     `json:"related_diploma,omitempty"`
	Awards          []string `json:"awards,omitempty"`
	StudentNo       string   `json:"student_no,omitempty"`
	UserID          string   `json:"user_id,omitempty"`
}

func (c Candidate) audit() auditView {
	v := auditView{PublicView: c.Public(), Phone: maskPhone(c.Phone),
		Education: c.Education, OccupationYears: c.OccupationYears, CurrentLevel: c.CurrentLevel,
		TitleLevel: c.TitleLevel, Apprenticeship: c.ApprenticeshipCompleted, RelatedDiploma: c.RelatedDiploma,
		Awards: c.Awards, StudentNo: c.StudentNo}
	if c.CurrentLevelObtainedOn != nil {
		v.CurrentLevelOn = c.CurrentLevelObtainedOn.Format(dateLayout)
	}
	if c.UserID != nil {
		v.UserID = c.UserID.String()
	}
	return v
}

// maskPhone keeps the first 3 and last 4 digits of a phone number (138****5678), as bills print them.
func maskPhone(p string) string {
	r := []rune(p)
	if len(r) < 8 {
		return ""
	}
	out := make([]rune, len(r))
	for i := range r {
		if i < 3 || i >= len(r)-4 {
			out[i] = r[i]
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}

// PhotoRejectView is one file of a bulk photo upload that was not taken.
type PhotoRejectView struct {
	File    string `json:"file" description:"the entry's name in the ZIP"`
	Code    string `json:"code" enum:"unknown_candidate,not_jpeg,too_small,too_large,name_mismatch,duplicate"`
	Message string `json:"message"`
}

// PhotosView is the outcome of a bulk photo upload.
type PhotosView struct {
	Matched  int               `json:"matched"`
	Rejected []PhotoRejectView `json:"rejected"`
}

// NewPhotosView converts a bulk photo upload's outcome.
func NewPhotosView(r PhotosResult) PhotosView {
	v := PhotosView{Matched: r.Matched, Rejected: make([]PhotoRejectView, 0, len(r.Rejected))}
	for _, e := range r.Rejected {
		v.Rejected = append(v.Rejected, PhotoRejectView(e))
	}
	return v
}
