// Package batches runs an evaluation batch (认定批次) from announcement to result: steps 2–5 of the
// lifecycle in DOMAIN.md.
//
// A batch is created as a draft for one occupation and level inside the institution's approved scope,
// published (open: public announcement, applications accepted until the deadline and within capacity),
// closed (applications end, the exam takes place, assigned evaluators score), its results published
// (publicity: names and id numbers masked, objections from the public hold the affected application)
// and finalized once the publicity period — counted in working days on the platform's holiday calendar —
// is over. Finalizing records one row per passed, unheld application and hands them to the FinalizeHook
// (certificate issuance) in the same transaction.
//
//	draft ──publish──▶ open ──close──▶ closed ──results/publish──▶ publicity ──finalize──▶ finalized
//	  └──────cancel──────┴──────cancel────┘
//
// Any other transition is 409 invalid_state. Applications are decided by the eligibility engine
// (sub-package eligibility) and the full decision is stored with them; a change of the candidate's data
// while the batch is open re-evaluates them.
//
// Scores are accepted only while the batch is closed: the exam happens after applications close, and
// once results are published scores are locked (409 scores_locked). Before that, 409 invalid_state.
package batches

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform"
)

// Status is where a batch is in its life.
type Status string

// Batch statuses.
const (
	StatusDraft     Status = "draft"     // being prepared; not public
	StatusOpen      Status = "open"      // announced; applications accepted until the deadline
	StatusClosed    Status = "closed"    // applications ended; exam and scoring
	StatusPublicity Status = "publicity" // results published for the publicity period (公示)
	StatusFinalized Status = "finalized" // results final; passed applications handed to issuance
	StatusCancelled Status = "cancelled" // called off before results
)

// transitions lists, per status, the statuses a batch may move to.
var transitions = map[Status][]Status{
	StatusDraft:     {StatusOpen, StatusCancelled},
	StatusOpen:      {StatusClosed, StatusCancelled},
	StatusClosed:    {StatusPublicity, StatusCancelled},
	StatusPublicity: {StatusFinalized},
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusDraft, StatusOpen, StatusClosed, StatusPublicity, StatusFinalized, StatusCancelled:
		return true
	}
	return false
}

// CanBecome reports whether a batch in status s may move to t.
func (s Status) CanBecome(t Status) bool {
	for _, n := range transitions[s] {
		if n == t {
			return true
		}
	}
	return false
}

// Method is an assessment method (DOMAIN.md, step 4). Every method of a batch is scored out of 100
// against the batch's pass mark for it.
type Method string

// Assessment methods.
const (
	MethodTheory              Method = "theory"               // 理论知识考试
	MethodPractical           Method = "practical"            // 操作技能考核
	MethodComprehensiveReview Method = "comprehensive_review" // 综合评审 (required for levels 2 and 1)
	MethodThesisDefense       Method = "thesis_defense"       // 论文答辩
	MethodProcessAssessment   Method = "process_assessment"   // 过程化考核
	MethodPerformanceReview   Method = "performance_review"   // 业绩评价
	MethodDirectRecognition   Method = "direct_recognition"   // 直接认定 (scored by the review panel)
)

// Methods lists every assessment method in a stable order.
func Methods() []Method {
	return []Method{MethodTheory, MethodPractical, MethodComprehensiveReview, MethodThesisDefense,
		MethodProcessAssessment, MethodPerformanceReview, MethodDirectRecognition}
}

// Valid reports whether m is a known method.
func (m Method) Valid() bool {
	for _, k := range Methods() {
		if k == m {
			return true
		}
	}
	return false
}

// DefaultPassMark is the pass mark of a method the batch does not set (DOMAIN.md: 60 of 100).
const DefaultPassMark = 60.0

// MaxScore is the top of every method's scale.
const MaxScore = 100.0

