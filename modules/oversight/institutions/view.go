package institutions

import (
	"time"

	"github.com/google/uuid"
)

// BatchRecord is a batch as a regulator sees it.
type BatchRecord struct {
	ID                  uuid.UUID  `json:"id"`
	Title               string     `json:"title"`
	OccupationCode      string     `json:"occupation_code"`
	Level               int        `json:"level"`
	Status              string     `json:"status"`
	ExamStart           *time.Time `json:"exam_start,omitempty"`
	ApplicationDeadline *time.Time `json:"application_deadline,omitempty"`
	Venue               string     `json:"venue,omitempty"`
	FeeFen              int64      `json:"fee_fen"`
	Capacity            int        `json:"capacity"`
	CreatedAt           time.Time  `json:"created_at"`
}

// CertificateRecord is a certificate as a regulator sees it (the holder's name in full: the regulator
// is entitled to it; the id number is not listed).
type CertificateRecord struct {
	ID             uuid.UUID  `json:"id"`
	Number         string     `json:"number"`
	Status         string     `json:"status"`
	HolderName     string     `json:"holder_name"`
	OccupationCode string     `json:"occupation_code"`
	Level          int        `json:"level"`
	IssuedOn       *time.Time `json:"issued_on,omitempty"`
	BatchID        *uuid.UUID `json:"batch_id,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}
