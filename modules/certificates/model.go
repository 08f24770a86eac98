package certificates

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Status of a certificate.
type Status string

// Certificate statuses: pending from finalize until its task issues it, then issued, and revoked
// when the institution (or a regulator's decision) withdraws it or a reissue replaces it.
const (
	StatusPending Status = "pending"
	StatusIssued  Status = "issued"
	StatusRevoked Status = "revoked"
)

// Kind of certificate.
type Kind string

// Kinds: the national skill level certificate, and an enterprise's own post certificate for the same
// passed application (一岗双证), with its own title and numbering.
const (
	KindSkillLevel Kind = "skill_level"
	KindPost       Kind = "post"
)

// Permissions of certificates, as routes, the console and policies/roles/*.csv name them.
const (
	PermCertificateList      = "certificate:list"       // list; read the post certificate settings and the keys
	PermCertificateRead      = "certificate:read"       // one certificate, its PDF and its credential
	PermCertificateExport    = "certificate:export"     // a batch's PDFs as one ZIP
	PermCertificateRevoke    = "certificate:revoke"     // revoke an issued certificate
	PermCertificateReissue   = "certificate:reissue"    // reissue with corrected holder data
	PermCertificateIssuePost = "certificate:issue_post" // issue an enterprise's own post certificate
	PermCertificateConfigure = "certificate:configure"  // set the post certificate prefix and title
	PermCertificateRotateKey = "certificate:rotate_key" // rotate the signing key
	PermCertificateListOwn   = "certificate:list_own"   // a candidate's own certificates, PDFs and credentials
)

// ReasonReissued is the revocation reason of a certificate replaced by a corrected one.
const ReasonReissued = "reissued"

// Certificate is one certificate of an institution.
type Certificate struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Kind     Kind
	Status   Status
	Number   string // empty while pending

	BatchID       *uuid.UUID
	ApplicationID uuid.UUID
	CandidateID   uuid.UUID

	HolderName     string
	IDType         string // candidates' code, e.g. "resident_id"
	IDNumber       string
	OccupationCode string
	OccupationName string
	Subtype        string // "" when the occupation has none ("--" is printed)
	Level          int
	Title          string // "职业技能等级证书", or the enterprise's post certificate title
	Post           string // the post (岗位) of a post certificate

	IssuedAt        *time.Time
	IssuedOn        *time.Time // the date on the certificate (China Standard Time), at 00:00 UTC
	StatusListIndex *int
	KeyID           string // kid of the key that signed the credential

	RevokedAt    *time.Time
	RevokeReason string
	Replaces     *uuid.UUID
	ReplacedBy   *uuid.UUID

	Attempts  int
	LastError string // why the last issuance attempt failed, while pending

	CreatedAt time.Time
	UpdatedAt time.Time
}

// FinalizedBatch is what finalizing a batch hands over: the batches module's FinalizedBatch, which
// the server's wiring converts, so that this package does not depend on batches.
type FinalizedBatch struct {
	BatchID        uuid.UUID
	TenantID       uuid.UUID
	OccupationCode string
	OccupationName string
	Subtype        string
	Level          int
	FinalizedAt    time.Time
	Passed         []PassedApplication
}

// PassedApplication is one passed application of a finalized batch.
type PassedApplication struct {
	ApplicationID uuid.UUID
	CandidateID   uuid.UUID
	HolderName    string
	IDType        string
	IDNumber      string
}

// Validate checks what issuing needs of a finalized batch.
func (b FinalizedBatch) Validate() error {
	var v platform.Validation
	v.Check(b.BatchID != uuid.Nil, "batch_id", "required", "batch id is required")
	v.Check(b.OccupationCode != "", "occupation_code", "required", "occupation code is required")
	v.Check(b.OccupationName != "", "occupation_name", "required", "occupation name is required")
	v.Check(b.Level >= 1 && b.Level <= 5, "level", "invalid", "certificates are issued for levels 1 to 5")
	for i, p := range b.Passed {
		v.Check(p.ApplicationID != uuid.Nil, fieldAt("passed", i, "application_id"), "required", "application id is required")
		v.Check(strings.TrimSpace(p.HolderName) != "", fieldAt("passed", i, "holder_name"), "required", "holder name is required")
		v.Check(p.IDNumber != "", fieldAt("passed", i, "id_number"), "required", "id number is required")
	}
	return v.Err()
}

