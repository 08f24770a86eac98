package delivery

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

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

// ReplayResponse is the answer to a replay: how many reports were queued again.
type ReplayResponse struct {
	Queued int `json:"queued"`
}

// Delivery is the JSON body POSTed to a regulator's external system for each report.
type Delivery struct {
	ID                uuid.UUID       `json:"id"`
	RegulatorID       uuid.UUID       `json:"regulator_id"`
	Seq               int64           `json:"seq"`
	Kind              string          `json:"kind"`
	InstitutionID     uuid.UUID       `json:"institution_id"`
	InstitutionRegion string          `json:"institution_region"`
	SubjectType       string          `json:"subject_type"`
	SubjectID         string          `json:"subject_id"`
	ReportedAt        time.Time       `json:"reported_at"`
	ReceivedAt        time.Time       `json:"received_at"`
	PrevHash          string          `json:"prev_hash"`
	Hash              string          `json:"hash"`
	Payload           json.RawMessage `json:"payload"`
}
