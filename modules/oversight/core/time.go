package core

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
)

// CST is China Standard Time (no daylight saving): report days and months are Beijing days.
var CST = time.FixedZone("CST", 8*3600)

// DayOf is t's Beijing calendar day as a UTC midnight (how dates are stored).
func DayOf(t time.Time) time.Time {
	y, m, d := t.In(CST).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// UTCPtr is t in UTC, nil for nil.
func UTCPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// TimeKey is a keyset position in a list ordered by (time, id): the last row of the previous page.
type TimeKey struct {
	At time.Time
	ID uuid.UUID
}

// DecodeTimeKey reads the TimeKey of a list's cursor (the zero key for none, platform.ErrBadCursor
// for a cursor not made by TimeCursor).
func DecodeTimeKey(cursor string) (TimeKey, error) {
	var k TimeKey
	_, err := platform.DecodeCursor(cursor, &k.At, &k.ID)
	return k, err
}

// IsZero reports whether the key is the start of the list.
func (k TimeKey) IsZero() bool { return k.ID == uuid.Nil }

// TimeCursor is the cursor after the row at (at, id).
func TimeCursor(at time.Time, id uuid.UUID) string { return platform.EncodeCursor(at, id) }

// Keyset is a list's order by (Column, id): oldest first, or newest first when Desc.
type Keyset struct {
	Column string
	Desc   bool
}

// Page narrows q to the rows after the position after in this order, orders q so and takes limit rows.
func (k Keyset) Page(q *bun.SelectQuery, after TimeKey, limit int) *bun.SelectQuery {
	cmp, dir := ">", "ASC"
	if k.Desc {
		cmp, dir = "<", "DESC"
	}
	if !after.IsZero() {
		q = q.Where("(?, id) "+cmp+" (?, ?)", bun.Ident(k.Column), after.At, after.ID)
	}
	return q.OrderExpr("? "+dir+", id "+dir, bun.Ident(k.Column)).Limit(int64(limit))
}
