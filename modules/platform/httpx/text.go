package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/skillcert/skillcert/modules/platform"
)

// Codes of the text refusals: the problem's code, and each field's.
const (
	CodeInvalidCharacter = "invalid_character" // the problem
	CodeNUL              = "nul_character"     // a field holds U+0000
	CodeInvalidUTF8      = "invalid_utf8"      // a field is not UTF-8
)

// maxTextFields bounds how many offending fields one refusal lists.
const maxTextFields = 10

// TextRules refuses, once for every route, text that PostgreSQL cannot store: the character U+0000
// (NUL) anywhere a handler could read a string from, and bytes that are not UTF-8 where no decoder
// would repair them. Without it each string reaching the database is a 500 (text cannot hold NUL;
// bun writes an error marker into the SQL; invalid UTF-8 is SQLSTATE 22021).
//
//   - the path (as sent, which route parameters are cut from, and decoded) and query parameters,
//     names and values, raw or percent-encoded (%00): 400 invalid_character naming the parameter;
//   - urlencoded form fields and multipart text fields (names, values and file names, not file
//     contents): 422 invalid_character naming the field;
//   - any other body except declared binary media types (images, PDF, ZIP, …) is JSON to us: the
//     escape \u0000 in any string, keys included, is 422 invalid_character with the JSON path of each
//     field (`name`, `items[2].note`), and a raw NUL byte — never valid JSON — is 400. Invalid UTF-8
//     in JSON is left alone: encoding/json decodes it as U+FFFD, which the database stores fine.
//
// Field errors carry code nul_character or invalid_utf8. The common case costs a scan of the bytes
// and no allocation: arguments are only decoded when the raw text holds a '%', a NUL or a non-UTF-8
// byte, and a JSON body is only parsed when it holds the escape.
func TextRules() fiber.Handler {
	return func(c *fiber.Ctx) error {
		req := c.Request()
		if bytes.IndexByte(req.Header.RequestURI(), 0) >= 0 { // fasthttp would drop the whole URI
			return paramProblem([]platform.FieldError{textField("uri", CodeNUL)})
		}
		uri := req.URI()
		// Both spellings of the path: route parameters are cut from the raw one (fiber does not
		// unescape them), a handler may unescape them itself.
		code := badText(uri.PathOriginal())
		if code == "" {
			code = badText(uri.Path())
		}
		if code != "" {
			return paramProblem([]platform.FieldError{textField("path", code)})
		}
		if raw := uri.QueryString(); len(raw) > 0 && needsDecoding(raw) {
			if fields := argsProblems(uri.QueryArgs()); fields != nil {
				return paramProblem(fields)
			}
		}
		if body := req.Body(); len(body) > 0 {
			if err := checkBody(req, body); err != nil {
				return err
			}
		}
		return c.Next()
	}
}

// bodyKind is how TextRules reads a body.
type bodyKind int

const (
	bodyJSON bodyKind = iota
	bodyForm
	bodyMultipart
	bodyBinary
)

