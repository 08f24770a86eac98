package platform

import (
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// UUIDDest and NullUUIDDest are pgx scan destinations that copy a binary uuid column straight into a
// uuid.UUID. Given a *uuid.UUID, pgx goes through its sql.Scanner: the 16 bytes are formatted as text
// and parsed back, a visible cost on a page of 50 rows with six uuid columns each.
type UUIDDest struct{ P *uuid.UUID }

// ScanUUID implements pgtype.UUIDScanner.
func (d UUIDDest) ScanUUID(v pgtype.UUID) error {
	if !v.Valid {
		return errors.New("platform: NULL in a non-null uuid column")
	}
	*d.P = v.Bytes
	return nil
}

// NullUUIDDest is UUIDDest for a nullable column: NULL leaves *P nil.
type NullUUIDDest struct{ P **uuid.UUID }

// ScanUUID implements pgtype.UUIDScanner.
func (d NullUUIDDest) ScanUUID(v pgtype.UUID) error {
	if !v.Valid {
		*d.P = nil
		return nil
	}
	u := uuid.UUID(v.Bytes)
	*d.P = &u
	return nil
}
