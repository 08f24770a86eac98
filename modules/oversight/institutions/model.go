// Package institutions is the regulator's read-only view of the institutions in its jurisdiction:
// the register, their audit logs, batches and certificates; and Records, the one place that reads the
// lifecycle modules' tables for oversight (batches, certificates, applications, batch supervisors),
// inside the regulator's oversight transaction. Those reads are pinned column by column by
// modules/oversight/schema_pin_test.go.
package institutions

import (
	"time"

	"github.com/google/uuid"
)

// RecordFilter narrows a listing of an institution's batches or certificates.
type RecordFilter struct {
	Status  string
	BatchID uuid.UUID // certificates of one batch
	ID      uuid.UUID // one certificate
}

// Holding is one certificate an institution holds, for reconciliation.
type Holding struct {
	InstitutionID uuid.UUID
	Number        string
	Status        string
	IssuedOn      time.Time // the Beijing day of issue
}

// ApplicationFact is an application as the repeat-testing check needs it.
type ApplicationFact struct {
	InstitutionID  uuid.UUID
	ApplicationID  uuid.UUID
	IDType         string
	IDNumber       string
	OccupationCode string
	Level          int
	Status         string
	CreatedAt      time.Time
}