func fieldAt(list string, i int, field string) string {
	return list + "[" + strconv.Itoa(i) + "]." + field
}

// Correction is the corrected holder data of a reissue; empty fields keep their value.
type Correction struct {
	HolderName string
	IDType     string
	IDNumber   string
	Subtype    *string // nil keeps the sub-type; "" clears it
	Post       string  // post certificates only
}

// Validate checks a correction changes something and that names are sane.
func (c Correction) Validate() error {
	var v platform.Validation
	v.Check(c.HolderName != "" || c.IDType != "" || c.IDNumber != "" || c.Subtype != nil || c.Post != "",
		"holder_name", "required", "a reissue corrects at least one field")
	v.Check(utf8.RuneCountInString(c.HolderName) <= 64, "holder_name", "too_long", "at most 64 characters")
	v.Check(len(c.IDNumber) <= 64, "id_number", "too_long", "at most 64 characters")
	v.Check(len(c.IDType) <= 32, "id_type", "too_long", "at most 32 characters")
	if c.Subtype != nil {
		v.Check(utf8.RuneCountInString(*c.Subtype) <= 64, "subtype", "too_long", "at most 64 characters")
	}
	v.Check(utf8.RuneCountInString(c.Post) <= 64, "post", "too_long", "at most 64 characters")
	return v.Err()
}

// NewPostCertificate asks for an enterprise's own post certificate (一岗双证) for the application of
// an issued skill level certificate.
type NewPostCertificate struct {
	CertificateID uuid.UUID // the skill level certificate of the same passed application
	Post          string    // the post (岗位), required
	Title         string    // overrides the enterprise's post certificate title for this one
}

// Validate checks the request.
func (n NewPostCertificate) Validate() error {
	var v platform.Validation
	v.Check(n.CertificateID != uuid.Nil, "certificate_id", "required", "the skill level certificate is required")
	v.Check(strings.TrimSpace(n.Post) != "", "post", "required", "the post is required")
	v.Check(utf8.RuneCountInString(n.Post) <= 64, "post", "too_long", "at most 64 characters")
	v.Check(utf8.RuneCountInString(n.Title) <= 32, "title", "too_long", "at most 32 characters")
	return v.Err()
}

// Settings are an enterprise's choices for its post certificates.
type Settings struct {
	PostPrefix string // numbering prefix, e.g. "QY": numbers are prefix + yyyy + serial
	PostTitle  string // printed title, e.g. "岗位能力证书"
}

// Validate checks the settings.
func (s Settings) Validate() error {
	var v platform.Validation
	v.Check(ValidPostPrefix(s.PostPrefix), "post_prefix", "invalid", "2–10 capital letters or digits, starting with a letter other than Y or S")
	v.Check(strings.TrimSpace(s.PostTitle) != "", "post_title", "required", "the post certificate title is required")
	v.Check(utf8.RuneCountInString(s.PostTitle) <= 32, "post_title", "too_long", "at most 32 characters")
	v.Check(strings.TrimSpace(s.PostTitle) != "职业技能等级证书", "post_title", "reserved", "a post certificate must not pass for the national one")
	return v.Err()
}

// Lookup is what the public learns about a certificate number.
type Lookup struct {
	Number         string
	Kind           Kind
	Title          string
	Valid          bool // false: revoked
	HolderMasked   string
	HolderName     string // the full name, only when the caller gave it exactly (NameMatches)
	NameMatches    *bool  // nil when no name was given
	OccupationCode string
	OccupationName string
	Subtype        string
	Level          int
	Institution    string
	IssuedOn       time.Time
	Post           string
}

// ListFilter narrows a list of certificates of the tenant; zero fields select everything.
type ListFilter struct {
	BatchID     *uuid.UUID
	CandidateID *uuid.UUID // Mine sets it to the caller's own candidate record
	Status      Status     // "" for any
	// Failed narrows pending certificates to those whose last issuance attempt failed (they wait for
	// a retry); the list filter ?status=failed.
	Failed bool
}

// FilterFailed is the status filter of pending certificates whose last attempt failed: not a status
// of its own (the certificate stays pending and is retried), but what an admin looks for.
const FilterFailed = "failed"

// ParseStatus reads a status filter: "" (any status) or one of the three statuses.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case "", StatusPending, StatusIssued, StatusRevoked:
		return st, nil
	}
	return "", ErrBadStatus
}

