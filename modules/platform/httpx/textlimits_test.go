package httpx_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

type room struct {
	Name string `json:"name" maxLength:"20"`
}

type site struct {
	Name    string            `json:"name" maxLength:"5"`
	Note    *string           `json:"note,omitempty"`
	Tags    []string          `json:"tags"`
	Rooms   []room            `json:"rooms"`
	Labels  map[string]string `json:"labels"`
	Raw     json.RawMessage   `json:"raw"`
	Ignored string            `json:"-"`
}

func TestCheckTextNamesEveryFieldOverItsLimit(t *testing.T) {
	long := strings.Repeat("字", httpx.DefaultMaxText+1)
	okNote := strings.Repeat("字", httpx.DefaultMaxText) // exactly the limit, in runes not bytes
	tests := []struct {
		name string
		in   site
		want []string // fields reported too_long
	}{
		{"within limits", site{Name: "第一考点", Note: &okNote, Tags: []string{"a"}, Rooms: []room{{Name: "第1考场"}}}, nil},
		{"own tag", site{Name: "六个字的名字"}, []string{"name"}},
		{"default limit through a pointer", site{Note: &long}, []string{"note"}},
		{"slice of strings", site{Tags: []string{"x", long}}, []string{"tags[1]"}},
		{"nested struct tag", site{Rooms: []room{{Name: "ok"}, {Name: strings.Repeat("a", 21)}}}, []string{"rooms[1].name"}},
		{"map value", site{Labels: map[string]string{"k": long}}, []string{"labels.k"}},
		{"raw JSON and json:- are not text", site{Raw: json.RawMessage(`"` + long + `"`), Ignored: long}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := httpx.CheckText(&tc.in)
			var got []string
			var pe *platform.Error
			if errors.As(err, &pe) {
				if pe.Kind != platform.KindUnprocessable {
					t.Errorf("kind %v, want unprocessable", pe.Kind)
				}
				for _, f := range pe.Fields {
					if f.Code != "too_long" {
						t.Errorf("field %s code %s", f.Field, f.Code)
					}
					got = append(got, f.Field)
				}
			} else if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOpenAPIStatesTextLimits: every string of a request body shows its maxLength in the document.
func TestOpenAPIStatesTextLimits(t *testing.T) {
	spec := httpx.NewSpec("t", "1")
	r := httpx.NewRouter(fiber.New().Group("/"), "", httpx.Guard{}, spec)
	r.Post("/sites", httpx.Op{Summary: "s", Access: httpx.Public, Request: new(site), Response: new(site)},
		func(c *fiber.Ctx) error { return nil })
	b, err := spec.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					MaxLength *int `json:"maxLength"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var found bool
	for name, s := range doc.Components.Schemas {
		if !strings.HasSuffix(name, "Site") {
			continue
		}
		found = true
		if p := s.Properties["name"]; p.MaxLength == nil || *p.MaxLength != 5 {
			t.Errorf("%s.name maxLength %v, want 5", name, p.MaxLength)
		}
		if p := s.Properties["note"]; p.MaxLength == nil || *p.MaxLength != httpx.DefaultMaxText {
			t.Errorf("%s.note maxLength %v, want the default", name, p.MaxLength)
		}
	}
	if !found {
		t.Fatalf("no Site schema in %s", b)
	}
}
