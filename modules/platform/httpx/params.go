package httpx

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

// DefaultLimit and MaxLimit are the list limits of API.md.
const (
	DefaultLimit = platform.DefaultLimit
	MaxLimit     = platform.MaxLimit
)

// ParseList reads list parameters; sort must be one of allowed (optionally prefixed with '-'), else
// 400 invalid_sort. The first allowed key is the default.
func ParseList(c *fiber.Ctx, allowed ...string) (platform.PageRequest, error) {
	p := platform.PageRequest{Limit: DefaultLimit, Cursor: c.Query("cursor")}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return p, &platform.Error{Kind: platform.KindInvalid, Code: "invalid_limit",
				Message: "limit must be a whole number from 1 to 500",
				Fields:  []platform.FieldError{{Field: "limit", Code: "range", Message: "1..500"}}}
		}
		p.Limit = n
	}
	sortKey := c.Query("sort")
	if sortKey == "" {
		if len(allowed) > 0 {
			p.Sort = allowed[0]
		}
		return p, nil
	}
	p.Desc = strings.HasPrefix(sortKey, "-")
	key := strings.TrimPrefix(sortKey, "-")
	for _, a := range allowed {
		if a == key {
			p.Sort = key
			return p, nil
		}
	}
	return p, &platform.Error{Kind: platform.KindInvalid, Code: "invalid_sort",
		Message: "sort must be one of: " + strings.Join(allowed, ", ") + " (prefix '-' for descending)",
		Fields:  []platform.FieldError{{Field: "sort", Code: "not_allowed", Message: "allowed: " + strings.Join(allowed, ", ")}}}
}

// Bind decodes a JSON body into dst; malformed JSON is 400 malformed_json with the decoder's reason.
func Bind(c *fiber.Ctx, dst any) error {
	body := c.Request().Body() // raw: BodyRules already refused encoded bodies
	if len(body) == 0 {
		return platform.E(platform.KindInvalid, "malformed_json", "request body is empty; JSON expected")
	}
	// TextRules checked the body as JSON unless its media type said otherwise; decoded as JSON all
	// the same, it gets the same check here (a raw NUL byte fails decoding below).
	if kindOf(c.Request().Header.ContentType()) != bodyJSON {
		if err := checkJSONEscapes(body); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &platform.Error{Kind: platform.KindInvalid, Code: "malformed_json", Message: "a field has the wrong type",
				Fields: []platform.FieldError{{Field: te.Field, Code: "type", Message: "expected " + te.Type.String()}}}
		}
		return platform.Wrap(platform.KindInvalid, "malformed_json", "request body is not valid JSON", err)
	}
	return CheckText(dst)
}

// UUIDParam parses a path parameter as a UUID; a malformed one is 404 (nothing can have that id).
func UUIDParam(c *fiber.Ctx, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(name))
	if err != nil {
		return uuid.Nil, platform.NotFound(name)
	}
	return id, nil
}

// BindWithID reads the path parameter name as a UUID (UUIDParam) and then binds the JSON body into dst
// (Bind): how a handler that changes one resource starts.
func BindWithID(c *fiber.Ctx, name string, dst any) (uuid.UUID, error) {
	id, err := UUIDParam(c, name)
	if err != nil {
		return uuid.Nil, err
	}
	return id, Bind(c, dst)
}

// DateField parses an optional YYYY-MM-DD body field: "" gives nil, a malformed date records a
// `format` error for field in v (so several fields are reported together) and gives nil.
func DateField(v *platform.Validation, field, s string) *time.Time {
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		v.Add(field, "format", "a date YYYY-MM-DD is expected")
		return nil
	}
	return &d
}
