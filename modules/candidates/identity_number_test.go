package candidates

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/skillcert/skillcert/modules/platform"
)

// checkChar is an independent implementation of ISO 7064 MOD 11-2 for the tests: the weight of position
// i (0-based, 17 digits) is 2^(17-i) mod 11, and the check value is (12 - sum mod 11) mod 11 with 10
// written as X. It shares nothing with the table-driven code under test.
func checkChar(body string) string {
	sum := 0
	for i, c := range body {
		w := 1
		for k := 0; k < 17-i; k++ {
			w = w * 2 % 11
		}
		sum += int(c-'0') * w
	}
	v := (12 - sum%11) % 11
	if v == 10 {
		return "X"
	}
	return string(rune('0' + v))
}

// valid appends the computed check character to a 17-digit body.
func valid(body string) string { return body + checkChar(body) }

// fieldCode returns the code of the single field error of a validation error.
func fieldCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Code != "validation_failed" || pe.Kind != platform.KindUnprocessable || len(pe.Fields) != 1 {
		t.Fatalf("error %v is not a one-field validation error", err)
	}
	return pe.Fields[0].Code
}

var today = time.Date(2025, 6, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func TestCheckCharMatchesPublishedExamples(t *testing.T) {
	// GB 11643-1999 gives 11010519491231002X and 440524188001010014 as examples.
	for _, id := range []string{"11010519491231002X", "440524188001010014"} {
		if got := checkChar(id[:17]); got != id[17:] {
			t.Fatalf("test helper is wrong: %s -> %s", id, got)
		}
		c, err := ResidentIDCheckChar(id[:17])
		if err != nil || string(c) != id[17:] {
			t.Errorf("ResidentIDCheckChar(%s) = %q, %v; want %s", id[:17], c, err, id[17:])
		}
	}
	// Every check value 0..10 is produced by some body; the table must agree with the formula on all.
	seen := map[string]bool{}
	for i := 0; len(seen) < 11 && i < 1000; i++ {
		body := "3301062000022" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)
		want := checkChar(body)
		c, _ := ResidentIDCheckChar(body)
		if string(c) != want {
			t.Fatalf("ResidentIDCheckChar(%s) = %c, want %s", body, c, want)
		}
		seen[want] = true
	}
	if len(seen) != 11 {
		t.Errorf("only saw check characters %v", seen)
	}
	if _, err := ResidentIDCheckChar("1101051949123100"); platform.CodeOf(err) != CodeIDFormat {
		t.Errorf("16-digit body: %v", err)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func TestValidateResidentID(t *testing.T) {
	textbook := "11010519491231002X"
	leap := valid("33010620000229123") // 29 Feb 2000 existed
	tests := []struct {
		name string
		in   string
		want string // "" = valid
	}{
		{"textbook example", textbook, ""},
		{"lower-case x", "11010519491231002x", ""},
		{"full-width digits and X", "１１０１０５１９４９１２３１００２Ｘ", ""},
		{"inner and outer spaces", " 110105 19491231 002X ", ""},
		{"leap day", leap, ""},
		{"Xinjiang 1999", valid("65010219991231567"), ""},
		{"Hong Kong prefix", valid("81000019800101001"), ""},
		{"born 1900-01-01", valid("50010319000101001"), ""},
		{"born today", valid("46010020250615000"), ""},
		{"legacy 15 digits", "110105491231002", CodeIDLegacy15},
		{"empty", "", CodeIDLength},
		{"17 digits", textbook[:17], CodeIDLength},
		{"19 characters", textbook + "1", CodeIDLength},
		{"letter inside", "1101051949A231002X", CodeIDFormat},
		{"X not last", "X1010519491231002X"[:18], CodeIDFormat},
		{"other check letter", "11010519491231002Y", CodeIDFormat},
		{"full-width letter inside", "110105１９４９1231Ａ02X", CodeIDFormat},
		{"unknown province 00", valid("00010519491231002"), CodeIDRegion},
		{"unknown province 83", valid("83000019800101001"), CodeIDRegion},
		{"unknown province 47", valid("47010519491231002"), CodeIDRegion},
		{"29 Feb of a common year", valid("33010620010229123"), CodeIDBirthDate},
		{"month 13", valid("11010519491331002"), CodeIDBirthDate},
		{"day 00", valid("11010519491200002"), CodeIDBirthDate},
		{"before 1900 (GB example of 1880)", "440524188001010014", CodeIDBirthDate},
		{"tomorrow", valid("46010020250616000"), CodeIDBirthDate},
		{"far future", valid("46010030000101000"), CodeIDBirthDate},
		{"wrong check digit", "110105194912310021", CodeIDChecksum},
		{"transposed digits", "11010519491231200X", CodeIDChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateResidentID(tt.in, today)
			if got := fieldCode(t, err); got != tt.want {
				t.Errorf("ValidateResidentID(%q) code = %q, want %q (%v)", tt.in, got, tt.want, err)
			}
			if err != nil {
				var pe *platform.Error
				errors.As(err, &pe)
				if pe.Fields[0].Field != IDNumberField || pe.Fields[0].Message == "" {
					t.Errorf("field error = %+v", pe.Fields[0])
				}
			}
		})
	}
}

func TestValidateResidentIDUsesTodaysLocation(t *testing.T) {
	id := valid("46010020250616000") // born 2025-06-16
	// 2025-06-15 23:30 UTC is already 2025-06-16 in Beijing.
	utc := time.Date(2025, 6, 15, 23, 30, 0, 0, time.UTC)
	if code := fieldCode(t, ValidateResidentID(id, utc)); code != CodeIDBirthDate {
		t.Errorf("UTC clock: code = %q, want birth_date", code)
	}
	if err := ValidateResidentID(id, utc.In(time.FixedZone("CST", 8*3600))); err != nil {
		t.Errorf("Beijing clock: %v", err)
	}
}

func TestValidateResidentIDRegion(t *testing.T) {
	known := map[string]bool{"110105": true}
	isKnown := func(code string) bool { return known[code] }
	if err := ValidateResidentIDRegion("11010519491231002X", today, isKnown); err != nil {
		t.Errorf("known region rejected: %v", err)
	}
	other := valid("11019919491231002")
	if err := ValidateResidentID(other, today); err != nil {
		t.Fatalf("prefix-only check should pass: %v", err)
	}
	if code := fieldCode(t, ValidateResidentIDRegion(other, today, isKnown)); code != CodeIDRegion {
		t.Errorf("unknown 6-digit code: %q", code)
	}
}

func TestCheckResidentIDCollects(t *testing.T) {
	var v platform.Validation
	v.Add("name", "required", "name is required")
	if CheckResidentID(&v, "applicant.id_number", "110105194912310021", today, nil) {
		t.Fatal("bad number reported valid")
	}
	if !CheckResidentID(&v, "guardian.id_number", "11010519491231002X", today, nil) {
		t.Fatal("good number reported invalid")
	}
	if len(v.Fields) != 2 || v.Fields[1].Field != "applicant.id_number" || v.Fields[1].Code != CodeIDChecksum {
		t.Errorf("fields = %+v", v.Fields)
	}
}

func TestProvincePrefixes(t *testing.T) {
	p := ProvincePrefixes()
	if len(p) != 34 || p[0] != "11" || p[33] != "82" {
		t.Fatalf("ProvincePrefixes() = %v", p)
	}
	p[0] = "99"
	if IsProvincePrefix("99") || !IsProvincePrefix("11") {
		t.Error("the returned slice must not alias the set")
	}
	for _, pre := range []string{"46", "50", "54", "65", "71"} {
		if !IsProvincePrefix(pre) {
			t.Errorf("%s missing", pre)
		}
	}
}

func TestNormalizeIDNumber(t *testing.T) {
	tests := map[string]string{
		"11010519491231002x": "11010519491231002X",
		"１１０１０５１９４９１２３１００２ｘ":             "11010519491231002X",
		"  110105 1949\u30001231 002X\t": "11010519491231002X",
		"":                               "",
		"abc":                            "abc", // not validated here
	}
	for in, want := range tests {
		if got := NormalizeIDNumber(in); got != want {
			t.Errorf("NormalizeIDNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUpgradeLegacyID(t *testing.T) {
	got, err := UpgradeLegacyID("110105491231002", today)
	if err != nil || got != "11010519491231002X" {
		t.Fatalf("UpgradeLegacyID = %q, %v", got, err)
	}
	for in, code := range map[string]string{
		"11010549123100":    CodeIDFormat,    // 14 digits
		"11010519491231002": CodeIDFormat,    // 17 digits
		"000105491231002":   CodeIDRegion,    // no province 00
		"110105490231002":   CodeIDBirthDate, // 31 Feb
	} {
		if _, err := UpgradeLegacyID(in, today); fieldCode(t, err) != code {
			t.Errorf("UpgradeLegacyID(%q) = %v, want code %s", in, err, code)
		}
	}
}

func TestResidentIDBirthDate(t *testing.T) {
	d, err := ResidentIDBirthDate("11010519491231002x", today)
	if err != nil || !d.Equal(time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ResidentIDBirthDate = %v, %v", d, err)
	}
	if _, err := ResidentIDBirthDate("110105194912310021", today); fieldCode(t, err) != CodeIDChecksum {
		t.Errorf("invalid number gave %v", err)
	}
}

func TestMaskIDNumber(t *testing.T) {
	tests := map[string]string{
		"11010519491231002X":  "110***********002X",
		"11010519491231002x":  "110***********002X",
		" 110105194912310021": "110***********0021",
		"12345678":            "123*5678",
		"1234567":             "*******",
		"":                    "",
	}
	for in, want := range tests {
		if got := MaskIDNumber(in); got != want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", in, got, want)
		}
	}
	if m := MaskIDNumber("11010519491231002X"); strings.Contains(m, "1949") || strings.Contains(m, "105") {
		t.Errorf("mask %q leaks the county or the birth date", m)
	}
}

// TestMaskName is the rule every module masks names by (results publicity, certificate queries,
// oversight): first and last rune kept, runes between become '*', separators kept; two runes keep the
// first; one rune is fully masked. Runes, not bytes: characters outside the BMP stay whole.
func TestMaskName(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"han, two runes", "张三", "张*"},
		{"han, three runes", "张三明", "张*明"},
		{"han, compound surname", "欧阳娜娜", "欧**娜"},
		{"han, four runes", "欧阳修明", "欧**明"},
		{"minority with middle dot", "阿卜杜·热合曼", "阿**·**曼"},
		{"minority, short given name", "买买提·艾力", "买**·*力"},
		{"minority, four parts", "买买提·艾力·吐尔逊·阿不都拉", "买**·**·***·***拉"},
		{"latin, full name", "John Smith", "J*** ****h"},
		{"latin, pinyin", "Li Wei", "L* **i"},
		{"outside the BMP, alone", "𠮷", "*"},
		{"outside the BMP, first", "𠮷野家", "𠮷*家"},
		{"outside the BMP, last of two", "王𪚥", "王*"},
		{"outside the BMP, last kept", "张𠮷𪚥", "张*𪚥"},
		{"empty", "", ""},
		{"only spaces", "   ", ""},
		{"one rune", "张", "*"},
		{"spaces around", "  李四  ", "李*"},
		{"spaces around a longer name", " \u3000张三明\t", "张*明"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MaskName(tt.in)
			if got != tt.want {
				t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("MaskName(%q) produced invalid UTF-8", tt.in)
			}
		})
	}
}

