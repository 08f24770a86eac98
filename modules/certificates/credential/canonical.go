package credential

import (
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// errMalformedJSON reports input that is not strict, valid UTF-8 JSON.
var errMalformedJSON = errors.New("not valid UTF-8 JSON")

// Canonicalize returns the RFC 8785 (JCS) canonical form of a JSON text.
//
// The JCS library is lenient with some invalid input (it accepts "1 2" as a number, for one) and passes
// invalid UTF-8 through, so the text is first checked to be strict RFC 8259 JSON in valid UTF-8: a
// signature must never cover bytes two parsers could read differently. Duplicate object keys are
// refused by the JCS library.
func Canonicalize(data []byte) ([]byte, error) {
	if !utf8.Valid(data) || !json.Valid(data) {
		return nil, errMalformedJSON
	}
	out, err := jcs.Transform(data)
	if err != nil {
		return nil, errors.Join(errMalformedJSON, err)
	}
	return out, nil
}
