package batches

import (
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// View models of batches (API.md, "Batches" and "Candidates and applications"): the JSON the HTTP
// layer sends, the console renders and the before/after audit records keep; the self-registration
// applier returns one too. The applications' views also encode themselves (view_json.go).

// BatchView is a batch as the institution sees it.
type BatchView struct {
	ID                  uuid.UUID          `json:"id"`
	Status              Status             `json:"status"`
	OccupationCode      string             `json:"occupation_code"`
	OccupationName      string             `json:"occupation_name"`
	Subtype             string             `json:"subtype"`
	Level               int                `json:"level"`
	LevelName           string             `json:"level_name"`
	Title               string             `json:"title"`
	Methods             []Method           `json:"methods"`
	PassMarks           map[Method]float64 `json:"pass_marks"`
	ExamStart           time.Time          `json:"exam_start"`
	ExamEnd             *time.Time         `json:"exam_end,omitempty"`
	ApplicationDeadline time.Time          `json:"application_deadline"`
	Venue               string             `json:"venue"`
	FeeFen              int64              `json:"fee_fen"`
	Capacity            int                `json:"capacity"`
	PublicityDays       int                `json:"publicity_days"`
	MinEvaluators       int                `json:"min_evaluators"`
	RuleSet             string             `json:"rule_set"`
	FilingID            *uuid.UUID         `json:"filing_id,omitempty"`
	ResultsLate         bool               `json:"results_late"`
	CancelReason        string             `json:"cancel_reason,omitempty"`
	PublishedAt         *time.Time         `json:"published_at,omitempty"`
	ClosedAt            *time.Time         `json:"closed_at,omitempty"`
	ResultsPublishedAt  *time.Time         `json:"results_published_at,omitempty"`
	PublicityEndsAt     *time.Time         `json:"publicity_ends_at,omitempty"`
	FinalizedAt         *time.Time         `json:"finalized_at,omitempty"`
	CancelledAt         *time.Time         `json:"cancelled_at,omitempty"`
	CreatedAt           time.Time          `json:"created_at"`
	UpdatedAt           time.Time          `json:"updated_at"`
}

// NewBatchView converts a batch to its view.
func NewBatchView(b Batch) BatchView {
	return BatchView{
		ID: b.ID, Status: b.Status, OccupationCode: b.OccupationCode, OccupationName: b.OccupationName,
		Subtype: b.Subtype, Level: int(b.Level), LevelName: b.Level.Label(), Title: b.Title, Methods: b.Methods,
		PassMarks: b.PassMarks, ExamStart: b.ExamStart, ExamEnd: b.ExamEnd, ApplicationDeadline: b.ApplicationDeadline,
		Venue: b.Venue, FeeFen: b.FeeFen, Capacity: b.Capacity, PublicityDays: b.PublicityDays,
		MinEvaluators: b.MinEvaluators, RuleSet: b.RuleSet, FilingID: b.FilingID, ResultsLate: b.ResultsLate,
		CancelReason: b.CancelReason, PublishedAt: b.PublishedAt, ClosedAt: b.ClosedAt,
		ResultsPublishedAt: b.ResultsPublishedAt, PublicityEndsAt: b.PublicityEndsAt, FinalizedAt: b.FinalizedAt,
		CancelledAt: b.CancelledAt, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
	}
}

// Announcement is a batch as the public sees it (公告): everything a person needs to apply, the fee
// included (fees must be public).
type Announcement struct {
	ID                  uuid.UUID  `json:"id"`
	Institution         string     `json:"institution,omitempty"`
	InstitutionSlug     string     `json:"institution_slug,omitempty"`
	Status              Status     `json:"status"`
	Title               string     `json:"title"`
	OccupationCode      string     `json:"occupation_code"`
	OccupationName      string     `json:"occupation_name"`
	Subtype             string     `json:"subtype"`
	Level               int        `json:"level"`
	LevelName           string     `json:"level_name"`
	Methods             []Method   `json:"methods"`
	ExamStart           time.Time  `json:"exam_start"`
	ExamEnd             *time.Time `json:"exam_end,omitempty"`
	ApplicationDeadline time.Time  `json:"application_deadline"`
	Venue               string     `json:"venue"`
	FeeFen              int64      `json:"fee_fen"`
	Capacity            int        `json:"capacity"`
	PublishedAt         *time.Time `json:"published_at,omitempty"`
}

// NewAnnouncement converts a batch to its public announcement.
func NewAnnouncement(b Batch) Announcement {
	return Announcement{ID: b.ID, Status: b.Status, Title: b.Title, OccupationCode: b.OccupationCode,
		OccupationName: b.OccupationName, Subtype: b.Subtype, Level: int(b.Level), LevelName: b.Level.Label(),
		Methods: b.Methods, ExamStart: b.ExamStart, ExamEnd: b.ExamEnd, ApplicationDeadline: b.ApplicationDeadline,
		Venue: b.Venue, FeeFen: b.FeeFen, Capacity: b.Capacity, PublishedAt: b.PublishedAt}
}

// NewAnnouncementFor is the announcement of an institution's batch, naming the institution.
func NewAnnouncementFor(t tenants.Tenant, b Batch) Announcement {
	a := NewAnnouncement(b)
	a.Institution, a.InstitutionSlug = t.Name, t.Slug
	return a
}

// EligibilityView is the eligibility decision of an application: passed, the rule it rests on (the
// passed path, or the rule set when none passed) and the reasons in Chinese (reasons) and English
// (reasons_en) — for a pass the clauses of the passed path, for a failure every failed clause — plus,
// on a single application, every clause checked.
type EligibilityView struct {
	Passed          bool                 `json:"passed"`
	Rule            string               `json:"rule"`
	Reasons         []string             `json:"reasons"`
	ReasonsEN       []string             `json:"reasons_en"`
	Outcome         eligibility.Outcome  `json:"outcome"`
	RuleSet         string               `json:"rule_set,omitempty"`
	RuleSetRevision int                  `json:"rule_set_revision,omitempty"`
	TheoryExempt    bool                 `json:"theory_exempt"`
	ExemptReason    string               `json:"exempt_reason,omitempty"`
	ExemptReasonEN  string               `json:"exempt_reason_en,omitempty"`
	AsOf            *time.Time           `json:"as_of,omitempty"`
	Clauses         []eligibility.Clause `json:"clauses,omitempty"`
}

// NewEligibilityView summarises a decision; full adds every clause.
func NewEligibilityView(d eligibility.Decision, full bool) EligibilityView {
	v := EligibilityView{Passed: decisionPassed(d), Rule: decisionRule(d), Reasons: []string{}, ReasonsEN: []string{},
		Outcome: d.Outcome, RuleSet: d.RuleSet, RuleSetRevision: d.RuleSetRevision, TheoryExempt: d.TheoryExempt,
		ExemptReason: d.ExemptReasonZH, ExemptReasonEN: d.ExemptReasonEN}
	if !d.AsOf.IsZero() {
		at := d.AsOf
		v.AsOf = &at
	}
	for _, c := range d.Clauses {
		var relevant bool
		if v.Passed {
			relevant = c.Passed && (c.Path == d.PassedPath || c.Path == "")
		} else {
			relevant = !c.Passed
		}
		if relevant {
			v.Reasons = append(v.Reasons, c.ReasonZH)
			v.ReasonsEN = append(v.ReasonsEN, c.ReasonEN)
		}
	}
	if full {
		v.Clauses = d.Clauses
	}
	return v
}

// ReviewView is a reviewer's decision on an application.
type ReviewView struct {
	Decision   string     `json:"decision"`
	Reason     string     `json:"reason,omitempty"`
	ReviewedBy *uuid.UUID `json:"reviewed_by,omitempty"`
	ReviewedAt *time.Time `json:"reviewed_at,omitempty"`
}

// ApplicationView is an application as staff, evaluators and the candidate see it.
type ApplicationView struct {
	ID              uuid.UUID          `json:"id"`
	BatchID         uuid.UUID          `json:"batch_id"`
	CandidateID     uuid.UUID          `json:"candidate_id"`
	CandidateName   string             `json:"candidate_name"`
	IDType          string             `json:"id_type"`
	IDNumber        string             `json:"id_number"`
	Status          ApplicationStatus  `json:"status"`
	Route           eligibility.Route  `json:"route"`
	EvidenceFileIDs []string           `json:"evidence_file_ids,omitempty"`
	Eligibility     EligibilityView    `json:"eligibility"`
	FeeFen          int64              `json:"fee_fen"`
	Paid            bool               `json:"paid"`
	PaidAt          *time.Time         `json:"paid_at,omitempty"`
	Review          *ReviewView        `json:"review,omitempty"`
	Scores          map[Method]float64 `json:"scores"`
	Result          *Result            `json:"result"` // null while scores are incomplete
	Held            bool               `json:"held"`
	CreatedAt       time.Time          `json:"created_at"`
	UpdatedAt       time.Time          `json:"updated_at"`
}

// NewApplicationView converts an application; full includes every eligibility clause.
func NewApplicationView(a Application, full bool) ApplicationView {
	v := ApplicationView{ID: a.ID, BatchID: a.BatchID, CandidateID: a.CandidateID, CandidateName: a.CandidateName,
		IDType: a.IDType, IDNumber: a.IDNumber, Status: a.Status, Route: a.Route, EvidenceFileIDs: a.EvidenceFileIDs,
		Eligibility: NewEligibilityView(a.Decision, full), FeeFen: a.FeeFen, Paid: a.PaidAt != nil, PaidAt: a.PaidAt,
		Scores: a.Scores, Held: a.Held, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if v.Scores == nil {
		v.Scores = map[Method]float64{}
	}
	if a.Result != ResultNone {
		r := a.Result
		v.Result = &r
	}
	if a.ReviewDecision != "" {
		v.Review = &ReviewView{Decision: a.ReviewDecision, Reason: a.ReviewReason, ReviewedBy: a.ReviewedBy, ReviewedAt: a.ReviewedAt}
	}
	return v
}

// AssignmentsView lists a batch's evaluators, supervisors and recusals.
type AssignmentsView struct {
	Evaluators  []EvaluatorView  `json:"evaluators"`
	Supervisors []SupervisorView `json:"supervisors"`
	Recusals    []RecusalView    `json:"recusals"`
}

// EvaluatorView is one evaluator assignment.
type EvaluatorView struct {
	UserID     uuid.UUID `json:"user_id"`
	Method     Method    `json:"method"`
	AssignedAt time.Time `json:"assigned_at"`
}

// SupervisorView is one supervisor assignment.
type SupervisorView struct {
	UserID     uuid.UUID `json:"user_id"`
	AssignedAt time.Time `json:"assigned_at"`
}

// RecusalView is one recusal.
type RecusalView struct {
	ID          uuid.UUID  `json:"id"`
	BatchID     uuid.UUID  `json:"batch_id"`
	EvaluatorID uuid.UUID  `json:"evaluator_id"`
	CandidateID uuid.UUID  `json:"candidate_id"`
	Relation    string     `json:"relation"`
	DeclaredBy  *uuid.UUID `json:"declared_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// NewRecusalView converts a recusal.
func NewRecusalView(r Recusal) RecusalView {
	return RecusalView{ID: r.ID, BatchID: r.BatchID, EvaluatorID: r.EvaluatorID, CandidateID: r.CandidateID,
		Relation: r.Relation, DeclaredBy: r.DeclaredBy, CreatedAt: r.CreatedAt}
}

// NewAssignmentsView converts assignments.
func NewAssignmentsView(a Assignments) AssignmentsView {
	v := AssignmentsView{Evaluators: []EvaluatorView{}, Supervisors: []SupervisorView{}, Recusals: []RecusalView{}}
	for _, e := range a.Evaluators {
		v.Evaluators = append(v.Evaluators, EvaluatorView(e))
	}
	for _, s := range a.Supervisors {
		v.Supervisors = append(v.Supervisors, SupervisorView(s))
	}
	for _, r := range a.Recusals {
		v.Recusals = append(v.Recusals, NewRecusalView(r))
	}
	return v
}

// ObjectionView is an objection as staff see it.
type ObjectionView struct {
	ID            uuid.UUID       `json:"id"`
	BatchID       uuid.UUID       `json:"batch_id"`
	ApplicationID uuid.UUID       `json:"application_id"`
	Reason        string          `json:"reason"`
	Contact       string          `json:"contact"`
	Status        ObjectionStatus `json:"status"`
	Note          string          `json:"note,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	ResolvedAt    *time.Time      `json:"resolved_at,omitempty"`
	ResolvedBy    *uuid.UUID      `json:"resolved_by,omitempty"`
}

// NewObjectionView converts an objection.
func NewObjectionView(o Objection) ObjectionView {
	return ObjectionView{ID: o.ID, BatchID: o.BatchID, ApplicationID: o.ApplicationID, Reason: o.Reason,
		Contact: o.Contact, Status: o.Status, Note: o.Note, CreatedAt: o.CreatedAt, ResolvedAt: o.ResolvedAt,
		ResolvedBy: o.ResolvedBy}
}

// HolidaysView is one year of the calendar.
type HolidaysView struct {
	Year     int      `json:"year"`
	Holidays []string `json:"holidays"`
	Workdays []string `json:"workdays"`
}

// NewHolidaysView converts a calendar year.
func NewHolidaysView(h Holidays) HolidaysView {
	v := HolidaysView{Year: h.Year, Holidays: h.Holidays, Workdays: h.Workdays}
	if v.Holidays == nil {
		v.Holidays = []string{}
	}
	if v.Workdays == nil {
		v.Workdays = []string{}
	}
	return v
}

// PassedView is one passed application recorded at finalize.
type PassedView struct {
	ApplicationID uuid.UUID `json:"application_id"`
	CandidateID   uuid.UUID `json:"candidate_id"`
	HolderName    string    `json:"holder_name"`
	IDType        string    `json:"id_type"`
	IDNumber      string    `json:"id_number"`
}

// NewPassedView converts a passed application.
func NewPassedView(p PassedApplication) PassedView { return PassedView(p) }

// PublicResultView is one line of a batch's published results, masked.
type PublicResultView struct {
	ApplicationID  uuid.UUID `json:"application_id"`
	Name           string    `json:"name"`
	IDNumber       string    `json:"id_number"`
	Result         Result    `json:"result"`
	UnderObjection bool      `json:"under_objection"`
}

// NewPublicResultView converts a public result.
func NewPublicResultView(r PublicResult) PublicResultView {
	return PublicResultView{ApplicationID: r.ApplicationID, Name: r.MaskedName, IDNumber: r.MaskedIDNumber,
		Result: r.Result, UnderObjection: r.Held}
}

// PublicResultsView is a page of a batch's published results, with the batch's announcement.
type PublicResultsView struct {
	Batch           Announcement       `json:"batch"`
	PublicityEndsAt *time.Time         `json:"publicity_ends_at"`
	Items           []PublicResultView `json:"items"`
	NextCursor      string             `json:"next_cursor"`
}

// NewPublicResultsView converts a page of a batch's public results.
func NewPublicResultsView(b Batch, p platform.Page[PublicResult]) PublicResultsView {
	page := platform.MapPage(p, NewPublicResultView)
	return PublicResultsView{Batch: NewAnnouncement(b), PublicityEndsAt: b.PublicityEndsAt, Items: page.Items,
		NextCursor: page.NextCursor}
}

// ObjectionReceipt acknowledges a public objection without echoing the objector's contact.
type ObjectionReceipt struct {
	ID        uuid.UUID       `json:"id"`
	Status    ObjectionStatus `json:"status"`
	CreatedAt time.Time       `json:"created_at"`
}

// NewObjectionReceipt acknowledges an objection.
func NewObjectionReceipt(o Objection) ObjectionReceipt {
	return ObjectionReceipt{ID: o.ID, Status: o.Status, CreatedAt: o.CreatedAt}
}
