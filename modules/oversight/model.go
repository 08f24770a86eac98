package oversight

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Permissions of oversight, as routes, the console and policies/roles/oversight.csv name them.
// Regulators hold only oversight actions; institutions see and answer the decisions about them.
const (
	PermRead            = "oversight:read"    // every regulator role: institutions in jurisdiction, reports, statistics
	PermSync            = "oversight:sync"    // regulator admin: the external system
	PermInspect         = "oversight:inspect" // regulator admin and inspector: inspections, sampling, complaints
	PermDecide          = "oversight:decide"  // regulator admin and inspector: decisions and reviews
	PermDecisionList    = "decision:list"     // institution users: the decisions about them
	PermDecisionRespond = "decision:respond"  // institution admin: statements and review requests
)

// Errors of the oversight module.
var (
	ErrInstitutionNotFound = platform.NotFound("institution")
	ErrReportNotFound      = platform.NotFound("report")
	ErrDecisionNotFound    = platform.NotFound("decision")
	ErrInspectionNotFound  = platform.NotFound("inspection")
	ErrFindingNotFound     = platform.NotFound("finding")
	ErrComplaintNotFound   = platform.NotFound("complaint")
	ErrSamplingNotFound    = platform.NotFound("sampling")
	ErrNoEndpoint          = platform.NotFound("sync endpoint")
	// ErrPrivateTarget refuses a sync target on a private, loopback or link-local address.
	ErrPrivateTarget = platform.Unprocessable("private_target",
		"the sync endpoint resolves to a private, loopback or link-local address (allowed only with SKILLCERT_SYNC_ALLOW_PRIVATE=true)")
	// ErrNoRegulator is the answer to a complaint about an institution no regulator oversees.
	ErrNoRegulator = platform.Unprocessable("no_regulator", "no regulator oversees this institution's region yet")
)

// Institution is an institution as a regulator sees it in the register.
type Institution struct {
	ID         uuid.UUID      `json:"id"`
	Slug       string         `json:"slug"`
	Name       string         `json:"name"`
	Kind       tenants.Kind   `json:"kind"`
	RegionCode string         `json:"region_code"`
	CreditCode string         `json:"credit_code,omitempty"`
	Status     tenants.Status `json:"status"`
	CreatedAt  time.Time      `json:"created_at"`
}

// Report is one record an institution reported, as a regulator received it: an immutable copy,
// linked into the regulator's hash chain.
type Report struct {
	ID                uuid.UUID       `json:"id"`
	Seq               int64           `json:"seq"`
	InstitutionID     uuid.UUID       `json:"institution_id"`
	InstitutionRegion string          `json:"institution_region"`
	Kind              string          `json:"kind"`
	SubjectType       string          `json:"subject_type"`
	SubjectID         string          `json:"subject_id"`
	Payload           json.RawMessage `json:"payload"`
	ReportedAt        time.Time       `json:"reported_at"`
	ReceivedAt        time.Time       `json:"received_at"`
	PrevHash          string          `json:"prev_hash"`
	Hash              string          `json:"hash"`
}

