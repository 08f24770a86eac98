package candidates

import (
	"strings"
	"testing"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

var testToday = time.Date(2026, 11, 23, 10, 0, 0, 0, China)

// foreignNew returns a valid 2023-form foreign permanent resident ID number.
func foreignNew() string {
	body := "91115619850101001"
	c, _ := ResidentIDCheckChar(body)
	return body + string(c)
}

func TestInputValidate(t *testing.T) {
	id := residentID(42)
	fullWidth := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, id)
	xID := "11010519491231002X" // GB 11643's own example
	tests := []struct {
		name   string
		kind   tenants.Kind
		edit   func(*Input)
		fields map[string]string // field → code; nil means valid
		check  func(t *testing.T, in Input)
	}{
		{name: "valid", edit: func(*Input) {}},
		{name: "bad check character", edit: func(in *Input) { in.IDNumber = badCheck(id) },
			fields: map[string]string{"id_number": CodeIDChecksum}},
		{name: "bad birth date", edit: func(in *Input) { in.IDNumber = "110105" + "19990231" + "0011" },
			fields: map[string]string{"id_number": CodeIDBirthDate}},
		{name: "unknown province", edit: func(in *Input) { in.IDNumber = "990105" + id[6:] },
			fields: map[string]string{"id_number": CodeIDRegion}},
		{name: "full-width digits normalized", edit: func(in *Input) { in.IDNumber = fullWidth },
			check: func(t *testing.T, in Input) {
				if in.IDNumber != id {
					t.Fatalf("normalized %q, want %q", in.IDNumber, id)
				}
			}},
		{name: "lower-case x normalized", edit: func(in *Input) { in.IDNumber = strings.ToLower(xID) },
			check: func(t *testing.T, in Input) {
				if in.IDNumber != xID {
					t.Fatalf("normalized %q, want %q", in.IDNumber, xID)
				}
			}},
		{name: "full-width x normalized", edit: func(in *Input) { in.IDNumber = xID[:17] + "ｘ" }},
		{name: "id type defaults to resident", edit: func(in *Input) { in.IDType = "" },
			check: func(t *testing.T, in Input) {
				if in.IDType != IDTypeResident {
					t.Fatalf("id_type %q", in.IDType)
				}
			}},
		{name: "unknown id type", edit: func(in *Input) { in.IDType = "driving_licence" },
			fields: map[string]string{"id_type": "invalid"}},
		{name: "passport", edit: func(in *Input) { in.IDType, in.IDNumber = IDTypePassport, "e1234５678" },
			check: func(t *testing.T, in Input) {
				if in.IDNumber != "E12345678" {
					t.Fatalf("passport normalized to %q", in.IDNumber)
				}
			}},
		{name: "passport with punctuation", edit: func(in *Input) { in.IDType, in.IDNumber = IDTypePassport, "E1234-5678" },
			fields: map[string]string{"id_number": CodeIDFormat}},
		{name: "hk macao permit", edit: func(in *Input) { in.IDType, in.IDNumber = IDTypeHKMacaoPermit, "H12345678" }},
		{name: "hk macao permit old form", edit: func(in *Input) { in.IDType, in.IDNumber = IDTypeHKMacaoPermit, "M1234567890" }},
		{name: "hk macao permit bad", edit: func(in *Input) { in.IDType, in.IDNumber = IDTypeHKMacaoPermit, "X12345678" },
			fields: map[string]string{"id_number": CodeIDFormat}},
		{name: "taiwan permit", edit: func(in *Input) { in.IDType, in.IDNumber = IDTypeTaiwanPermit, "12345678" }},
		{name: "taiwan permit bad", edit: func(in *Input) { in.IDType, in.IDNumber = IDTypeTaiwanPermit, "1234567" },
			fields: map[string]string{"id_number": CodeIDFormat}},
		{name: "foreign permanent resident 2017 form", edit: func(in *Input) {
			in.IDType, in.IDNumber = IDTypeForeignPermanentR, "usa110085010101"
		}},
		{name: "foreign permanent resident 2023 form", edit: func(in *Input) { in.IDType, in.IDNumber = IDTypeForeignPermanentR, foreignNew() }},
		{name: "foreign permanent resident bad check", edit: func(in *Input) {
			in.IDType, in.IDNumber = IDTypeForeignPermanentR, badCheck(foreignNew())
		}, fields: map[string]string{"id_number": CodeIDChecksum}},
		{name: "id number required", edit: func(in *Input) { in.IDNumber = " " },
			fields: map[string]string{"id_number": "required"}},
		{name: "name required", edit: func(in *Input) { in.Name = "  " }, fields: map[string]string{"name": CodeNameRequired}},
		{name: "name with zero-width space", edit: func(in *Input) { in.Name = "张\u200b三" },
			fields: map[string]string{"name": CodeNameControl}},
		{name: "education required", edit: func(in *Input) { in.Education = "" },
			fields: map[string]string{"education": "required"}},
		{name: "education unknown", edit: func(in *Input) { in.Education = "phd" },
			fields: map[string]string{"education": "invalid"}},
		{name: "years out of range", edit: func(in *Input) { in.OccupationYears = 71 },
			fields: map[string]string{"occupation_years": "out_of_range"}},
		{name: "level without date", edit: func(in *Input) { in.CurrentLevelObtainedOn = nil },
			fields: map[string]string{"current_level_obtained_on": "required"}},
		{name: "date without level", edit: func(in *Input) { in.CurrentLevel = 0 },
			fields: map[string]string{"current_level_obtained_on": "not_allowed"}},
		{name: "date in future", edit: func(in *Input) { in.CurrentLevelObtainedOn = date("2026-11-24") },
			fields: map[string]string{"current_level_obtained_on": "in_future"}},
		{name: "apprentice is no held level", edit: func(in *Input) { in.CurrentLevel = 6 },
			fields: map[string]string{"current_level": "invalid"}},
		{name: "special technician held", edit: func(in *Input) { in.CurrentLevel = 7 }},
		{name: "phone with +86 and spaces", edit: func(in *Input) { in.Phone = "+86 138 0013 8000" },
			check: func(t *testing.T, in Input) {
				if in.Phone != "13800138000" {
					t.Fatalf("phone %q", in.Phone)
				}
			}},
		{name: "landline", edit: func(in *Input) { in.Phone = "010-12345678" }},
		{name: "bad phone", edit: func(in *Input) { in.Phone = "12345" }, fields: map[string]string{"phone": "format"}},
		{name: "title", edit: func(in *Input) { in.TitleLevel = TitleIntermediate }},
		{name: "bad title", edit: func(in *Input) { in.TitleLevel = "professor" }, fields: map[string]string{"title_level": "invalid"}},
		{name: "awards deduplicated", edit: func(in *Input) { in.Awards = []string{"national_competition", " national_competition", ""} },
			check: func(t *testing.T, in Input) {
				if len(in.Awards) != 1 {
					t.Fatalf("awards %v", in.Awards)
				}
			}},
		{name: "bad award", edit: func(in *Input) { in.Awards = []string{"nobel"} }, fields: map[string]string{"awards[0]": "invalid"}},
		{name: "student number not for enterprises", edit: func(in *Input) { in.StudentNo = "2023001" },
			fields: map[string]string{"student_no": "not_allowed"}},
		{name: "school needs student number", kind: tenants.KindSchool, edit: func(*Input) {},
			fields: map[string]string{"student_no": "required"}},
		{name: "school with student number", kind: tenants.KindSchool, edit: func(in *Input) { in.StudentNo = "２０２３００１" },
			check: func(t *testing.T, in Input) {
				if in.StudentNo != "2023001" {
					t.Fatalf("student_no %q", in.StudentNo)
				}
			}},
		{name: "several errors at once", edit: func(in *Input) { in.IDNumber, in.Education, in.Phone = badCheck(id), "", "1" },
			fields: map[string]string{"id_number": CodeIDChecksum, "education": "required", "phone": "format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput(42)
			tt.edit(&in)
			in.Normalize()
			kind := tt.kind
			if kind == "" {
				kind = tenants.KindEnterprise
			}
			err := in.Validate(kind, testToday)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("unexpected error %v %+v", err, fieldsOf(err))
				}
			} else {
				mustFail(t, err, platform.KindUnprocessable, "validation_failed")
				got := fieldCodes(err)
				if len(got) != len(tt.fields) {
					t.Fatalf("fields %v, want %v", got, tt.fields)
				}
				for f, c := range tt.fields {
					if got[f] != c {
						t.Fatalf("field %s code %q, want %q (all: %v)", f, got[f], c, got)
					}
				}
			}
			if tt.check != nil {
				tt.check(t, in)
			}
		})
	}
}