func TestNameSearchKey(t *testing.T) {
	same := [][]string{
		{"阿卜杜·热合曼", "阿卜杜热合曼", "阿卜杜 热合曼", "阿卜杜•热合曼", "阿卜杜・热合曼", "阿卜杜･热合曼"},
		{"ＺＨＡＮＧ Wei", "zhangwei", "Zhang\u3000Wei"},
		{"𠮷田", "𠮷田"},
	}
	for _, group := range same {
		want := NameSearchKey(group[0])
		for _, n := range group[1:] {
			if got := NameSearchKey(n); got != want {
				t.Errorf("NameSearchKey(%q) = %q, want %q (as %q)", n, got, want, group[0])
			}
		}
	}
	if got := NameSearchKey("阿卜杜·热合曼"); got != "阿卜杜热合曼" {
		t.Errorf("key = %q", got)
	}
	// U+F900 is a compatibility ideograph; NFKC folds it to U+8C48 so both spellings meet.
	if NameSearchKey("\uF900") != NameSearchKey("\u8C48") {
		t.Error("compatibility ideograph not folded")
	}
	if NameSearchKey("张三") == NameSearchKey("张四") {
		t.Error("different names share a key")
	}
}

// TestNamesAreNotAltered guards the promise that nothing here changes a stored name: long names and runes
// outside the BMP pass validation and come back byte for byte, and derived values keep every rune whole.
func TestNamesAreNotAltered(t *testing.T) {
	long := strings.Repeat("阿卜杜·", 13) + "热合曼" // 55 runes
	names := []string{
		long,
		"𠮷野𠀋𪚥",           // all outside the BMP (CJK ext. B)
		"Ｍａｒｉａ　ＬＯＰＥＺ",    // full-width, kept as typed
		"  李四  ",         // surrounding spaces are the candidate's input; validation does not trim
		"نرگس\u200Cزاده", // Persian name with a zero-width non-joiner
	}
	for _, n := range names {
		orig := strings.Clone(n)
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v", n, err)
		}
		_ = MaskName(n)
		key := NameSearchKey(n)
		if n != orig {
			t.Errorf("name changed: %q -> %q", orig, n)
		}
		if !utf8.ValidString(key) {
			t.Errorf("key of %q is not valid UTF-8", n)
		}
	}
	if utf8.RuneCountInString(long) < 50 {
		t.Fatal("long name too short for this test")
	}
	if m := MaskName(long); utf8.RuneCountInString(m) != utf8.RuneCountInString(long) {
		t.Errorf("MaskName changed the rune count of a long name: %q", m)
	}
	if k := NameSearchKey("𠮷野𠀋𪚥"); k != "𠮷野𠀋𪚥" {
		t.Errorf("search key of a non-BMP name = %q", k)
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"张三", ""},
		{strings.Repeat("名", MaxNameRunes), ""},
		{strings.Repeat("名", MaxNameRunes+1), CodeNameTooLong},
		{"", CodeNameRequired},
		{" \u3000 ", CodeNameRequired},
		{"张\n三", CodeNameControl},
		{"张\u200B三", CodeNameControl},
		{"\u202E三张", CodeNameControl},
		{"张\xff三", CodeNameEncoding},
	}
	for _, tt := range tests {
		if got := fieldCode(t, ValidateName(tt.name)); got != tt.want {
			t.Errorf("ValidateName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func BenchmarkValidateResidentID(b *testing.B) {
	for b.Loop() {
		_ = ValidateResidentID("11010519491231002X", today)
	}
}
