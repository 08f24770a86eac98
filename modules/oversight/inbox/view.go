package inbox

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Report is one record an institution reported, as a regulator received it: an immutable copy,
// linked into the regulator's hash chain. Payload is in canonical form (sorted keys).
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