// ChainCheck is the result of verifying a regulator's report chain.
type ChainCheck struct {
	OK          bool   `json:"ok"`
	Entries     int64  `json:"entries"`
	Head        string `json:"head"`
	FirstBadSeq *int64 `json:"first_bad_seq,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// EndpointInput configures a regulator's external system.
type EndpointInput struct {
	URL    string
	Secret string
}

// Validate checks the address's shape and the secret; reachability rules are checked by the service.
func (in *EndpointInput) Validate(allowHTTP bool) error {
	in.URL = strings.TrimSpace(in.URL)
	var v platform.Validation
	u, err := url.Parse(in.URL)
	if v.Check(err == nil && u.Host != "" && u.Hostname() != "", "url", "format", "an absolute https:// address is required") {
		v.Check(u.Scheme == "https" || (allowHTTP && u.Scheme == "http"), "url", "scheme", "the address must use https")
		v.Check(u.User == nil, "url", "credentials", "credentials in the address are not allowed; use the secret")
		v.Check(u.Fragment == "", "url", "fragment", "the address may not have a fragment")
	}
	v.Check(len(in.URL) <= 2000, "url", "too_long", "at most 2000 characters")
	v.Check(len(in.Secret) >= 16 && len(in.Secret) <= 256, "secret", "length", "a secret of 16 to 256 bytes is required")
	return v.Err()
}

// SyncState is the delivery state of a regulator's external system.
type SyncState struct {
	Configured      bool         `json:"configured"`
	URL             string       `json:"url,omitempty"`
	Paused          bool         `json:"paused"`
	Pending         int64        `json:"pending"`
	Failures        int64        `json:"failures"`
	FailingStreams  int64        `json:"failing_streams"`
	Delivered       int64        `json:"delivered"`
	DeadLetters     int64        `json:"dead_letters"`
	DeadLetterTotal int64        `json:"dead_letters_total"`
	LastError       string       `json:"last_error,omitempty"`
	LastErrorAt     *time.Time   `json:"last_error_at,omitempty"`
	LastSuccessAt   *time.Time   `json:"last_success_at,omitempty"`
	Alert           string       `json:"alert,omitempty"`
	Streams         []StreamInfo `json:"streams"`
}

// StreamInfo is the state of one institution's stream that is not simply up to date.
type StreamInfo struct {
	InstitutionID uuid.UUID  `json:"institution_id"`
	State         string     `json:"state"`
	Pending       int64      `json:"pending"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	FirstFailedAt *time.Time `json:"first_failed_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	DeadReportID  *uuid.UUID `json:"dead_report_id,omitempty"`
}

// Stream states.
const (
	streamOK       = "ok"
	streamRetrying = "retrying"
	streamDead     = "dead"
)

// DecisionKind is what a regulator decides about an institution.
type DecisionKind string

// Decision kinds (DOMAIN.md step 7: sanctions by severity).
const (
	DecisionSuspend               DecisionKind = "suspend"
	DecisionReinstate             DecisionKind = "reinstate"
	DecisionInvalidateCertificate DecisionKind = "invalidate_certificate"
	DecisionRectify               DecisionKind = "rectify"
)

// DecisionInput is a regulator's decision as submitted.
type DecisionInput struct {
	InstitutionID     uuid.UUID
	Kind              DecisionKind
	CertificateNumber string
	Facts             string
	Reason            string
	Deadline          *time.Time // rectify: required
}

// Validate checks a decision's fields.
func (in *DecisionInput) Validate(today time.Time) error {
	in.CertificateNumber = strings.ToUpper(strings.TrimSpace(in.CertificateNumber))
	in.Reason = strings.TrimSpace(in.Reason)
	in.Facts = strings.TrimSpace(in.Facts)
	var v platform.Validation
	v.Check(in.InstitutionID != uuid.Nil, "institution_id", "required", "institution_id is required")
	switch in.Kind {
	case DecisionSuspend, DecisionReinstate:
	case DecisionInvalidateCertificate:
		v.Check(in.CertificateNumber != "", "certificate_number", "required", "the certificate to invalidate is required")
	case DecisionRectify:
		if v.Check(in.Deadline != nil, "deadline", "required", "a rectification order needs a deadline") {
			v.Check(!in.Deadline.Before(today), "deadline", "past", "the deadline must not be in the past")
		}
	default:
		v.Add("kind", "invalid", "kind must be suspend, reinstate, invalidate_certificate or rectify")
	}
	v.Check(in.Reason != "" && utf8.RuneCountInString(in.Reason) <= 2000, "reason", "required", "a reason of 1–2000 characters is required")
	v.Check(utf8.RuneCountInString(in.Facts) <= 10000, "facts", "too_long", "at most 10000 characters")
	return v.Err()
}

// Decision is a regulator's decision with the institution's answer, as the regulator sees it.
type Decision struct {
	ID                 uuid.UUID    `json:"id"`
	RegulatorID        uuid.UUID    `json:"regulator_id"`
	RegulatorName      string       `json:"regulator_name,omitempty"`
	InstitutionID      uuid.UUID    `json:"institution_id"`
	Kind               DecisionKind `json:"kind"`
	CertificateNumber  string       `json:"certificate_number,omitempty"`
	Facts              string       `json:"facts"`
	Reason             string       `json:"reason"`
	Deadline           *time.Time   `json:"deadline,omitempty"`
	DecidedAt          time.Time    `json:"decided_at"`
	DecidedBy          string       `json:"decided_by,omitempty"`
	Statement          string       `json:"statement,omitempty"`
	StatementAt        *time.Time   `json:"statement_at,omitempty"`
	ReviewReason       string       `json:"review_reason,omitempty"`
	ReviewRequestedAt  *time.Time   `json:"review_requested_at,omitempty"`
	ReviewOutcome      string       `json:"review_outcome,omitempty"`
	ReviewNote         string       `json:"review_note,omitempty"`
	ReviewedAt         *time.Time   `json:"reviewed_at,omitempty"`
	InstitutionStatus  string       `json:"institution_status,omitempty"`
	AppliedDescription string       `json:"applied,omitempty"`
}

// Inspection kinds and statuses.
const (
	InspectionRoutine = "routine"
	InspectionSpecial = "special"
	InspectionAnnual  = "annual"

	InspectionPlanned    = "planned"
	InspectionInProgress = "in_progress"
	InspectionClosed     = "closed"
)

// Inspection is an on-site, special or annual inspection of an institution with its findings.
type Inspection struct {
	ID            uuid.UUID   `json:"id"`
	InstitutionID uuid.UUID   `json:"institution_id"`
	Kind          string      `json:"kind"`
	Status        string      `json:"status"`
	Title         string      `json:"title"`
	ScheduledOn   *time.Time  `json:"scheduled_on,omitempty"`
	InspectorIDs  []uuid.UUID `json:"inspector_ids"`
	Conclusion    string      `json:"conclusion"`
	SamplingID    *uuid.UUID  `json:"sampling_id,omitempty"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	ClosedAt      *time.Time  `json:"closed_at,omitempty"`
	Findings      []Finding   `json:"findings"`
}

