package httpx

import "github.com/skillcert/skillcert/modules/platform"

// TRANSITION (issue 10): these names forward to platform's page types while modules move over to
// them; the file is deleted once nothing uses it.

// ListParams is platform.PageRequest.
type ListParams = platform.PageRequest

// Page is platform.Page.
type Page[T any] = platform.Page[T]

// ErrBadCursor is platform.ErrBadCursor.
var ErrBadCursor = platform.ErrBadCursor

// EncodeCursor is platform.EncodeCursor.
func EncodeCursor(values ...any) string { return platform.EncodeCursor(values...) }

// DecodeCursor is platform.DecodeCursor.
func DecodeCursor(cursor string, dst ...any) (bool, error) {
	return platform.DecodeCursor(cursor, dst...)
}
