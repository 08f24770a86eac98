package decisions

import (
	"time"

	"github.com/google/uuid"
)

// Decision is a regulator's decision with the institution's answer, as the regulator sees it.
type Decision struct {
	ID                 uuid.UUID  `json:"id"`
	RegulatorID        uuid.UUID  `json:"regulator_id"`
	RegulatorName      string     `json:"regulator_name,omitempty"`
	InstitutionID      uuid.UUID  `json:"institution_id"`
	Kind               Kind       `json:"kind"`
	CertificateNumber  string     `json:"certificate_number,omitempty"`
	Facts              string     `json:"facts"`
	Reason             string     `json:"reason"`
	Deadline           *time.Time `json:"deadline,omitempty"`
	DecidedAt          time.Time  `json:"decided_at"`
	DecidedBy          string     `json:"decided_by,omitempty"`
	Statement          string     `json:"statement,omitempty"`
	StatementAt        *time.Time `json:"statement_at,omitempty"`
	ReviewReason       string     `json:"review_reason,omitempty"`
	ReviewRequestedAt  *time.Time `json:"review_requested_at,omitempty"`
	ReviewOutcome      string     `json:"review_outcome,omitempty"`
	ReviewNote         string     `json:"review_note,omitempty"`
	ReviewedAt         *time.Time `json:"reviewed_at,omitempty"`
	InstitutionStatus  string     `json:"institution_status,omitempty"`
	AppliedDescription string     `json:"applied,omitempty"`
}

// decisionReport is what a decision report carries to the regulators (the decider included) and
// their external systems.
type decisionReport struct {
	Event             string     `json:"event"` // "decided" or "reviewed"
	ID                uuid.UUID  `json:"id"`
	RegulatorID       uuid.UUID  `json:"regulator_id"`
	RegulatorName     string     `json:"regulator_name"`
	InstitutionID     uuid.UUID  `json:"institution_id"`
	Kind              string     `json:"kind"`
	CertificateNumber string     `json:"certificate_number,omitempty"`
	Facts             string     `json:"facts,omitempty"`
	Reason            string     `json:"reason"`
	Deadline          string     `json:"deadline,omitempty"`
	DecidedAt         time.Time  `json:"decided_at"`
	ReviewOutcome     string     `json:"review_outcome,omitempty"`
	ReviewedAt        *time.Time `json:"reviewed_at,omitempty"`
}
