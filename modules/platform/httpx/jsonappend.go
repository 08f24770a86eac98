package httpx

import (
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

// The Append* functions write JSON values the way the app's encoder (goccy/go-json, which follows
// encoding/json in all but a float's exponent) writes them, byte for byte, into a caller's buffer and without allocating. They serve
// views that implement JSONAppender for the hottest lists: a page of 50 applications spent a fifth of
// its Go time in reflection-driven encoding, mostly in the allocations of uuid.UUID.MarshalText and
// time.Time.MarshalJSON. Each appender has a test holding it equal to the encoder's output.

// JSONAppender is a view that appends its own JSON encoding to b.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

// AppendString appends s as a JSON string: HTML-safe (<, >, & as \u003c…), U+2028 and U+2029
// escaped, invalid UTF-8 replaced by U+FFFD — as encoding/json does.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other control characters, and <, >, &
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendUUID appends u as a JSON string in its canonical lower-case form.
func AppendUUID(b []byte, u uuid.UUID) []byte {
	b = append(b, '"')
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&0xF])
	}
	return append(b, '"')
}

// AppendTime appends t as a JSON string in RFC 3339 with nanoseconds, as time.Time.MarshalJSON does.
// A time MarshalJSON refuses (a year outside 0–9999) is written as null.
func AppendTime(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// AppendFloat appends f as the encoder formats a float64: the shortest representation, in exponent form
// below 1e-6 and from 1e21 (with a two-digit exponent, 1e-07, where encoding/json writes 1e-7). NaN and
// infinities, which JSON cannot carry, are written as null.
func AppendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

// AppendBool appends true or false.
func AppendBool(b []byte, v bool) []byte {
	return strconv.AppendBool(b, v)
}

// AppendStrings appends ss as a JSON array of strings; nil as null, like the encoder.
func AppendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}

// JSONList sends items and next as the app's encoder sends a Page (items, next_cursor), appendItem
// writing each item's JSON; items is an array even when nil. Handlers build each item's view as they
// write it, so a page of large views is never held as a slice.
func JSONList[T any](c *fiber.Ctx, items []T, next string, appendItem func(b []byte, item *T) []byte) error {
	bp := pageBuffers.Get().(*[]byte)
	b := append((*bp)[:0], `{"items":[`...)
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendItem(b, &items[i])
	}
	b = append(b, `],"next_cursor":`...)
	b = AppendString(b, next)
	b = append(b, '}')
	send(c, bp, b)
	return nil
}

// JSON sends v as the app's encoder would, v encoding itself.
func JSON(c *fiber.Ctx, v JSONAppender) error {
	bp := pageBuffers.Get().(*[]byte)
	b := v.AppendJSON((*bp)[:0])
	send(c, bp, b)
	return nil
}

// send copies b into the response's own pooled body buffer and returns b's storage to the pool.
func send(c *fiber.Ctx, bp *[]byte, b []byte) {
	c.Response().SetBody(b)
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	if cap(b) <= maxPooledBuffer {
		*bp = b
		pageBuffers.Put(bp)
	}
}

const maxPooledBuffer = 1 << 20

var pageBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes a JSON string holds as they are: printable, and not ", \, <, > or &.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