func TestNormalizeKeepsNameExactly(t *testing.T) {
	for _, name := range []string{
		"  张三 ", "𠀀𪚥", "阿卜杜·热合曼", strings.Repeat("𪚥", 60), "Ｗｉｌｌｉａｍ  Smith",
	} {
		in := validInput(1)
		in.Name = name
		in.Normalize()
		if in.Name != name {
			t.Fatalf("Normalize changed the name %q to %q", name, in.Name)
		}
	}
}

func TestPublicViewMasks(t *testing.T) {
	c := Candidate{Name: "欧阳修明", IDType: IDTypeResident, IDNumber: "11010519491231002X", Phone: "13800138000"}
	v := c.Public()
	if v.Name != "欧**明" || v.IDNumber != "110***********002X" || v.IDType != IDTypeResident {
		t.Fatalf("public view %+v", v)
	}
	if o := c.Oversight(); o.Name != v.Name || o.IDNumber != v.IDNumber {
		t.Fatalf("oversight view %+v is not masked like the public one", o)
	}
	if m := MaskedView("𠀀𪚥𠀀", IDTypePassport, "E12345678"); m.Name != "𠀀*𠀀" || m.IDNumber != "E12**5678" {
		t.Fatalf("masked view %+v", m)
	}
	a := c.audit()
	if a.Name != v.Name || a.IDNumber != v.IDNumber || a.Phone != "138****8000" {
		t.Fatalf("audit view %+v is not masked", a)
	}
}
