package candidates

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Candidate is a person an institution evaluates (考生). Name is stored exactly as given; NameKey is
// derived from it for searching (NameSearchKey). IDNumber is stored normalized (NormalizeIDNumber).
// CurrentLevel is 0 when the candidate holds no level; otherwise it follows catalog.Level (1..5, 7 特级技师,
// 8 首席技师) and CurrentLevelObtainedOn is the date it was obtained (UTC midnight).
type Candidate struct {
	ID                      uuid.UUID
	TenantID                uuid.UUID
	UserID                  *uuid.UUID // the candidate's own login (self-registration), if any
	Name                    string
	NameKey                 string
	IDType                  string
	IDNumber                string
	Phone                   string
	Education               string
	OccupationYears         int
	CurrentLevel            int
	CurrentLevelObtainedOn  *time.Time
	TitleLevel              string
	ApprenticeshipCompleted bool
	RelatedDiploma          bool
	Awards                  []string
	StudentNo               string // schools: the student number (学号); empty elsewhere
	HasPhoto                bool   // a certificate photo was uploaded (see Service.PhotoTx)
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// Input is what a candidate's record says, as entered by staff, an import row or the person.
// Normalize, then Validate, before storing it.
type Input struct {
	Name                    string
	IDType                  string // default resident_id
	IDNumber                string
	Phone                   string
	Education               string
	OccupationYears         int
	CurrentLevel            int
	CurrentLevelObtainedOn  *time.Time
	TitleLevel              string
	ApprenticeshipCompleted bool
	RelatedDiploma          bool
	Awards                  []string
	StudentNo               string
}

// Input returns the candidate's record as an Input, for updates.
func (c Candidate) Input() Input {
	return Input{Name: c.Name, IDType: c.IDType, IDNumber: c.IDNumber, Phone: c.Phone, Education: c.Education,
		OccupationYears: c.OccupationYears, CurrentLevel: c.CurrentLevel, CurrentLevelObtainedOn: c.CurrentLevelObtainedOn,
		TitleLevel: c.TitleLevel, ApprenticeshipCompleted: c.ApprenticeshipCompleted, RelatedDiploma: c.RelatedDiploma,
		Awards: append([]string(nil), c.Awards...), StudentNo: c.StudentNo}
}

// ChangeListener hears about every change of a candidate's data, inside the transaction of the change,
// so that batches re-evaluates the candidate's open applications atomically with it. An error aborts
// the change. The server wires batches in through Deps.Changes.
type ChangeListener interface {
	CandidateChanged(ctx context.Context, tx bun.IDB, candidateID uuid.UUID) error
}

// BulkChangeListener is optionally implemented by a ChangeListener that can handle the candidates an
// import changed in one call instead of one call each.
type BulkChangeListener interface {
	CandidatesChanged(ctx context.Context, tx bun.IDB, candidateIDs []uuid.UUID) error
}

// Applier applies a candidate to a batch (batches implements it; the server wires it in through
// Deps.Applier) inside the caller's transaction and returns the application as the view the 201 answer
// of self-registration carries. Errors: 404 unknown batch, 409 invalid_state when the batch is not
// open, 422 deadline_passed or capacity_full.
type Applier interface {
	ApplyTx(ctx context.Context, tx bun.IDB, batchID, candidateID uuid.UUID) (any, error)
}

// Permissions of candidates, as routes, the console and policies/roles/*.csv name them.
const (
	PermCandidateCreate = "candidate:create"
	PermCandidateList   = "candidate:list"
	PermCandidateRead   = "candidate:read"
	PermCandidateUpdate = "candidate:update"
	PermCandidateImport = "candidate:import"
	// PermCandidatePhotoOwn lets a candidate-role user read and replace their own certificate photo
	// (GET/PUT /me/photo, the portal's 我的照片): the only candidate data a candidate changes
	// themselves; everything else staff correct, because eligibility was decided on it.
	PermCandidatePhotoOwn = "candidate:photo_own"
)

// Sort keys of the candidate list.
const (
	SortCreatedAt = "created_at"
	SortName      = "name"
)

// ListFilter narrows the candidate list. Q matches the name's search key anywhere (so a prefix too)
// or, exactly, a normalized ID number; Education keeps one education code; HasPhoto, when set, keeps
// candidates with (true) or without (false) a certificate photo — whom to chase before tickets print.
type ListFilter struct {
	Q         string
	Education string
	HasPhoto  *bool

	within *[]uuid.UUID // set by the service: only these candidates (an evaluator's)
}

// ParseListFilter reads the list's query values (q, education, has_photo); an unknown education or a
// has_photo other than true or false is 400 invalid_filter.
func ParseListFilter(q, education, hasPhoto string) (ListFilter, error) {
	f := ListFilter{Q: q, Education: strings.TrimSpace(education)}
	if f.Education != "" && !educations.valid(f.Education) {
		return f, platform.E(platform.KindInvalid, "invalid_filter", "education must be one of: "+strings.Join(educations.codes(), ", "))
	}
	switch strings.TrimSpace(hasPhoto) {
	case "":
	case "true":
		t := true
		f.HasPhoto = &t
	case "false":
		t := false
		f.HasPhoto = &t
	default:
		return f, platform.E(platform.KindInvalid, "invalid_filter", "has_photo must be true or false")
	}
	return f, nil
}

// Errors of candidates, with stable codes.
var (
	ErrNotFound      = platform.NotFound("candidate")
	ErrPhotoNotFound = platform.NotFound("photo")
	ErrDuplicate     = platform.Conflict("duplicate", "a candidate with this ID number exists in the institution")
	ErrStudentNoUsed = platform.Conflict("duplicate", "another candidate has this student number")
)

// duplicateError is ErrDuplicate naming the field, so a form can point at it.
func duplicateError(field string) error {
	e := *ErrDuplicate
	if field == "student_no" {
		e = *ErrStudentNoUsed
	}
	e.Fields = []platform.FieldError{{Field: field, Code: "duplicate", Message: e.Message}}
	return &e
}

// Bounds of the numeric fields.
const (
	MaxOccupationYears = 70 // a working life, not a mistyped year
	maxPhoneLen        = 20
	maxStudentNoLen    = 32
	maxAwards          = 20
)

// China is the time zone "today" is taken in for birth dates and level dates (China has no DST).
var China = time.FixedZone("CST", 8*3600)

var (
	mobilePattern    = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlinePattern  = regexp.MustCompile(`^0[1-9][0-9]{8,10}$`)
	intlPhonePattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	studentNoPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

	passportPattern  = regexp.MustCompile(`^[A-Z0-9]{5,20}$`)
	hkMacaoPattern   = regexp.MustCompile(`^[HM][0-9]{8}([0-9]{2})?$`)
	taiwanPattern    = regexp.MustCompile(`^[0-9]{8}([0-9]{2})?$`)
	foreignOldFormat = regexp.MustCompile(`^[A-Z]{3}[0-9]{12}$`)
)

// NormalizePhone strips what people type around a phone number — spaces, hyphens, brackets, full-width
// digits — and a +86/0086 country prefix in front of a mainland mobile number.
func NormalizePhone(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r), r == '-', r == '(', r == ')':
			return -1
		}
		return r
	}, s)
	for _, p := range []string{"+86", "0086"} {
		if rest, ok := strings.CutPrefix(s, p); ok && mobilePattern.MatchString(rest) {
			return rest
		}
	}
	return s
}

