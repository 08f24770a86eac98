package candidates

import (
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/skillcert/skillcert/modules/platform"
)

// IDNumberField is the field name resident ID errors are reported under.
const IDNumberField = "id_number"

// Stable codes of the field errors ValidateResidentID reports; clients switch on them.
const (
	CodeIDLength    = "length"     // not 18 characters (after normalization)
	CodeIDFormat    = "format"     // not 17 digits followed by a digit or X
	CodeIDRegion    = "region"     // the address code does not start with a province-level code
	CodeIDBirthDate = "birth_date" // characters 7–14 are not a real date between 1900-01-01 and today
	CodeIDChecksum  = "checksum"   // the 18th character is not the ISO 7064 MOD 11-2 check character
	CodeIDLegacy15  = "legacy_15"  // a first-generation 15-digit number
)

// provinces are the 34 province-level codes of GB/T 2260 (first two digits of every administrative
// division code), with their names for messages. Only the prefix is checked by default: the first six
// digits of a resident ID are the division where the number was first issued, and divisions are merged,
// split and renumbered over the years (regions.csv only holds those in use on 2024-12-31), so a person
// born in an abolished county holds a perfectly valid number whose six digits no current list contains.
// The province prefix has been stable since 1988 (46 海南 and 50 重庆 are the last additions).
// 71 台湾, 81 香港 and 82 澳门 are listed as in GB/T 2260; their residents normally hold 居住证 numbers
// (prefix 81/82/83), a different ID type.
var provinces = map[string]string{
	"11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
	"21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
	"31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
	"41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
	"50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
	"61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
	"71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

// ProvincePrefixes returns the 34 province-level prefixes of GB/T 2260 ("11" 北京 … "82" 澳门), sorted.
// It returns a fresh slice: the set itself cannot be changed by callers.
func ProvincePrefixes() []string {
	out := make([]string, 0, len(provinces))
	for p := range provinces {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// IsProvincePrefix reports whether p is one of the 34 province-level prefixes.
func IsProvincePrefix(p string) bool {
	_, ok := provinces[p]
	return ok
}

// NormalizeIDNumber returns the canonical form of a typed ID number: surrounding and inner spaces (ASCII
// and the ideographic space) removed, full-width digits ０–９ and Ｘ/ｘ turned to ASCII, and a lower-case x
// upper-cased. It does not validate; store and compare numbers in this form.
func NormalizeIDNumber(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '\u3000':
			continue
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == 'x' || r == 'Ｘ' || r == 'ｘ':
			b.WriteByte('X')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkWeights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for the first 17 digits (GB 11643-1999).
var checkWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// checkChars maps the weighted sum mod 11 to the check character.
const checkChars = "10X98765432"

// ResidentIDCheckChar computes the GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17
// digits of a resident ID number. It fails with code "format" unless body is exactly 17 ASCII digits.
func ResidentIDCheckChar(body string) (byte, error) {
	if len(body) != 17 || !allDigits(body) {
		return 0, platform.E(platform.KindUnprocessable, CodeIDFormat, "the body of a resident ID number is 17 digits")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * checkWeights[i]
	}
	return checkChars[sum%11], nil
}

// ValidateResidentID checks an 18-character resident ID number (居民身份证号码, GB 11643-1999) as of
// the date of today (in today's location). The number is normalized first (see NormalizeIDNumber), so
// "11010519491231002x" passes; callers store the normalized form.
//
// On failure the error is a 422 validation_failed *platform.Error with one field error on "id_number"
// whose code is, checked in this order: legacy_15, length, format, region, birth_date, checksum.
// Only the province prefix of the address code is checked (see ProvincePrefixes for why); use
// ValidateResidentIDRegion to also check the six digits against a list.
//
// First-generation 15-digit numbers are rejected with code legacy_15: they stopped being valid ID
// documents on 2013-01-01 and a candidate always holds an 18-digit number today. Imports of old records
// can convert one with UpgradeLegacyID.
func ValidateResidentID(s string, today time.Time) error {
	return ValidateResidentIDRegion(s, today, nil)
}

// ValidateResidentIDRegion is ValidateResidentID that, when knownRegion is not nil, also requires
// knownRegion(first six digits) to be true (code "region"). The checker should accept historical codes:
// numbers keep the division code of first issue even after that division is abolished.
func ValidateResidentIDRegion(s string, today time.Time, knownRegion func(code string) bool) error {
	var v platform.Validation
	CheckResidentID(&v, IDNumberField, s, today, knownRegion)
	return v.Err()
}

// CheckResidentID adds at most one field error for s under field to v, for callers that collect the
// errors of a whole form; it reports whether s is valid. knownRegion may be nil (prefix check only).
func CheckResidentID(v *platform.Validation, field, s string, today time.Time, knownRegion func(code string) bool) bool {
	code, msg := residentIDProblem(NormalizeIDNumber(s), today, knownRegion)
	if code == "" {
		return true
	}
	v.Add(field, code, msg)
	return false
}

// residentIDProblem returns the code and message of the first problem of a normalized number, or "".
func residentIDProblem(id string, today time.Time, knownRegion func(string) bool) (code, msg string) {
	if len(id) == 15 && allDigits(id) {
		return CodeIDLegacy15, "15-digit first-generation ID numbers are no longer valid; enter the 18-digit number of the current card"
	}
	if n := utf8.RuneCountInString(id); n != 18 {
		return CodeIDLength, "a resident ID number has 18 characters"
	}
	if !allDigits(id[:17]) || !(isDigit(id[17]) || id[17] == 'X') {
		return CodeIDFormat, "a resident ID number is 17 digits followed by a digit or X"
	}
	if !IsProvincePrefix(id[:2]) {
		return CodeIDRegion, "the ID number does not start with a province code"
	}
	if knownRegion != nil && !knownRegion(id[:6]) {
		return CodeIDRegion, "the ID number does not start with a known administrative division code"
	}
	if _, ok := birthDate(id[6:14], today); !ok {
		return CodeIDBirthDate, "the ID number does not contain a valid date of birth"
	}
	if c, _ := ResidentIDCheckChar(id[:17]); c != id[17] {
		return CodeIDChecksum, "the check character of the ID number is wrong; please re-check the number"
	}
	return "", ""
}

// birthDate parses yyyymmdd and accepts it when it is a real calendar date on or after 1900-01-01 and not
// after today's date in today's location.
func birthDate(yyyymmdd string, today time.Time) (time.Time, bool) {
	d, err := time.Parse("20060102", yyyymmdd)
	if err != nil { // also rejects 0229 of common years and month 13
		return time.Time{}, false
	}
	ty, tm, td := today.Date()
	if d.Year() < 1900 || d.After(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC)) {
		return time.Time{}, false
	}
	return d, true
}

// ResidentIDBirthDate returns the date of birth (UTC midnight) carried by a valid number, for age checks.
func ResidentIDBirthDate(s string, today time.Time) (time.Time, error) {
	if err := ValidateResidentID(s, today); err != nil {
		return time.Time{}, err
	}
	d, _ := birthDate(NormalizeIDNumber(s)[6:14], today)
	return d, nil
}

// UpgradeLegacyID converts a first-generation 15-digit number to its 18-digit form the way the public
// security system did (GB 11643-1999 annex): insert "19" before the two-digit year — every 15-digit number
// was issued to someone born in the 1900s — and append the check character. The result is validated as of
// today; a bad 15-digit input fails with code "format", "region" or "birth_date".
func UpgradeLegacyID(s string, today time.Time) (string, error) {
	id := NormalizeIDNumber(s)
	if len(id) != 15 || !allDigits(id) {
		var v platform.Validation
		v.Add(IDNumberField, CodeIDFormat, "a first-generation ID number is 15 digits")
		return "", v.Err()
	}
	body := id[:6] + "19" + id[6:]
	c, _ := ResidentIDCheckChar(body)
	full := body + string(c)
	if err := ValidateResidentID(full, today); err != nil {
		return "", err
	}
	return full, nil
}

// MaskIDNumber masks an ID number for public lists (results publicity, certificate queries): the first 3
// and the last 4 characters stay, every other character becomes "*", e.g. 11010519491231002X →
// "110***********002X". Three leading digits name only the province and a city-level block — not the
// county, and never the birth date — while the last four let a candidate recognise their own line.
// Input is normalized first; anything shorter than 8 characters is masked entirely, since keeping 7 of
// them would reveal nearly all of it.
func MaskIDNumber(s string) string {
	r := []rune(NormalizeIDNumber(s))
	n := len(r)
	if n < 8 {
		return strings.Repeat("*", n)
	}
	return string(r[:3]) + strings.Repeat("*", n-7) + string(r[n-4:])
}

// nameSeparators are the dots that join the parts of transliterated names (阿卜杜·热合曼) and the spaces
// some people type instead; MaskName keeps them visible and NameSearchKey drops them.
func isNameSeparator(r rune) bool {
	switch r {
	case '·', '•', '‧', '・', '･', '∙', '⋅', '.':
		return true
	}
	return unicode.IsSpace(r)
}

// MaskName masks a name for public lists: the first and last runes stay and every rune between them
// becomes "*", except separators (· and spaces), which stay so a reader can see the shape of the name:
// "张三明" → "张*明", "欧阳修明" → "欧**明", "阿卜杜·热合曼" → "阿**·**曼". A two-rune name keeps its
// first rune ("张三" → "张*") and a one-rune name is fully masked. Runes, not bytes, are counted, so
// characters outside the BMP (𠮷) are never split. Surrounding spaces are ignored; the stored name is not
// changed.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	out := make([]rune, len(r))
	out[0], out[len(r)-1] = r[0], r[len(r)-1]
	for i := 1; i < len(r)-1; i++ {
		if isNameSeparator(r[i]) {
			out[i] = r[i]
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}

// NameSearchKey derives the key names are searched by: NFKC normalization (full-width letters to ASCII,
// compatibility ideographs to their unified form), lower case, and no spaces or middle dots, so
// "阿卜杜·热合曼", "阿卜杜 热合曼" and "阿卜杜热合曼" share a key, as do "ＺＨＡＮＧ Wei" and "zhangwei".
// Store it beside the name, never instead of it.
func NameSearchKey(name string) string {
	n := norm.NFKC.String(name)
	return strings.Map(func(r rune) rune {
		if isNameSeparator(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, n)
}

// MaxNameRunes bounds a name's length. Names of minority and foreign candidates routinely pass 20
// characters; 100 leaves room for the longest transliterations while refusing pasted paragraphs.
const MaxNameRunes = 100

// Stable codes of the field errors ValidateName reports.
const (
	CodeNameRequired = "required" // empty or only spaces
	CodeNameEncoding = "encoding" // not valid UTF-8
	CodeNameControl  = "control"  // contains control or format characters (line breaks, zero-width …)
	CodeNameTooLong  = "too_long" // more than MaxNameRunes runes
)

// NameField is the field name name errors are reported under.
const NameField = "name"

// ValidateName checks a name as it will be stored, without changing it: it must be valid UTF-8, not blank,
// at most MaxNameRunes runes, and free of control and invisible characters (which would make two
// different stored names look identical on a certificate). Any letter of any script is accepted,
// including runes outside the BMP. Errors are 422 validation_failed with one field error on "name".
func ValidateName(name string) error {
	var v platform.Validation
	switch {
	case !utf8.ValidString(name):
		v.Add(NameField, CodeNameEncoding, "the name is not valid UTF-8 text")
	case strings.TrimSpace(name) == "":
		v.Add(NameField, CodeNameRequired, "the name is required")
	case utf8.RuneCountInString(name) > MaxNameRunes:
		v.Add(NameField, CodeNameTooLong, "the name is too long")
	case strings.ContainsFunc(name, isForbiddenNameRune):
		v.Add(NameField, CodeNameControl, "the name contains control or invisible characters")
	}
	return v.Err()
}

// isForbiddenNameRune reports control characters and the invisible format characters that can make two
// different names print identically: zero-width space, word joiner, byte-order mark, soft hyphen and the
// bidirectional overrides. Zero-width (non-)joiners stay allowed: Persian and Indic names need them.
func isForbiddenNameRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u200B', r == '\u2060', r == '\uFEFF', r == '\u00AD':
		return true
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069', r == '\u200E', r == '\u200F':
		return true
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