// Batch is one evaluation batch of an institution.
type Batch struct {
	ID                  uuid.UUID
	TenantID            uuid.UUID
	OccupationCode      string
	OccupationName      string
	Subtype             string // 工种/职业方向, "--" when none
	Level               catalog.Level
	Title               string
	Methods             []Method
	PassMarks           map[Method]float64 // one per method
	ExamStart           time.Time
	ExamEnd             *time.Time
	ApplicationDeadline time.Time
	Venue               string
	FeeFen              int64 // public fee in fen
	Capacity            int
	PublicityDays       int // working days of publicity; 0 allowed
	MinEvaluators       int // evaluators required per method before close and results
	RuleSet             string
	FilingID            *uuid.UUID
	Status              Status
	ResultsLate         bool // results not published within the due working days after the exam
	CancelReason        string
	PublishedAt         *time.Time
	ClosedAt            *time.Time
	ResultsPublishedAt  *time.Time
	PublicityEndsAt     *time.Time
	FinalizedAt         *time.Time
	CancelledAt         *time.Time
	CreatedBy           *uuid.UUID
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// HasMethod reports whether the batch assesses with m.
func (b Batch) HasMethod(m Method) bool {
	for _, x := range b.Methods {
		if x == m {
			return true
		}
	}
	return false
}

// ExamDay is the day results are counted from: the end of the exam when known, else its start.
func (b Batch) ExamDay() time.Time {
	if b.ExamEnd != nil {
		return *b.ExamEnd
	}
	return b.ExamStart
}

// NewBatch is the input to create a batch.
type NewBatch struct {
	OccupationCode      string
	Subtype             string
	Level               int
	Title               string
	Methods             []Method
	ExamStart           time.Time
	ExamEnd             *time.Time
	ApplicationDeadline time.Time
	Venue               string
	FeeFen              int64
	Capacity            int
	PassMarks           map[Method]float64
	PublicityDays       *int // nil: DefaultPublicityDays
	MinEvaluators       *int // nil: 1
	RuleSet             string
}

// Bounds of a batch's numbers.
const (
	DefaultPublicityDays = 5
	MaxPublicityDays     = 30
	MaxCapacity          = 100_000
	MaxFeeFen            = 100_000_000 // one million yuan: anything above is a typo
	MaxMinEvaluators     = 20
	maxTitleLen          = 200
	maxVenueLen          = 500
	maxReasonLen         = 2000
	maxSearchLen         = 100
)

// RequiresComprehensiveReview reports whether level needs the comprehensive review method (DOMAIN.md:
// levels 2 and 1).
func RequiresComprehensiveReview(level catalog.Level) bool {
	return level == catalog.Level2 || level == catalog.Level1
}

// Validate checks the input, fills defaults (pass marks of 60, publicity days, one evaluator per method)
// and collects every bad field in one 422 validation_failed error. Catalog and scope checks are the
// service's.
func (n *NewBatch) Validate() error {
	n.OccupationCode = strings.TrimSpace(n.OccupationCode)
	n.Title = strings.TrimSpace(n.Title)
	n.Venue = strings.TrimSpace(n.Venue)
	n.Subtype = strings.TrimSpace(n.Subtype)
	if n.Subtype == "" {
		n.Subtype = "--"
	}
	var v platform.Validation
	v.Check(n.OccupationCode != "", "occupation_code", "required", "the occupation code is required")
	lvl := catalog.Level(n.Level)
	levelOK := v.Check(lvl.IsNational(), "level", "invalid", "level must be one of 5, 4, 3, 2, 1")
	v.Check(n.Title != "" && utf8.RuneCountInString(n.Title) <= maxTitleLen, "title", "invalid",
		fmt.Sprintf("a title of 1 to %d characters is required", maxTitleLen))
	v.Check(n.Venue != "" && utf8.RuneCountInString(n.Venue) <= maxVenueLen, "venue", "invalid",
		fmt.Sprintf("a venue of 1 to %d characters is required", maxVenueLen))

	seen := map[Method]bool{}
	if len(n.Methods) == 0 {
		v.Add("methods", "required", "at least one assessment method is required")
	}
	for i, m := range n.Methods {
		if !m.Valid() {
			v.Add(fmt.Sprintf("methods[%d]", i), "invalid", "unknown method "+string(m))
			continue
		}
		if seen[m] {
			v.Add(fmt.Sprintf("methods[%d]", i), "duplicate", "method "+string(m)+" is listed twice")
		}
		seen[m] = true
	}
	if levelOK && RequiresComprehensiveReview(lvl) && !seen[MethodComprehensiveReview] {
		v.Add("methods", "comprehensive_review_required", "levels 2 and 1 require the comprehensive_review method (综合评审)")
	}

	marks := make(map[Method]float64, len(n.Methods))
	for m, mark := range n.PassMarks {
		if !seen[m] {
			v.Add("pass_marks."+string(m), "unknown_method", "a pass mark for a method the batch does not use")
			continue
		}
		if !v.Check(mark >= 0 && mark <= MaxScore, "pass_marks."+string(m), "out_of_range", "pass marks are between 0 and 100") {
			continue
		}
		marks[m] = mark
	}
	for m := range seen {
		if _, ok := marks[m]; !ok {
			marks[m] = DefaultPassMark
		}
	}
	n.PassMarks = marks

	v.Check(!n.ExamStart.IsZero(), "exam_start", "required", "the exam start is required")
	v.Check(!n.ApplicationDeadline.IsZero(), "application_deadline", "required", "the application deadline is required")
	if !n.ExamStart.IsZero() && !n.ApplicationDeadline.IsZero() {
		v.Check(!n.ApplicationDeadline.After(n.ExamStart), "application_deadline", "after_exam",
			"the application deadline must not be after the exam starts")
	}
	if n.ExamEnd != nil && !n.ExamStart.IsZero() {
		v.Check(!n.ExamEnd.Before(n.ExamStart), "exam_end", "before_start", "the exam cannot end before it starts")
	}
	v.Check(n.FeeFen >= 0 && n.FeeFen <= MaxFeeFen, "fee_fen", "out_of_range", "the fee is between 0 and 100000000 fen")
	v.Check(n.Capacity >= 1 && n.Capacity <= MaxCapacity, "capacity", "out_of_range",
		fmt.Sprintf("capacity is between 1 and %d", MaxCapacity))
	if n.PublicityDays == nil {
		d := DefaultPublicityDays
		n.PublicityDays = &d
	}
	v.Check(*n.PublicityDays >= 0 && *n.PublicityDays <= MaxPublicityDays, "publicity_days", "out_of_range",
		fmt.Sprintf("publicity lasts 0 to %d working days", MaxPublicityDays))
	if n.MinEvaluators == nil {
		one := 1
		n.MinEvaluators = &one
	}
	v.Check(*n.MinEvaluators >= 1 && *n.MinEvaluators <= MaxMinEvaluators, "min_evaluators", "out_of_range",
		fmt.Sprintf("between 1 and %d evaluators per method", MaxMinEvaluators))
	return v.Err()
}

// ApplicationStatus is where an application stands.
type ApplicationStatus string

// Application statuses. eligible, ineligible and pending_review come from the eligibility engine;
// approved and rejected are a reviewer's decision on a pending_review application.
const (
	AppEligible      ApplicationStatus = "eligible"
	AppIneligible    ApplicationStatus = "ineligible"
	AppPendingReview ApplicationStatus = "pending_review"
	AppApproved      ApplicationStatus = "approved"
	AppRejected      ApplicationStatus = "rejected"
)

// TakesSeat reports whether an application in status s counts against the batch's capacity.
func (s ApplicationStatus) TakesSeat() bool {
	return s == AppEligible || s == AppPendingReview || s == AppApproved
}

// Admitted reports whether an application in status s sits the exam and is scored.
func (s ApplicationStatus) Admitted() bool { return s == AppEligible || s == AppApproved }

// reevaluable reports whether a change of the candidate's data re-decides an application in status s;
// a reviewer's approval or rejection stands.
func (s ApplicationStatus) reevaluable() bool {
	return s == AppEligible || s == AppIneligible || s == AppPendingReview
}

// Result of an application's assessment.
type Result string

// Results; ResultNone while scores are incomplete. ResultAbsent is read, never stored: an application
// absent (缺考) from a method it must take — seated in a session of it that ended without a check-in
// (see Attendance) — reads "absent" and is stored as a fail, so it can never pass.
const (
	ResultNone   Result = ""
	ResultPass   Result = "pass"
	ResultFail   Result = "fail"
	ResultAbsent Result = "absent"
)

// Application is a candidate's application to a batch.
type Application struct {
	ID              uuid.UUID
	TenantID        uuid.UUID
	BatchID         uuid.UUID
	CandidateID     uuid.UUID
	CandidateUserID *uuid.UUID
	CandidateName   string // snapshot of the candidate's name, exactly as given
	IDType          string
	IDNumber        string
	Status          ApplicationStatus
	Route           eligibility.Route
	EvidenceFileIDs []string
	Decision        eligibility.Decision // the full decision: rule set, every clause, ZH/EN reasons
	FeeFen          int64
	PaidAt          *time.Time
	PaidBy          *uuid.UUID
	ReviewDecision  string
	ReviewReason    string
	ReviewedBy      *uuid.UUID
	ReviewedAt      *time.Time
	Scores          map[Method]float64
	Result          Result
	Held            bool // an objection holds it (open, or upheld); finalize leaves it out
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// NewApplication is the input to apply a candidate to a batch. Route and evidence are for direct
// recognition and fast-track, which always go to manual review.
type NewApplication struct {
	CandidateID     uuid.UUID
	Route           eligibility.Route
	EvidenceFileIDs []string
}

// Review decisions on a pending_review application.
const (
	ReviewApprove = "approve"
	ReviewReject  = "reject"
)

// ComputeResult decides pass or fail from scores: every method the application must take (the batch's
// methods, less theory when the eligibility decision exempts it) needs a score at or above its pass
// mark. While a required score is missing the result is ResultNone; when final is set (results are being
// published) a missing score counts as absent (缺考) and fails.
func ComputeResult(b Batch, theoryExempt bool, scores map[Method]float64, final bool) Result {
	complete := true
	for _, m := range b.Methods {
		if m == MethodTheory && theoryExempt {
			continue
		}
		s, ok := scores[m]
		if !ok {
			complete = false
			continue
		}
		if s < b.PassMarks[m] {
			return ResultFail
		}
	}
	if !complete {
		if final {
			return ResultFail
		}
		return ResultNone
	}
	return ResultPass
}

// ObjectionStatus is where an objection stands.
type ObjectionStatus string

// Objection statuses and resolution outcomes.
const (
	ObjectionOpen      ObjectionStatus = "open"
	ObjectionUpheld    ObjectionStatus = "upheld"    // founded: the application stays held, out of finalize
	ObjectionDismissed ObjectionStatus = "dismissed" // unfounded: the hold is released
)

// Objection is a member of the public's objection to a published result (异议).
type Objection struct {
	ID            uuid.UUID
	TenantID      uuid.UUID
	BatchID       uuid.UUID
	ApplicationID uuid.UUID
	Reason        string
	Contact       string
	Status        ObjectionStatus
	Note          string
	CreatedAt     time.Time
	ResolvedAt    *time.Time
	ResolvedBy    *uuid.UUID
}

// NewObjection is a public objection. It names the application either by id or by the masked name and
// masked id number shown in the public results.
type NewObjection struct {
	ApplicationID  uuid.UUID
	MaskedName     string
	MaskedIDNumber string
	Reason         string
	Contact        string
}

// Assignments are a batch's evaluators (per method), supervisors and recusals.
type Assignments struct {
	Evaluators  []EvaluatorAssignment
	Supervisors []SupervisorAssignment
	Recusals    []Recusal
}

// EvaluatorAssignment is one evaluator (考评员) assigned to a method of a batch.
type EvaluatorAssignment struct {
	UserID     uuid.UUID
	Method     Method
	AssignedAt time.Time
}

// SupervisorAssignment is an internal quality supervisor (内部质量督导员) of a batch.
type SupervisorAssignment struct {
	UserID     uuid.UUID
	AssignedAt time.Time
}

// Recusal is an evaluator's declared relation to a candidate (回避): the evaluator may not score them.
type Recusal struct {
	ID          uuid.UUID
	BatchID     uuid.UUID
	EvaluatorID uuid.UUID
	CandidateID uuid.UUID
	Relation    string
	DeclaredBy  *uuid.UUID
	CreatedAt   time.Time
}

// FinalizeHook is told, inside finalize's transaction, which applications passed; certificate issuance
// implements it (the server wires it in through Deps.Finalize). An error rolls the finalization back.
type FinalizeHook interface {
	OnFinalized(ctx context.Context, tx bun.Tx, b FinalizedBatch) error
}

// FinalizeHookFunc adapts a function to FinalizeHook.
type FinalizeHookFunc func(ctx context.Context, tx bun.Tx, b FinalizedBatch) error

// OnFinalized calls f.
func (f FinalizeHookFunc) OnFinalized(ctx context.Context, tx bun.Tx, b FinalizedBatch) error {
	return f(ctx, tx, b)
}

// FinalizedBatch is what a finalized batch hands to issuance.
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

// PassedApplication is one passed, unheld application of a finalized batch.
type PassedApplication struct {
	ApplicationID uuid.UUID
	CandidateID   uuid.UUID
	HolderName    string
	IDType        string
	IDNumber      string
}

// Permissions of batches, as routes, the console and policies/roles/*.csv name them.
const (
	PermBatchCreate         = "batch:create"
	PermBatchList           = "batch:list"
	PermBatchRead           = "batch:read"
	PermBatchPublish        = "batch:publish"
	PermBatchClose          = "batch:close"
	PermBatchCancel         = "batch:cancel"
	PermBatchResultsPublish = "batch:results_publish"
	PermBatchFinalize       = "batch:finalize"
	PermBatchAssign         = "batch:assign"
	PermRecusalCreate       = "recusal:create"
	PermApplicationCreate   = "application:create"
	PermApplicationList     = "application:list"
	PermApplicationListOwn  = "application:list_own"
	PermApplicationRead     = "application:read"
	PermApplicationReview   = "application:review"
	PermApplicationMarkPaid = "application:mark_paid"
	PermScoreWrite          = "score:write"
	PermObjectionList       = "objection:list"
	PermObjectionResolve    = "objection:resolve"
	PermCalendarWrite       = "calendar:write"
	// Supervision records (逢考必督, supervision.go): the supervisor writes their own; the institution reads.
	PermSupervisionRead  = "supervision:read"
	PermSupervisionWrite = "supervision:write"
)

// Sort keys of the batches' lists.
const (
	SortCreatedAt     = "created_at"     // batches, applications, public results, objections
	SortExamStart     = "exam_start"     // batches, announcements
	SortApplicationID = "application_id" // passes
)

// BatchFilter narrows a batch list.
type BatchFilter struct {
	Status Status // "" for any
}

// Validate checks the filter (400 invalid_filter for an unknown status).
func (f BatchFilter) Validate() error {
	if f.Status != "" && !f.Status.Valid() {
		return platform.E(platform.KindInvalid, "invalid_filter", "status must be a batch status")
	}
	return nil
}

// ApplicationFilter narrows an application list.
type ApplicationFilter struct {
	Status ApplicationStatus // "" for any
	// Search narrows to a name containing it or, exactly, an ID number ("" for any).
	Search string
}

// Validate checks the filter (400 invalid_filter for an unknown status).
func (f ApplicationFilter) Validate() error {
	if utf8.RuneCountInString(f.Search) > maxSearchLen {
		return platform.E(platform.KindInvalid, "invalid_filter", fmt.Sprintf("q is at most %d characters", maxSearchLen))
	}
	switch f.Status {
	case "", AppEligible, AppIneligible, AppPendingReview, AppApproved, AppRejected:
		return nil
	}
	return platform.E(platform.KindInvalid, "invalid_filter", "status must be an application status")
}

// ParseInstant reads an instant of a batch's schedule: an RFC 3339 time, or a date — the start of that
// day in China time, or with end set its last second (a deadline "2026-12-01" runs to 23:59:59). A
// malformed value records an invalid_time error for field in v (so several fields are reported
// together) and gives the zero time, as does an empty one.
func ParseInstant(v *platform.Validation, field, s string, end bool) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if d, err := time.ParseInLocation(dateLayout, s, ChinaTime); err == nil {
		if end {
			d = d.AddDate(0, 0, 1).Add(-time.Second)
		}
		return d.UTC()
	}
	v.Add(field, "invalid_time", "an RFC 3339 time or a YYYY-MM-DD date is expected")
	return time.Time{}
}

// Errors of batches, with stable codes.
var (
	ErrBatchNotFound       = platform.NotFound("batch")
	ErrBatchArchived       = platform.Conflict("archived", "the batch is archived (考务档案); its records can no longer change")
	ErrApplicationNotFound = platform.NotFound("application")
	ErrObjectionNotFound   = platform.NotFound("objection")
	ErrDuplicate           = platform.Conflict("duplicate", "the candidate has already applied to this batch")
	ErrDeadlinePassed      = platform.Unprocessable("deadline_passed", "the application deadline has passed")
	ErrCapacityFull        = platform.Unprocessable("capacity_full", "the batch has no places left")
	ErrScoresLocked        = platform.Conflict("scores_locked", "results are published; scores are locked")
	ErrAbsent              = platform.Unprocessable("absent", "the candidate was absent (缺考) from this method: it takes no score")
	ErrSupervisorRequired  = platform.Unprocessable("supervisor_required",
		"every exam is supervised (逢考必督): assign an internal quality supervisor first")
	ErrPublicityNotOver = platform.Unprocessable("publicity_not_over", "the publicity period is not over")
	ErrPublicityOver    = platform.Unprocessable("publicity_over", "the publicity period is over; objections are closed")
	ErrNotAssigned      = platform.E(platform.KindForbidden, "not_assigned",
		"only an evaluator assigned to this batch and method may score")
	ErrRecused = platform.E(platform.KindForbidden, "recused",
		"the evaluator declared a relation to this candidate (回避) and may not score them")
	ErrCalendarPlatformOnly = platform.Forbidden("the calendar is kept by the platform administrator")

	// Lists that run one way only refuse the other (400 invalid_sort).
	ErrAnnouncementOrder = platform.E(platform.KindInvalid, "invalid_sort", "announcements are listed by exam start, soonest first")
	ErrResultOrder       = platform.E(platform.KindInvalid, "invalid_sort", "results are listed in application order")
	ErrObjectionOrder    = platform.E(platform.KindInvalid, "invalid_sort", "objections are listed oldest first")
)

// invalidState is the 409 of a transition or action from the wrong status.
func invalidState(s Status, action string) error {
	return platform.Conflict("invalid_state", fmt.Sprintf("the batch is %s: cannot %s", s, action))
}
