package certificates

import (
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/certificates/credential"
)

// CertificateView is a certificate as its institution sees it, in the API and the console.
type CertificateView struct {
	ID             uuid.UUID  `json:"id"`
	Number         *string    `json:"number"`
	Status         Status     `json:"status" enum:"pending,issued,revoked"`
	Kind           Kind       `json:"kind" enum:"skill_level,post"`
	Title          string     `json:"title"`
	HolderName     string     `json:"holder_name"`
	IDType         string     `json:"id_type"`
	IDNumber       string     `json:"id_number"`
	OccupationCode string     `json:"occupation_code"`
	OccupationName string     `json:"occupation_name"`
	Subtype        string     `json:"subtype"`
	Level          int        `json:"level"`
	LevelName      string     `json:"level_name"`
	Post           string     `json:"post,omitempty"`
	BatchID        *uuid.UUID `json:"batch_id"`
	ApplicationID  uuid.UUID  `json:"application_id"`
	CandidateID    uuid.UUID  `json:"candidate_id"`
	IssuedOn       *string    `json:"issued_on"`
	IssuedAt       *time.Time `json:"issued_at"`
	RevokedAt      *time.Time `json:"revoked_at,omitempty"`
	RevokeReason   string     `json:"revoke_reason,omitempty"`
	Replaces       *uuid.UUID `json:"replaces,omitempty"`
	ReplacedBy     *uuid.UUID `json:"replaced_by,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

// NewCertificateView converts a certificate for its institution: no number while pending, the
// issue date as YYYY-MM-DD, the level's printed name.
func NewCertificateView(c Certificate) CertificateView {
	v := CertificateView{
		ID: c.ID, Status: c.Status, Kind: c.Kind, Title: c.Title, HolderName: c.HolderName, IDType: c.IDType,
		IDNumber: c.IDNumber, OccupationCode: c.OccupationCode, OccupationName: c.OccupationName, Subtype: c.Subtype,
		Level: c.Level, LevelName: credential.LevelName(c.Level), Post: c.Post, BatchID: c.BatchID,
		ApplicationID: c.ApplicationID, CandidateID: c.CandidateID, IssuedAt: c.IssuedAt, RevokedAt: c.RevokedAt,
		RevokeReason: c.RevokeReason, Replaces: c.Replaces, ReplacedBy: c.ReplacedBy, LastError: c.LastError,
		CreatedAt: c.CreatedAt,
	}
	if c.Number != "" {
		n := c.Number
		v.Number = &n
	}
	if c.IssuedOn != nil {
		s := c.IssuedOn.Format(time.DateOnly)
		v.IssuedOn = &s
	}
	return v
}

// LookupView is the public answer about a certificate number, in the API and on the verification
// page.
type LookupView struct {
	Number         string `json:"number"`
	Status         string `json:"status" enum:"valid,revoked"`
	HolderName     string `json:"holder_name" description:"masked (张*明) unless ?name= matched"`
	NameMatches    *bool  `json:"name_matches,omitempty"`
	Occupation     string `json:"occupation"`
	OccupationCode string `json:"occupation_code"`
	Subtype        string `json:"subtype"`
	Level          int    `json:"level"`
	LevelName      string `json:"level_name"`
	Institution    string `json:"institution"`
	IssuedOn       string `json:"issued_on"`
	Kind           Kind   `json:"kind" enum:"skill_level,post"`
	Title          string `json:"title"`
	Post           string `json:"post,omitempty"`
}

// NewLookupView converts a lookup for the public: the full name only when the caller gave it
// exactly, the masked one otherwise; "--" for no sub-type, as printed.
func NewLookupView(l Lookup) LookupView {
	v := LookupView{
		Number: l.Number, Status: lookupRevoked, HolderName: l.HolderMasked, NameMatches: l.NameMatches,
		Occupation: l.OccupationName, OccupationCode: l.OccupationCode, Subtype: orPlaceholder(l.Subtype), Level: l.Level,
		LevelName: credential.LevelName(l.Level), Institution: l.Institution, IssuedOn: l.IssuedOn.Format(time.DateOnly),
		Kind: l.Kind, Title: l.Title, Post: l.Post,
	}
	if l.Valid {
		v.Status = lookupValid
	}
	if l.HolderName != "" {
		v.HolderName = l.HolderName
	}
	return v
}

// SettingsView is an enterprise's post certificate settings (一岗双证), as shown and as set.
type SettingsView struct {
	PostPrefix string `json:"post_prefix" pattern:"^[A-RT-XZ][A-Z0-9]{1,9}$"`
	PostTitle  string `json:"post_title"`
}

// NewSettingsView converts post certificate settings.
func NewSettingsView(s Settings) SettingsView { return SettingsView(s) }

// Settings returns the settings the view asks for.
func (v SettingsView) Settings() Settings { return Settings(v) }

// KeyView is one signing key of an institution (never its private half).
type KeyView struct {
	KID       string     `json:"kid"`
	Active    bool       `json:"active"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

// NewKeyView converts a signing key: active until retired.
func NewKeyView(k KeyInfo) KeyView {
	return KeyView{KID: k.KID, Active: k.RetiredAt == nil, CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt}
}

// ProgressView is a batch's issuance progress, in the API and the console's live update.
type ProgressView struct {
	BatchID  uuid.UUID     `json:"batch_id"`
	Total    int           `json:"total"`
	Issued   int           `json:"issued"`
	Revoked  int           `json:"revoked"`
	Pending  int           `json:"pending"`
	Failed   int           `json:"failed"`
	Done     bool          `json:"done" description:"nothing pending any more (failed certificates are retried later)"`
	Failures []FailureView `json:"failures"`
}

// FailureView is one certificate whose issuance failed, with the reason recorded.
type FailureView struct {
	ID         uuid.UUID `json:"id"`
	HolderName string    `json:"holder_name"`
	Attempts   int       `json:"attempts"`
	Reason     string    `json:"reason"`
}

// NewProgressView converts a batch's progress.
func NewProgressView(p Progress) ProgressView {
	v := ProgressView{BatchID: p.BatchID, Total: p.Total, Issued: p.Issued, Revoked: p.Revoked, Pending: p.Pending,
		Failed: p.Failed, Done: p.Done(), Failures: make([]FailureView, 0, len(p.Failures))}
	for _, c := range p.Failures {
		v.Failures = append(v.Failures, FailureView{ID: c.ID, HolderName: c.HolderName, Attempts: c.Attempts, Reason: c.LastError})
	}
	return v
}
