package supervision

import (
	"time"

	"github.com/google/uuid"
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

// SamplingMember is one member of a population drawn from, with its draw key.
type SamplingMember struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
	Key  string    `json:"key"` // hex HMAC-SHA256(seed, "<kind>:<id>"), or the weighted key: members are drawn in key order
	// Weight and Signals: a risk-weighted draw's weight of the institution and the signals behind it.
	Weight  float64      `json:"weight,omitempty"`
	Signals []RiskSignal `json:"signals,omitempty"`
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
	ID            uuid.UUID `json:"id"`
	RegulatorID   uuid.UUID `json:"regulator_id"`
	RegulatorName string    `json:"regulator_name,omitempty"`
	Seed          string    `json:"seed"`
	Method        string    `json:"method"` // random or risk_weighted
	Algorithm     string    `json:"algorithm"`
	// Parameters: a risk-weighted draw's floor, maximum weight and rules (nil for a random draw).
	Parameters            *RiskParameters      `json:"parameters,omitempty"`
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

// Reproduction is a recorded draw repeated from its recorded seed, method, parameters and
// population, side by side with what was recorded.
type Reproduction struct {
	SamplingID uuid.UUID        `json:"sampling_id"`
	Seed       string           `json:"seed"`
	Method     string           `json:"method"`
	Algorithm  string           `json:"algorithm"`
	Identical  bool             `json:"identical"` // the same members drawn, in the same order, with the same keys
	Recorded   []SamplingMember `json:"recorded"`
	Recomputed []SamplingMember `json:"recomputed"`
	Inspectors bool             `json:"inspectors_identical"`
}