// kindOf classifies a request body by its media type. Anything not declared form, multipart or
// binary is read as JSON, because that is what Bind decodes it as.
func kindOf(contentType []byte) bodyKind {
	mt := contentType
	if i := bytes.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = bytes.TrimSpace(mt)
	if len(mt) == 0 || string(mt) == fiber.MIMEApplicationJSON { // the common cases first
		return bodyJSON
	}
	switch {
	case bytes.EqualFold(mt, []byte(fiber.MIMEApplicationForm)):
		return bodyForm
	case bytes.EqualFold(mt, []byte(fiber.MIMEMultipartForm)):
		return bodyMultipart
	case hasPrefixFold(mt, "image/"), hasPrefixFold(mt, "audio/"), hasPrefixFold(mt, "video/"),
		hasPrefixFold(mt, "font/"), hasPrefixFold(mt, "application/vnd."),
		bytes.EqualFold(mt, []byte("application/octet-stream")), bytes.EqualFold(mt, []byte("application/pdf")),
		bytes.EqualFold(mt, []byte("application/zip")), bytes.EqualFold(mt, []byte("application/x-zip-compressed")),
		bytes.EqualFold(mt, []byte("application/gzip")):
		return bodyBinary
	}
	return bodyJSON
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

func checkBody(req *fasthttp.Request, body []byte) error {
	switch kindOf(req.Header.ContentType()) {
	case bodyForm:
		if needsDecoding(body) {
			if fields := argsProblems(req.PostArgs()); fields != nil {
				return fieldProblem(fields)
			}
		}
	case bodyMultipart:
		// Parsed once here; fasthttp keeps the form for the handler's FormFile/MultipartForm. A body
		// that does not parse is left to the handler, which answers for it as it always has.
		form, err := req.MultipartForm()
		if err != nil {
			return nil
		}
		var fields []platform.FieldError
		for name, values := range form.Value {
			if code := badString(name); code != "" {
				fields = append(fields, textField(name, code))
				continue
			}
			for _, v := range values {
				if code := badString(v); code != "" {
					fields = append(fields, textField(name, code))
					break
				}
			}
		}
		for name, files := range form.File {
			if code := badString(name); code != "" {
				fields = append(fields, textField(name, code))
				continue
			}
			for _, f := range files {
				if code := badString(f.Filename); code != "" {
					fields = append(fields, textField(name, code))
					break
				}
			}
		}
		if fields != nil {
			sort.Slice(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
			return fieldProblem(capFields(fields))
		}
	case bodyJSON:
		return CheckJSONText(body)
	}
	return nil
}

// CheckJSONText refuses a JSON text holding U+0000: a raw NUL byte is 400 (it is not JSON), the escape
// \u0000 in a string or key is 422 invalid_character naming each field by its path. Text without a
// NUL byte or a backslash is accepted after two byte scans, without allocating.
func CheckJSONText(body []byte) error {
	if bytes.IndexByte(body, 0) >= 0 {
		return &platform.Error{Kind: platform.KindInvalid, Code: CodeInvalidCharacter,
			Message: "the body holds a NUL byte (U+0000), which is not JSON"}
	}
	return checkJSONEscapes(body)
}

// checkJSONEscapes is CheckJSONText for the escape \u0000 alone: for Bind, where a raw NUL byte
// fails decoding anyway.
func checkJSONEscapes(body []byte) error {
	if !hasNULEscape(body) {
		return nil
	}
	fields, err := nulPaths(body)
	if len(fields) > 0 {
		return fieldProblem(fields)
	}
	if err != nil {
		return platform.Wrap(platform.KindInvalid, "malformed_json", "request body is not valid JSON", err)
	}
	return nil
}

// hasNULEscape reports whether a JSON text holds the escape \u0000. Every backslash of valid JSON is
// inside a string and starts an escape, so the escapes can be walked backslash to backslash: an
// escaped backslash (\\) is skipped whole, and \\u0000 is not a NUL.
func hasNULEscape(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 || i+1 >= len(b) {
			return false
		}
		if b[i+1] == 'u' && i+6 <= len(b) && string(b[i+2:i+6]) == "0000" {
			return true
		}
		b = b[i+2:]
	}
}

// nulPaths walks a JSON text and returns the path of every key and string value holding U+0000.
func nulPaths(body []byte) ([]platform.FieldError, error) {
	type frame struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []frame
	var fields []platform.FieldError
	path := func() string {
		var b strings.Builder
		for i, f := range stack {
			if f.array {
				b.WriteByte('[')
				b.WriteString(strconv.Itoa(f.index))
				b.WriteByte(']')
				continue
			}
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		return b.String()
	}
	next := func() { // one value of the innermost container is complete
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for len(fields) < maxTextFields {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fields, err
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{wantKey: true})
			case '[':
				stack = append(stack, frame{array: true})
			default:
				stack = stack[:len(stack)-1]
				next()
			}
		case string:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey = t, false
				if strings.IndexByte(t, 0) >= 0 {
					fields = append(fields, textField(path(), CodeNUL))
				}
				continue
			}
			if strings.IndexByte(t, 0) >= 0 {
				fields = append(fields, textField(path(), CodeNUL))
			}
			next()
		default:
			next()
		}
	}
	return fields, nil
}

// needsDecoding reports whether urlencoded text could decode to something badText refuses: only a
// percent escape, a raw NUL or a byte that is not UTF-8 can produce one ('+' decodes to a space).
func needsDecoding(raw []byte) bool {
	return bytes.IndexByte(raw, '%') >= 0 || badText(raw) != ""
}

// argsProblems lists the decoded arguments (names or values) that hold NUL or are not UTF-8.
func argsProblems(args *fasthttp.Args) []platform.FieldError {
	var fields []platform.FieldError
	args.VisitAll(func(k, v []byte) {
		if len(fields) >= maxTextFields {
			return
		}
		code := badText(k)
		if code == "" {
			code = badText(v)
		}
		if code != "" {
			fields = append(fields, textField(string(k), code))
		}
	})
	return fields
}

// badText names what is wrong with b for a text column, or "" when nothing is.
func badText(b []byte) string {
	if bytes.IndexByte(b, 0) >= 0 {
		return CodeNUL
	}
	if !utf8.Valid(b) {
		return CodeInvalidUTF8
	}
	return ""
}

// badString is badText for a string.
func badString(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return CodeNUL
	}
	if !utf8.ValidString(s) {
		return CodeInvalidUTF8
	}
	return ""
}

// textField is a field error for name, which is printable in the problem document: a NUL shows as
// the escape \u0000 and bytes that are not UTF-8 as U+FFFD.
func textField(name, code string) platform.FieldError {
	name = strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", `\u0000`), "\uFFFD")
	msg := "may not contain the character U+0000 (NUL)"
	if code == CodeInvalidUTF8 {
		msg = "must be UTF-8 text"
	}
	return platform.FieldError{Field: name, Code: code, Message: msg}
}

func capFields(fields []platform.FieldError) []platform.FieldError {
	if len(fields) > maxTextFields {
		return fields[:maxTextFields]
	}
	return fields
}

// paramProblem is the 400 for a path or query parameter.
func paramProblem(fields []platform.FieldError) error {
	return &platform.Error{Kind: platform.KindInvalid, Code: CodeInvalidCharacter,
		Message: "a parameter holds a character that is not allowed", Fields: capFields(fields)}
}

// fieldProblem is the 422 for body fields.
func fieldProblem(fields []platform.FieldError) error {
	return &platform.Error{Kind: platform.KindUnprocessable, Code: CodeInvalidCharacter,
		Message: "some fields hold a character that is not allowed", Fields: capFields(fields)}
}
