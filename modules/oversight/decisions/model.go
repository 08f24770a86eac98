// Package decisions is what a regulator decides about an institution in its jurisdiction — suspend,
// reinstate, invalidate a certificate, order rectification — applied by the system in the same
// transaction, copied to the institution (which states its case and asks for review), reported, and
// audited on both sides.
package decisions

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

// ErrDecisionNotFound is the 404 of a decision the caller may not see.
var ErrDecisionNotFound = platform.NotFound("decision")

// Kind is what a regulator decides about an institution.
type Kind string

// Decision kinds (DOMAIN.md step 7: sanctions by severity).
const (
	KindSuspend               Kind = "suspend"
	KindReinstate             Kind = "reinstate"
	KindInvalidateCertificate Kind = "invalidate_certificate"
	KindRectify               Kind = "rectify"
)

// Input is a regulator's decision as submitted.
type Input struct {
	InstitutionID     uuid.UUID
	Kind              Kind
	CertificateNumber string
	Facts             string
	Reason            string
	Deadline          *time.Time // rectify: required
}

// Validate checks a decision's fields.
func (in *Input) Validate(today time.Time) error {
	in.CertificateNumber = strings.ToUpper(strings.TrimSpace(in.CertificateNumber))
	in.Reason = strings.TrimSpace(in.Reason)
	in.Facts = strings.TrimSpace(in.Facts)
	var v platform.Validation
	v.Check(in.InstitutionID != uuid.Nil, "institution_id", "required", "institution_id is required")
	switch in.Kind {
	case KindSuspend, KindReinstate:
	case KindInvalidateCertificate:
		v.Check(in.CertificateNumber != "", "certificate_number", "required", "the certificate to invalidate is required")
	case KindRectify:
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

// Filter narrows the regulator's decision listing.
type Filter struct {
	InstitutionID   uuid.UUID
	Kind            string
	ReviewRequested bool // only decisions whose review was asked for and is not decided yet
}

// Answer is an institution's statement (陈述申辩) or review request (复核) on a decision.
type Answer string

// Answers.
const (
	AnswerStatement     Answer = "statement"
	AnswerReviewRequest Answer = "review_request"
)