// InspectionInput creates an inspection.
type InspectionInput struct {
	InstitutionID uuid.UUID
	Kind          string
	Title         string
	ScheduledOn   *time.Time
	InspectorIDs  []uuid.UUID
}

// Validate checks an inspection's fields.
func (in *InspectionInput) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	var v platform.Validation
	v.Check(in.InstitutionID != uuid.Nil, "institution_id", "required", "institution_id is required")
	v.Check(validInspectionKind(in.Kind), "kind", "invalid", "kind must be routine, special or annual")
	v.Check(in.Title != "" && utf8.RuneCountInString(in.Title) <= 200, "title", "required", "a title of 1–200 characters is required")
	v.Check(len(in.InspectorIDs) <= 50, "inspector_ids", "too_many", "at most 50 inspectors")
	return v.Err()
}

// InspectionPatch changes an inspection; nil fields stay.
type InspectionPatch struct {
	Status       *string
	Title        *string
	Conclusion   *string
	ScheduledOn  *time.Time
	InspectorIDs *[]uuid.UUID
}

// Validate checks a patch.
func (p *InspectionPatch) Validate() error {
	var v platform.Validation
	if p.Status != nil {
		v.Check(*p.Status == InspectionPlanned || *p.Status == InspectionInProgress || *p.Status == InspectionClosed,
			"status", "invalid", "status must be planned, in_progress or closed")
	}
	if p.Title != nil {
		t := strings.TrimSpace(*p.Title)
		p.Title = &t
		v.Check(t != "" && utf8.RuneCountInString(t) <= 200, "title", "required", "a title of 1–200 characters is required")
	}
	if p.Conclusion != nil {
		v.Check(utf8.RuneCountInString(*p.Conclusion) <= 10000, "conclusion", "too_long", "at most 10000 characters")
	}
	if p.InspectorIDs != nil {
		v.Check(len(*p.InspectorIDs) <= 50, "inspector_ids", "too_many", "at most 50 inspectors")
	}
	return v.Err()
}

func validInspectionKind(k string) bool {
	return k == InspectionRoutine || k == InspectionSpecial || k == InspectionAnnual
}

