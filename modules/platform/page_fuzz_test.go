package platform_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

// FuzzDecodeCursor feeds ?cursor= values (anything a client sends) to DecodeCursor in the shapes the
// lists use. A cursor either fails with ErrBadCursor, or decodes — and then it is exactly the cursor
// EncodeCursor makes of the values it decoded to: one position has one cursor, and nothing a client
// crafts (other JSON spellings, padding or stray bits of base64, null) passes as another.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(platform.EncodeCursor(time.Date(2026, 6, 1, 8, 0, 0, 123456000, time.UTC), "alice", uuid.MustParse("0190a3a0-0000-7000-8000-000000000001")))
	f.Fuzz(func(t *testing.T, cur string) {
		var (
			at    time.Time
			name  string
			id    uuid.UUID
			off   int
			after string
		)
		shapes := []struct {
			dst    []any
			values func() []any
		}{
			{[]any{&at, &name, &id}, func() []any { return []any{at, name, id} }},
			{[]any{&at, &id}, func() []any { return []any{at, id} }},
			{[]any{&off}, func() []any { return []any{off} }},
			{[]any{&after}, func() []any { return []any{after} }},
		}
		for _, s := range shapes {
			ok, err := platform.DecodeCursor(cur, s.dst...)
			switch {
			case err != nil:
				if !errors.Is(err, platform.ErrBadCursor) || ok {
					t.Fatalf("DecodeCursor(%q) = %v, %v", cur, ok, err)
				}
			case ok != (cur != ""):
				t.Fatalf("DecodeCursor(%q) reports %v", cur, ok)
			case ok:
				if again := platform.EncodeCursor(s.values()...); again != cur {
					t.Fatalf("%q decodes to %v, which encodes as %q", cur, s.values(), again)
				}
			}
		}
	})
}
