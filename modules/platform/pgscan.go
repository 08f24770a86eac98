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

// Interner holds the few values a text column takes (a status, a kind) so that scanning shares one
// string per value instead of allocating one per row: a page of 50 applications has five such columns.
type Interner map[string]string

// NewInterner returns an Interner of values.
func NewInterner(values ...string) Interner {
	in := make(Interner, len(values))
	for _, v := range values {
		in[v] = v
	}
	return in
}

// Dest returns a pgx scan destination for a non-null text column into *p: a known value is shared, any
// other copied.
func (in Interner) Dest(p *string) InternDest { return InternDest{in: in, p: p} }

// InternDest is a scan destination made by Interner.Dest.
type InternDest struct {
	in Interner
	p  *string
}

// ScanBytes implements pgtype.BytesScanner; src is pgx's read buffer, valid only during the call.
func (d InternDest) ScanBytes(src []byte) error {
	if src == nil {
		return errors.New("platform: NULL in a non-null text column")
	}
	if v, ok := d.in[string(src)]; ok { // the conversion in a map index does not allocate
		*d.p = v
		return nil
	}
	*d.p = string(src)
	return nil
}
