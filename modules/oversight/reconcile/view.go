package reconcile

import (
	"time"

	"github.com/google/uuid"
)

// Diff is a day of an institution whose holdings differ from what was reported.
type Diff struct {
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

// Result summarises one reconciliation run.
type Result struct {
	ID           uuid.UUID `json:"id"`
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
	Institutions int       `json:"institutions"`
	Days         int       `json:"days"`
	Differences  int       `json:"differences"`
}

// Page is a page of differences with the latest reconciliation run.
type Page struct {
	Items      []Diff  `json:"items"`
	NextCursor string  `json:"next_cursor"`
	LastRun    *Result `json:"last_run"`
}
