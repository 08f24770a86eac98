package httpx

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/swaggest/jsonschema-go"

	"github.com/skillcert/skillcert/modules/platform"
)

// DefaultMaxText is the most characters (runes) a string field of a request body may hold when its
// type declares no `maxLength` tag. Every free-text field thus has a documented maximum: its own tag
// or this one, which the OpenAPI document states for it.
const DefaultMaxText = 2000

// CheckText walks a decoded request value and refuses every string longer than its field's
// `maxLength` tag (or DefaultMaxText): 422 validation_failed with one `too_long` error per field,
// named by its JSON path (`rooms[2].name`). Bind runs it on every JSON body; a front end that fills the
// same request types from a form can run it too, so both enforce one limit.
func CheckText(v any) error {
	rv := reflect.ValueOf(v)
	var val platform.Validation
	walkText(rv, "", DefaultMaxText, &val)
	return val.Err()
}

// textPlans caches, per struct type, the fields that can hold strings and their limits, so reflection
// over tags runs once per type.
type lengthField struct {
	index []int
	name  string
	max   int
}

var textPlans sync.Map // reflect.Type → []lengthField

func planOf(t reflect.Type) []lengthField {
	if p, ok := textPlans.Load(t); ok {
		return p.([]lengthField)
	}
	var out []lengthField
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		max := DefaultMaxText
		if s := f.Tag.Get("maxLength"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				max = n
			}
		}
		out = append(out, lengthField{index: f.Index, name: name, max: max})
	}
	textPlans.Store(t, out)
	return out
}

func walkText(v reflect.Value, path string, max int, val *platform.Validation) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkText(v.Elem(), path, max, val)
		}
	case reflect.String:
		if s := v.String(); len(s) > max && utf8.RuneCountInString(s) > max {
			val.Add(path, "too_long", fmt.Sprintf("at most %d characters", max))
		}
	case reflect.Struct:
		if v.Type().PkgPath() == "time" { // time.Time and friends hold no free text
			return
		}
		for _, f := range planOf(v.Type()) {
			walkText(v.FieldByIndex(f.index), joinPath(path, f.name), f.max, val)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 { // []byte, json.RawMessage: not text
			return
		}
		for i := 0; i < v.Len(); i++ {
			walkText(v.Index(i), fmt.Sprintf("%s[%d]", path, i), max, val)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			key := fmt.Sprint(it.Key().Interface())
			if k := it.Key(); k.Kind() == reflect.String && len(k.String()) > max {
				val.Add(path, "too_long", fmt.Sprintf("a key longer than %d characters", max))
			}
			walkText(it.Value(), joinPath(path, key), max, val)
		}
	}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// documentTextLimits makes the OpenAPI document state DefaultMaxText for every string property of a
// request or response type that declares no maxLength of its own (enums and formatted strings —
// dates, uuids — excepted), so the document says what CheckText enforces.
func documentTextLimits(ctx *jsonschema.ReflectContext) {
	jsonschema.InterceptProp(func(p jsonschema.InterceptPropParams) error {
		if !p.Processed || p.PropertySchema == nil {
			return nil
		}
		s := p.PropertySchema
		if s.HasType(jsonschema.String) && s.MaxLength == nil && len(s.Enum) == 0 && s.Format == nil {
			n := int64(DefaultMaxText)
			s.MaxLength = &n
		}
		return nil
	})(ctx)
}