// Finding is one thing an inspection found, with what must be fixed and by when.
type Finding struct {
	ID           uuid.UUID  `json:"id"`
	InspectionID uuid.UUID  `json:"inspection_id"`
	Severity     string     `json:"severity"`
	Description  string     `json:"description"`
	Requirement  string     `json:"requirement"`
	Deadline     *time.Time `json:"deadline,omitempty"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// FindingInput creates or (with nil-able fields in FindingPatch) changes a finding.
type FindingInput struct {
	Severity    string
	Description string
	Requirement string
	Deadline    *time.Time
}

// Validate checks a finding.
func (in *FindingInput) Validate() error {
	in.Description = strings.TrimSpace(in.Description)
	in.Requirement = strings.TrimSpace(in.Requirement)
	var v platform.Validation
	v.Check(validSeverity(in.Severity), "severity", "invalid", "severity must be minor, major or critical")
	v.Check(in.Description != "" && utf8.RuneCountInString(in.Description) <= 5000, "description", "required", "a description of 1–5000 characters is required")
	v.Check(utf8.RuneCountInString(in.Requirement) <= 5000, "requirement", "too_long", "at most 5000 characters")
	return v.Err()
}

// FindingPatch changes a finding; nil fields stay.
type FindingPatch struct {
	Severity    *string
	Description *string
	Requirement *string
	Deadline    *time.Time
	Resolved    *bool
}

// Validate checks a finding patch.
func (p *FindingPatch) Validate() error {
	var v platform.Validation
	if p.Severity != nil {
		v.Check(validSeverity(*p.Severity), "severity", "invalid", "severity must be minor, major or critical")
	}
	if p.Description != nil {
		d := strings.TrimSpace(*p.Description)
		p.Description = &d
		v.Check(d != "" && utf8.RuneCountInString(d) <= 5000, "description", "required", "a description of 1–5000 characters is required")
	}
	if p.Requirement != nil {
		v.Check(utf8.RuneCountInString(*p.Requirement) <= 5000, "requirement", "too_long", "at most 5000 characters")
	}
	return v.Err()
}

func validSeverity(s string) bool { return s == "minor" || s == "major" || s == "critical" }

// Complaint statuses.
const (
	ComplaintReceived      = "received"
	ComplaintInvestigating = "investigating"
	ComplaintClosed        = "closed"
)

// ComplaintInput is a public complaint about an institution.
type ComplaintInput struct {
	InstitutionSlug string
	Content         string
	Contact         string
}

// Validate checks a complaint.
func (in *ComplaintInput) Validate() error {
	in.InstitutionSlug = strings.TrimSpace(in.InstitutionSlug)
	in.Content = strings.TrimSpace(in.Content)
	in.Contact = strings.TrimSpace(in.Contact)
	var v platform.Validation
	v.Check(in.InstitutionSlug != "", "institution_slug", "required", "institution_slug is required")
	v.Check(utf8.RuneCountInString(in.Content) >= 10 && utf8.RuneCountInString(in.Content) <= 5000, "content", "length", "describe the matter in 10–5000 characters")
	v.Check(utf8.RuneCountInString(in.Contact) <= 200, "contact", "too_long", "at most 200 characters")
	return v.Err()
}

// Complaint is a public complaint as a regulator sees it.
type Complaint struct {
	ID            uuid.UUID `json:"id"`
	Ref           uuid.UUID `json:"ref"`
	InstitutionID uuid.UUID `json:"institution_id"`
	Content       string    `json:"content"`
	Contact       string    `json:"contact"`
	Status        string    `json:"status"`
	Note          string    `json:"note"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// ComplaintReceipt is what the public is told after filing a complaint.
type ComplaintReceipt struct {
	Ref        uuid.UUID `json:"ref"`
	ReceivedAt time.Time `json:"received_at"`
	Regulators int       `json:"regulators"`
}

// SamplingInput asks for a double-random draw.
type SamplingInput struct {
	Institutions int
	Inspectors   int
	Seed         string // empty: a random seed is drawn and recorded
	Kind         string // the kind of the inspections created; default routine
	Title        string
}

// Validate checks a draw request.
func (in *SamplingInput) Validate() error {
	var v platform.Validation
	v.Check(in.Institutions >= 1 && in.Institutions <= 1000, "institutions", "range", "draw 1 to 1000 institutions")
	v.Check(in.Inspectors >= 1 && in.Inspectors <= 1000, "inspectors", "range", "draw 1 to 1000 inspectors")
	v.Check(len(in.Seed) <= 128, "seed", "too_long", "at most 128 characters")
	if in.Kind == "" {
		in.Kind = InspectionRoutine
	}
	v.Check(validInspectionKind(in.Kind), "kind", "invalid", "kind must be routine, special or annual")
	return v.Err()
}

// SamplingMember is one member of a population drawn from, with its draw key.
type SamplingMember struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
	Key  string    `json:"key"` // hex HMAC-SHA256(seed, "<kind>:<id>"): members are drawn in key order
}

// SamplingAssignment is one drawn institution with the inspectors assigned to it.
type SamplingAssignment struct {
	InstitutionID   uuid.UUID   `json:"institution_id"`
	InstitutionName string      `json:"institution_name"`
	InspectorIDs    []uuid.UUID `json:"inspector_ids"`
	InspectionID    uuid.UUID   `json:"inspection_id"`
	// Filled in the public view: the inspection's progress and conclusion (一公开).
	Status     string `json:"status,omitempty"`
	Conclusion string `json:"conclusion,omitempty"`
	Findings   int    `json:"findings"`
}

