package platform

import (
	"encoding/base64"
	"encoding/json"
)

// List limits of API.md.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// PageRequest asks a service for one page of a list: how many items, after which cursor, in which
// order. Services and stores take it as it is; the JSON API and the console both fill it from
// `?limit=&cursor=&sort=`.
type PageRequest struct {
	Limit  int    // 1..MaxLimit; 0 means DefaultLimit
	Cursor string // opaque, from the NextCursor of the previous page; decode with DecodeCursor
	Sort   string // a key from the resource's allow-list, without the leading '-'
	Desc   bool   // sort descending ('-key')
}

// Size is the number of items the page holds: Limit, or DefaultLimit when unset.
func (r PageRequest) Size() int {
	if r.Limit <= 0 {
		return DefaultLimit
	}
	return r.Limit
}

// Fetch is the number of rows a store reads for the page: one more than its size, so the service
// knows whether another page follows without counting.
func (r PageRequest) Fetch() int { return r.Size() + 1 }

// Page is one page of a list: the items, and the cursor of the next page ("" on the last page).
// It is also the list envelope of API.md.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// CutPage makes a page of rows read with PageRequest.Fetch: when there is one row more than the
// page holds, the extra row is dropped and the cursor of the last kept row becomes NextCursor. Items
// is never nil, so an empty page encodes as [].
func CutPage[T any](rows []T, r PageRequest, cursor func(T) string) Page[T] {
	size := r.Size()
	p := Page[T]{Items: rows}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(rows) > size {
		p.Items = rows[:size]
		p.NextCursor = cursor(rows[size-1])
	}
	return p
}

// MapPage converts the items of a page, keeping its cursor (domain values to view models).
func MapPage[T, U any](p Page[T], f func(T) U) Page[U] {
	out := Page[U]{Items: make([]U, len(p.Items)), NextCursor: p.NextCursor}
	for i, it := range p.Items {
		out.Items[i] = f(it)
	}
	return out
}

// ErrBadCursor is the 400 for a cursor that was not made by EncodeCursor for this list.
var ErrBadCursor = &Error{Kind: KindInvalid, Code: "invalid_cursor", Message: "cursor is not valid for this list",
	Fields: []FieldError{{Field: "cursor", Code: "invalid", Message: "use next_cursor of the previous page"}}}

// EncodeCursor makes the opaque cursor for keyset pagination from the last row's sort values.
func EncodeCursor(values ...any) string {
	b, _ := json.Marshal(values)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into dst pointers; an empty cursor leaves dst alone
// and returns false. Anything else that does not decode into exactly len(dst) values is ErrBadCursor,
// and so is a cursor that is not exactly what EncodeCursor makes of the values it decodes to (other
// JSON spellings, null, stray base64 bits): one position has one cursor.
func DecodeCursor(cursor string, dst ...any) (bool, error) {
	if cursor == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return false, ErrBadCursor
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != len(dst) {
		return false, ErrBadCursor
	}
	for i := range dst {
		if err := json.Unmarshal(raw[i], dst[i]); err != nil {
			return false, ErrBadCursor
		}
	}
	if EncodeCursor(dst...) != cursor {
		return false, ErrBadCursor
	}
	return true, nil
}