// NormalizeOtherID is the canonical form of a non-resident document number: NormalizeIDNumber, then
// NFKC (full-width letters) and upper case.
func NormalizeOtherID(s string) string {
	return strings.ToUpper(norm.NFKC.String(NormalizeIDNumber(s)))
}

// Normalize puts the input in its stored form: ID number normalized for its type, phone normalized,
// codes trimmed; the name is left exactly as given.
func (in *Input) Normalize() {
	in.IDType = strings.TrimSpace(in.IDType)
	if in.IDType == "" {
		in.IDType = IDTypeResident
	}
	if in.IDType == IDTypeResident {
		in.IDNumber = NormalizeIDNumber(in.IDNumber)
	} else {
		in.IDNumber = NormalizeOtherID(in.IDNumber)
	}
	in.Phone = NormalizePhone(in.Phone)
	in.Education = strings.TrimSpace(in.Education)
	in.TitleLevel = strings.TrimSpace(in.TitleLevel)
	in.StudentNo = strings.TrimSpace(norm.NFKC.String(in.StudentNo))
	if in.CurrentLevelObtainedOn != nil {
		d := civilDate(*in.CurrentLevelObtainedOn)
		in.CurrentLevelObtainedOn = &d
	}
	awards := in.Awards[:0:0]
	seen := map[string]bool{}
	for _, a := range in.Awards {
		a = strings.TrimSpace(a)
		if a != "" && !seen[a] {
			seen[a] = true
			awards = append(awards, a)
		}
	}
	in.Awards = awards
}