// Sampling is a recorded double-random draw.
type Sampling struct {
	ID                    uuid.UUID            `json:"id"`
	RegulatorID           uuid.UUID            `json:"regulator_id"`
	RegulatorName         string               `json:"regulator_name,omitempty"`
	Seed                  string               `json:"seed"`
	Algorithm             string               `json:"algorithm"`
	InstitutionsRequested int                  `json:"institutions_requested"`
	InspectorsRequested   int                  `json:"inspectors_requested"`
	InstitutionPopulation []SamplingMember     `json:"institution_population"`
	InspectorPopulation   []SamplingMember     `json:"inspector_population"`
	Institutions          []SamplingMember     `json:"institutions"`
	Inspectors            []SamplingMember     `json:"inspectors"`
	Assignments           []SamplingAssignment `json:"assignments"`
	CreatedAt             time.Time            `json:"created_at"`
}

// Signal is one monitoring signal's contribution to an institution's score.
type Signal struct {
	Name        string  `json:"name"`
	Count       int     `json:"count"`
	Weight      float64 `json:"weight"` // points per occurrence
	Cap         float64 `json:"cap"`    // most points this signal can take
	Penalty     float64 `json:"penalty"`
	Explanation string  `json:"explanation"`
}

// Score is an institution's monitoring score (100 minus penalties) and star rating, with every
// signal's contribution so that the rating explains itself.
type Score struct {
	InstitutionID uuid.UUID `json:"institution_id"`
	Name          string    `json:"name"`
	Score         float64   `json:"score"`
	Stars         int       `json:"stars"`
	Signals       []Signal  `json:"signals"`
	Explanation   string    `json:"explanation"`
	Window        string    `json:"window"`
}

// ReconciliationDiff is a day of an institution whose holdings differ from what was reported.
type ReconciliationDiff struct {
	ID            uuid.UUID   `json:"id"`
	InstitutionID uuid.UUID   `json:"institution_id"`
	Day           string      `json:"day"`
	HeldCount     int         `json:"held_count"`
	ReportedCount int         `json:"reported_count"`
	HeldHash      string      `json:"held_hash"`
	ReportedHash  string      `json:"reported_hash"`
	Details       DiffDetails `json:"details"`
	FirstSeenAt   time.Time   `json:"first_seen_at"`
	LastSeenAt    time.Time   `json:"last_seen_at"`
	ResolvedAt    *time.Time  `json:"resolved_at,omitempty"`
}

// DiffDetails names the certificates that differ (capped at 100 each).
type DiffDetails struct {
	NotReported    []string       `json:"not_reported"`    // held, never reported
	NotHeld        []string       `json:"not_held"`        // reported, not held
	StatusMismatch []StatusChange `json:"status_mismatch"` // held with another status than reported
}

// StatusChange is a certificate whose held status differs from the reported one.
type StatusChange struct {
	Number   string `json:"number"`
	Held     string `json:"held"`
	Reported string `json:"reported"`
}

// Flag kinds of the cross-institution checks.
const (
	FlagMultipleCertificates = "multiple_certificates" // 一人多证
	FlagRepeatTesting        = "repeat_testing"        // 重复考证
)

// Flag is a cross-institution finding as one regulator sees it: only its own institutions' items are
// listed; institutions outside its jurisdiction are only counted.
type Flag struct {
	ID             uuid.UUID  `json:"id"`
	Kind           string     `json:"kind"`
	PersonRef      string     `json:"person_ref"`
	OccupationCode string     `json:"occupation_code"`
	Level          int        `json:"level"`
	Items          []FlagItem `json:"items"`
	OutsideCount   int        `json:"outside_count"`
	FirstSeenAt    time.Time  `json:"first_seen_at"`
	LastSeenAt     time.Time  `json:"last_seen_at"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
}

// FlagItem is one certificate or application behind a flag.
type FlagItem struct {
	InstitutionID     uuid.UUID `json:"institution_id"`
	CertificateNumber string    `json:"certificate_number,omitempty"`
	ApplicationID     string    `json:"application_id,omitempty"`
	Status            string    `json:"status"`
	Date              string    `json:"date"`
}
