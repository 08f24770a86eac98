package crosscheck

import (
	"time"

	"github.com/google/uuid"
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