// Validate checks a normalized input for a tenant of kind as of today and collects every bad field in
// one 422 validation_failed error. Schools must give a student number (their candidates are their
// students); other kinds may not.
func (in Input) Validate(kind tenants.Kind, today time.Time) error {
	var v platform.Validation
	if err := ValidateName(in.Name); err != nil {
		v.Fields = append(v.Fields, fieldsOf(err)...)
	}
	CheckIDNumber(&v, in.IDType, in.IDNumber, today)
	if in.Phone != "" {
		v.Check(len(in.Phone) <= maxPhoneLen && (mobilePattern.MatchString(in.Phone) ||
			landlinePattern.MatchString(in.Phone) || intlPhonePattern.MatchString(in.Phone)),
			"phone", "format", "a mainland mobile number (11 digits), a landline with area code, or +country number")
	}
	if v.Check(in.Education != "", "education", "required", "education is required") {
		v.Check(educations.valid(in.Education), "education", "invalid",
			"education must be one of: "+strings.Join(educations.codes(), ", "))
	}
	v.Check(in.OccupationYears >= 0 && in.OccupationYears <= MaxOccupationYears, "occupation_years", "out_of_range",
		fmt.Sprintf("years in the occupation must be between 0 and %d", MaxOccupationYears))
	if v.Check(validLevel(in.CurrentLevel), "current_level", "invalid",
		"current_level must be 0 (none), 5, 4, 3, 2, 1, 7 (特级技师) or 8 (首席技师)") {
		switch {
		case in.CurrentLevel == 0:
			v.Check(in.CurrentLevelObtainedOn == nil, "current_level_obtained_on", "not_allowed",
				"a date is given for a level that is not held (current_level 0)")
		case in.CurrentLevelObtainedOn == nil:
			v.Add("current_level_obtained_on", "required", "the date the current level was obtained is required")
		default:
			d := *in.CurrentLevelObtainedOn
			v.Check(!d.After(civilDate(today.In(China))), "current_level_obtained_on", "in_future",
				"the current level cannot have been obtained after today")
			v.Check(d.Year() >= 1949, "current_level_obtained_on", "out_of_range", "the date is before 1949")
		}
	}
	if in.TitleLevel != "" {
		v.Check(titleLevels.valid(in.TitleLevel), "title_level", "invalid",
			"title_level must be one of: "+strings.Join(titleLevels.codes(), ", "))
	}
	v.Check(len(in.Awards) <= maxAwards, "awards", "too_many", fmt.Sprintf("at most %d awards", maxAwards))
	for i, a := range in.Awards {
		v.Check(awardKinds.valid(a), fmt.Sprintf("awards[%d]", i), "invalid", "unknown award kind "+a)
	}
	switch {
	case kind == tenants.KindSchool:
		if v.Check(in.StudentNo != "", "student_no", "required", "a school's candidates are its students: the student number is required") {
			v.Check(len(in.StudentNo) <= maxStudentNoLen && studentNoPattern.MatchString(in.StudentNo), "student_no", "format",
				"a student number is 1–32 letters, digits, - and _")
		}
	default:
		v.Check(in.StudentNo == "", "student_no", "not_allowed", "student numbers are for schools")
	}
	return v.Err()
}

// CheckIDNumber adds at most one field error on "id_number" (or "id_type") for a normalized number of
// idType, and reports whether it is valid. Resident IDs get the full GB 11643 check (ValidateResidentID);
// the other documents get format checks: passports 5–20 letters and digits; Mainland travel permits for
// Hong Kong and Macao residents H/M and 8 (old: 10) digits; for Taiwan residents 8 (old: 10) digits;
// foreign permanent resident ID cards either the 2017 form (3 letters, 12 digits) or the 2023 form
// (18 digits starting with 9, a real birth date, and the GB 11643 MOD 11-2 check character).
func CheckIDNumber(v *platform.Validation, idType, number string, today time.Time) bool {
	if number == "" {
		v.Add(IDNumberField, "required", "the ID number is required")
		return false
	}
	switch idType {
	case IDTypeResident:
		return CheckResidentID(v, IDNumberField, number, today.In(China), nil)
	case IDTypePassport:
		return v.Check(passportPattern.MatchString(number), IDNumberField, CodeIDFormat, "a passport number is 5–20 letters and digits")
	case IDTypeHKMacaoPermit:
		return v.Check(hkMacaoPattern.MatchString(number), IDNumberField, CodeIDFormat,
			"a Mainland travel permit for Hong Kong and Macao residents is H or M followed by 8 (or 10) digits")
	case IDTypeTaiwanPermit:
		return v.Check(taiwanPattern.MatchString(number), IDNumberField, CodeIDFormat,
			"a Mainland travel permit for Taiwan residents is 8 (or 10) digits")
	case IDTypeForeignPermanentR:
		return checkForeignPermanent(v, number, today.In(China))
	}
	v.Add("id_type", "invalid", "id_type must be one of: "+strings.Join(idTypes.codes(), ", "))
	return false
}

func checkForeignPermanent(v *platform.Validation, n string, today time.Time) bool {
	if foreignOldFormat.MatchString(n) {
		return true
	}
	if len(n) != 18 || n[0] != '9' || !allDigits(n[:17]) || !(isDigit(n[17]) || n[17] == 'X') {
		v.Add(IDNumberField, CodeIDFormat, "a foreign permanent resident ID is 3 letters and 12 digits, or 18 characters starting with 9")
		return false
	}
	if _, ok := birthDate(n[6:14], today); !ok {
		v.Add(IDNumberField, CodeIDBirthDate, "the ID number does not contain a valid date of birth")
		return false
	}
	if c, _ := ResidentIDCheckChar(n[:17]); c != n[17] {
		v.Add(IDNumberField, CodeIDChecksum, "the check character of the ID number is wrong; please re-check the number")
		return false
	}
	return true
}

// fieldsOf returns the field errors of a platform error, or none.
func fieldsOf(err error) []platform.FieldError {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return pe.Fields
	}
	return nil
}

// civilDate is the calendar date of t (in t's location) as UTC midnight, the form dates are stored in.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseDate reads a YYYY-MM-DD date.
func ParseDate(s string) (time.Time, error) {
	return time.Parse(time.DateOnly, strings.TrimSpace(s))
}
