package certificates

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in     string
		want   Number
		fields []string // failing fields; nil: valid
	}{
		{in: "Y00001100012326400001" + "7", want: Number{'Y', "0000", "11", "000123", 26, 4, 17}},
		{in: "S12AB33A1B2C3991999999", want: Number{'S', "12AB", "33", "A1B2C3", 99, 1, 999999}},
		{in: "Y000011000123265000001", want: Number{'Y', "0000", "11", "000123", 26, 5, 1}},
		{in: "", fields: []string{"number"}},
		{in: "Y00001100012326400001", fields: []string{"number"}},   // 21 characters
		{in: "Y0000110001232640000011", fields: []string{"number"}}, // 23
		{in: "X000011000123264000001", fields: []string{"number"}},  // issuer letter
		{in: "Y000011000123266000001", fields: []string{"number"}},  // level 6
		{in: "y000011000123264000001", fields: []string{"number"}},  // lower case
		{in: "Y0000110001232640000０1", fields: []string{"number"}},  // full-width digit
		{in: "Y000099000123264000001", fields: []string{"province_code"}},
		{in: "Y000010000123264000001", fields: []string{"province_code"}},
		{in: "Y000011000123264000000", fields: []string{"serial"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseNumber(tt.in)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("ParseNumber: %v", err)
				}
				if got != tt.want {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
				if got.String() != tt.in || len(got.String()) != NumberLength {
					t.Fatalf("String() = %q, want %q", got.String(), tt.in)
				}
				if !ValidNumber(tt.in) {
					t.Fatal("ValidNumber disagrees with ParseNumber")
				}
				return
			}
			var pe *platform.Error
			if !errors.As(err, &pe) || pe.Code != "invalid_number" || pe.Kind != platform.KindUnprocessable {
				t.Fatalf("error %v, want invalid_number", err)
			}
			var fields []string
			for _, f := range pe.Fields {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tt.fields) {
				t.Fatalf("fields %v, want %v", fields, tt.fields)
			}
			if ValidNumber(tt.in) {
				t.Fatal("ValidNumber accepts an invalid number")
			}
		})
	}
}

func TestNumberStringPadsEveryPart(t *testing.T) {
	n := Number{Issuer: 'S', EvaluatorCode: "0000", ProvinceCode: "44", SiteSerial: "000001", Year: 2027 % 100, Level: 3, Serial: 42}
	if got, want := n.String(), "S00004400000127"+"3"+"000042"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	n.Serial = MaxSerial + 1
	if n.Validate() == nil {
		t.Fatal("a seven-digit serial must not validate")
	}
}

func TestIssuerLetter(t *testing.T) {
	tests := []struct {
		kind tenants.Kind
		want byte
		ok   bool
	}{
		{tenants.KindEnterprise, 'Y', true},
		{tenants.KindSchool, 'Y', true},
		{tenants.KindSocialOrg, 'S', true},
		{tenants.KindRegulator, 0, false},
		{tenants.KindPlatform, 0, false},
	}
	for _, tt := range tests {
		got, err := IssuerLetter(tt.kind)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("IssuerLetter(%s) = %c, %v", tt.kind, got, err)
		}
	}
}

func TestPostNumbers(t *testing.T) {
	tests := []struct {
		prefix string
		valid  bool
	}{
		{"QY", true}, {"QY12AB34CD", true}, {"A1", true},
		{"Q", false}, {"QY12AB34CDE", false}, {"YQ", false}, {"SX", false}, {"qy", false}, {"1Q", false}, {"Q-Y", false},
	}
	for _, tt := range tests {
		if got := ValidPostPrefix(tt.prefix); got != tt.valid {
			t.Errorf("ValidPostPrefix(%q) = %v", tt.prefix, got)
		}
	}
	n := PostNumber("QY", 2026, 7)
	if n != "QY2026000007" {
		t.Fatalf("PostNumber = %q", n)
	}
	prefix, year, serial, err := ParsePostNumber(n)
	if err != nil || prefix != "QY" || year != 2026 || serial != 7 {
		t.Fatalf("ParsePostNumber = %q %d %d %v", prefix, year, serial, err)
	}
	for _, bad := range []string{"QY2026000000", "QY20260000+1", "YQ2026000001", "QY202600001", "2026000001"} {
		if _, _, _, err := ParsePostNumber(bad); err == nil {
			t.Errorf("ParsePostNumber(%q) accepted", bad)
		}
	}
	// A post number never passes for a national one.
	if ValidNumber(PostNumber("QYABCDEF12", 2026, 1)) {
		t.Fatal("post number parsed as national")
	}
	id := uuid.MustParse("0a1b2c3d-0000-4000-8000-000000000000")
	if p := DefaultPostPrefix(id); p != "QY0A1B2C3D" || !ValidPostPrefix(p) {
		t.Fatalf("DefaultPostPrefix = %q", p)
	}
}

func TestNameHashNormalises(t *testing.T) {
	// "é" precomposed and decomposed are the same name; the number salts the hash.
	a := nameHash("Y000011000123264000001", "Zoé")
	b := nameHash("Y000011000123264000001", "Zoe\u0301")
	c := nameHash("Y000011000123264000002", "Zoé")
	if string(a) != string(b) {
		t.Fatal("NFC and NFD spellings of a name must hash alike")
	}
	if string(a) == string(c) {
		t.Fatal("the number must salt the name hash")
	}
}

func TestIDTypeName(t *testing.T) {
	if IDTypeName("resident_id") != "居民身份证" || IDTypeName("passport") != "护照" || IDTypeName("军官证") != "军官证" {
		t.Fatal("ID type names")
	}
}