// Errors with stable codes.
var (
	ErrNotFound       = platform.NotFound("certificate")
	ErrNotIssued      = platform.Conflict("invalid_state", "only an issued certificate can be revoked or reissued")
	ErrNotEnterprise  = platform.Unprocessable("not_enterprise", "only enterprises issue their own post certificates")
	ErrPrefixTaken    = platform.Conflict("duplicate", "another institution uses this post certificate prefix")
	ErrSerialExceeded = platform.Unprocessable("serial_exhausted", "the six-digit serial of this year and level is used up")
	ErrSuspended      = platform.Unprocessable("out_of_scope", "the institution is suspended and may not issue certificates")
	ErrNotCandidate   = platform.NotFound("candidate")
	ErrBadStatus      = &platform.Error{Kind: platform.KindInvalid, Code: "invalid_parameter", Message: "status must be pending, issued or revoked",
		Fields: []platform.FieldError{{Field: "status", Code: "invalid", Message: "must be pending, issued or revoked"}}}
)

// ApprovedScope is what issuing needs of the institution's approved filing: the codes in its numbers.
type ApprovedScope struct {
	EvaluatorCode string // 4 characters
	ProvinceCode  string // 2 digits
	SiteSerial    string // 6 characters
}

// Filings checks that an approved, unexpired filing of the tenant in ctx covers an occupation and
// level; the filings module implements it (filings.Service.CheckScope), adapted by the wiring. It
// returns a 422 out_of_scope platform error saying why not.
type Filings interface {
	CheckScope(ctx context.Context, tx bun.IDB, occupationCode string, level int, asOf time.Time) (ApprovedScope, error)
}

// FilingsFunc adapts a function to Filings.
type FilingsFunc func(ctx context.Context, tx bun.IDB, occupationCode string, level int, asOf time.Time) (ApprovedScope, error)

// CheckScope calls f.
func (f FilingsFunc) CheckScope(ctx context.Context, tx bun.IDB, occupationCode string, level int, asOf time.Time) (ApprovedScope, error) {
	return f(ctx, tx, occupationCode, level, asOf)
}

// Institutions looks up tenants; directory.Service implements it.
type Institutions interface {
	ByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error)
}

// Candidates finds the candidate record of a candidate-role user, for GET /me/certificates; the
// candidates module implements it (candidates.Service.ByUserTx), adapted by the wiring. It returns a
// not-found error when the user has no candidate record.
type Candidates interface {
	CandidateIDByUser(ctx context.Context, tx bun.IDB, userID uuid.UUID) (uuid.UUID, error)
}

// CandidatesFunc adapts a function to Candidates.
type CandidatesFunc func(ctx context.Context, tx bun.IDB, userID uuid.UUID) (uuid.UUID, error)

// CandidateIDByUser calls f.
func (f CandidatesFunc) CandidateIDByUser(ctx context.Context, tx bun.IDB, userID uuid.UUID) (uuid.UUID, error) {
	return f(ctx, tx, userID)
}

// Photos gives a candidate's uploaded photo (JPEG or PNG) for the certificate; it returns a
// not-found error when none was uploaded. Optional: without it certificates print no photo.
type Photos interface {
	PhotoTx(ctx context.Context, tx bun.IDB, candidateID uuid.UUID) ([]byte, error)
}

// PhotosFunc adapts a function to Photos.
type PhotosFunc func(ctx context.Context, tx bun.IDB, candidateID uuid.UUID) ([]byte, error)

// PhotoTx calls f.
func (f PhotosFunc) PhotoTx(ctx context.Context, tx bun.IDB, candidateID uuid.UUID) ([]byte, error) {
	return f(ctx, tx, candidateID)
}

// idTypeNames are the printed names of candidates' ID types.
var idTypeNames = map[string]string{
	"resident_id":                "居民身份证",
	"passport":                   "护照",
	"hk_macao_permit":            "港澳居民来往内地通行证",
	"taiwan_permit":              "台湾居民来往大陆通行证",
	"foreign_permanent_resident": "外国人永久居留身份证",
}

// IDTypeName returns the printed name of an ID type code; an unknown code is printed as given (an
// institution may have imported its own wording).
func IDTypeName(code string) string {
	if n, ok := idTypeNames[code]; ok {
		return n
	}
	return code
}
