package certificates

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

// NumberLength is the length of a skill level certificate number (人社鉴发〔2019〕2号).
const NumberLength = 22

// MaxSerial is the last serial a year and level can give: the serial has six digits.
const MaxSerial = 999999

// Number is a skill level certificate number taken apart (DOMAIN.md step 6):
//
//	Y 0000 11 000123 26 4 000001
//	│ │    │  │      │  │ └ serial within institution, year and level, from 000001, never reused
//	│ │    │  │      │  └ level 1–5
//	│ │    │  │      └ year of issue, two digits
//	│ │    │  └ site serial assigned by the province
//	│ │    └ province code (first two digits of the region code)
//	│ └ evaluator code ("0000" when first filed with a province)
//	└ Y enterprise or school (用人单位), S social training evaluation organization
type Number struct {
	Issuer        byte // 'Y' or 'S'
	EvaluatorCode string
	ProvinceCode  string
	SiteSerial    string
	Year          int // two digits, 0–99
	Level         int
	Serial        int
}

var (
	numberPattern     = regexp.MustCompile(`^[YS][0-9A-Z]{4}[0-9]{2}[0-9A-Z]{6}[0-9]{2}[1-5][0-9]{6}$`)
	evaluatorPattern  = regexp.MustCompile(`^[0-9A-Z]{4}$`)
	siteSerialPattern = regexp.MustCompile(`^[0-9A-Z]{6}$`)
)

// ErrInvalidNumber is the error of a string that is not a well-formed certificate number.
var ErrInvalidNumber = platform.E(platform.KindUnprocessable, "invalid_number", "not a valid certificate number")

// String writes the 22 characters of n.
func (n Number) String() string {
	return fmt.Sprintf("%c%s%s%s%02d%d%06d", n.Issuer, n.EvaluatorCode, n.ProvinceCode, n.SiteSerial, n.Year%100, n.Level, n.Serial)
}

// Validate checks every part of n, as field errors.
func (n Number) Validate() error {
	var v platform.Validation
	v.Check(n.Issuer == 'Y' || n.Issuer == 'S', "issuer", "invalid", "the first character is Y (enterprise or school) or S (social organization)")
	v.Check(evaluatorPattern.MatchString(n.EvaluatorCode), "evaluator_code", "invalid", "the evaluator code has 4 digits or capital letters")
	v.Check(validProvince(n.ProvinceCode), "province_code", "invalid", "the province code is the first two digits of a province's region code")
	v.Check(siteSerialPattern.MatchString(n.SiteSerial), "site_serial", "invalid", "the site serial has 6 digits or capital letters")
	v.Check(n.Year >= 0 && n.Year <= 99, "year", "invalid", "the year has two digits")
	v.Check(n.Level >= 1 && n.Level <= 5, "level", "invalid", "the level is 1 to 5")
	v.Check(n.Serial >= 1 && n.Serial <= MaxSerial, "serial", "invalid", "the serial runs from 000001 to 999999")
	return v.Err()
}

// ParseNumber takes a certificate number apart and validates it: 22 characters, the issuer letter,
// a known province, level 1–5 and a serial from 000001. It returns ErrInvalidNumber (with field
// errors naming the parts at fault) otherwise.
func ParseNumber(s string) (Number, error) {
	if !numberPattern.MatchString(s) {
		return Number{}, &platform.Error{Kind: platform.KindUnprocessable, Code: ErrInvalidNumber.Code,
			Message: "a certificate number has 22 characters: Y or S, evaluator code, province, site serial, year, level and serial",
			Fields:  []platform.FieldError{{Field: "number", Code: "format", Message: "does not match the 22-character layout"}}}
	}
	year, _ := strconv.Atoi(s[13:15])
	level, _ := strconv.Atoi(s[15:16])
	serial, _ := strconv.Atoi(s[16:22])
	n := Number{Issuer: s[0], EvaluatorCode: s[1:5], ProvinceCode: s[5:7], SiteSerial: s[7:13], Year: year, Level: level, Serial: serial}
	if err := n.Validate(); err != nil {
		pe := err.(*platform.Error)
		return Number{}, &platform.Error{Kind: platform.KindUnprocessable, Code: ErrInvalidNumber.Code, Message: ErrInvalidNumber.Message, Fields: pe.Fields}
	}
	return n, nil
}

// ValidNumber reports whether s is a valid skill level certificate number.
func ValidNumber(s string) bool {
	_, err := ParseNumber(s)
	return err == nil
}

func validProvince(code string) bool {
	if len(code) != 2 {
		return false
	}
	r, ok := regions.Lookup(code + "0000")
	return ok && r.Level == regions.Province
}

// IssuerLetter is the first character of the numbers an institution of kind issues: Y for employers
// (enterprises, and schools, which evaluate their own students) and S for social organizations.
func IssuerLetter(kind tenants.Kind) (byte, error) {
	switch kind {
	case tenants.KindEnterprise, tenants.KindSchool:
		return 'Y', nil
	case tenants.KindSocialOrg:
		return 'S', nil
	}
	return 0, platform.Unprocessable("not_an_institution", "only institutions issue certificates")
}

// Post certificate numbers (一岗双证) are the enterprise's own: its prefix, the four-digit year and a
// six-digit serial per year, e.g. QY2026000001. A prefix may not start with Y or S, so a post number
// can never be mistaken for (or collide with) a national one.
var postPrefixPattern = regexp.MustCompile(`^[A-RT-XZ][A-Z0-9]{1,9}$`)

// ValidPostPrefix reports whether p can prefix post certificate numbers: 2–10 capital letters and
// digits, starting with a letter other than Y and S.
func ValidPostPrefix(p string) bool { return postPrefixPattern.MatchString(p) }

// PostNumber formats a post certificate number.
func PostNumber(prefix string, year, serial int) string {
	return fmt.Sprintf("%s%04d%06d", prefix, year, serial)
}

// ParsePostNumber splits a post certificate number into prefix, year and serial.
func ParsePostNumber(s string) (prefix string, year, serial int, err error) {
	if len(s) < 12 {
		return "", 0, 0, ErrInvalidNumber
	}
	prefix, digits := s[:len(s)-10], s[len(s)-10:]
	if !ValidPostPrefix(prefix) || strings.Trim(digits, "0123456789") != "" {
		return "", 0, 0, ErrInvalidNumber
	}
	year, _ = strconv.Atoi(digits[:4])
	serial, _ = strconv.Atoi(digits[4:])
	if serial < 1 {
		return "", 0, 0, ErrInvalidNumber
	}
	return prefix, year, serial, nil
}

// DefaultPostPrefix is the post numbering prefix of an enterprise that has not chosen one: "QY"
// (企业) and the first eight hex digits of its id. Prefixes are unique across tenants (the settings
// table says so), so two enterprises' post numbers never collide.
func DefaultPostPrefix(tenantID uuid.UUID) string {
	return "QY" + strings.ToUpper(hex.EncodeToString(tenantID[:4]))
}
