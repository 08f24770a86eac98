package candidates

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// The fuzz targets of the parsers that take outside input. Their seeds are committed under
// testdata/fuzz/<target>/, so `go test` runs them as ordinary tests; docs/security.md says how to fuzz
// each for longer.

// fuzzToday is the fixed "today" of the fuzz targets, so that a finding reproduces on any day.
var fuzzToday = time.Date(2026, 6, 1, 10, 0, 0, 0, China)

// fuzzLimits are the import limits under fuzzing: the API's, with fewer rows so one input stays fast.
var fuzzLimits = ImportLimits{MaxRows: 2000, MaxEntries: 200, MaxUncompressed: 8 << 20, MaxRatio: 100,
	MaxRejectedListed: 100}

// FuzzImportCSV feeds CSV uploads (any bytes: UTF-8, GB18030, UTF-16, binary) to the importer.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("姓名,证件号码,学历\n张三," + residentID(1) + ",中专\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []tenants.Kind{tenants.KindEnterprise, tenants.KindSchool} {
			im := newImporter(kind, fuzzToday, fuzzLimits)
			checkImported(t, kind, im, readCSV(data, im.row))
		}
	})
}

// FuzzImportXLSX feeds XLSX uploads (any bytes; the seeds are workbooks and broken archives) to the
// archive checks and the importer.
func FuzzImportXLSX(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		im := newImporter(tenants.KindEnterprise, fuzzToday, fuzzLimits)
		checkImported(t, tenants.KindEnterprise, im, readXLSX(data, fuzzLimits, im.row))
	})
}

// checkImported asserts what holds for any file: the read fails with a client error of the platform
// (never an internal one), or every data row is either staged or rejected, each row number once, and
// every staged row is a valid candidate — in particular no resident ID with a wrong check character
// is ever accepted.
func checkImported(t *testing.T, kind tenants.Kind, im *importer, err error) {
	t.Helper()
	if err != nil {
		var pe *platform.Error
		if !errors.As(err, &pe) {
			t.Fatalf("error %T %v is not a platform error", err, err)
		}
		switch pe.Kind {
		case platform.KindUnprocessable, platform.KindTooLarge, platform.KindUnsupported:
		default:
			t.Fatalf("error of kind %d: %v", pe.Kind, err)
		}
		return
	}
	if got := len(im.staged) + im.result.RejectedTotal; got != im.result.Rows {
		t.Fatalf("%d rows read, %d staged + %d rejected", im.result.Rows, len(im.staged), im.result.RejectedTotal)
	}
	if len(im.result.Rejected) > im.lim.MaxRejectedListed || len(im.result.Rejected) > im.result.RejectedTotal {
		t.Fatalf("%d rejections listed of %d", len(im.result.Rejected), im.result.RejectedTotal)
	}
	rows := map[int]bool{}
	for _, r := range im.result.Rejected {
		if r.Row < 1 || rows[r.Row] || len(r.Errors) == 0 {
			t.Fatalf("rejected row %d (%d errors) listed twice or numbered wrong", r.Row, len(r.Errors))
		}
		rows[r.Row] = true
	}
	keys := map[string]bool{}
	for _, s := range im.staged {
		if s.Row < 1 || rows[s.Row] {
			t.Fatalf("staged row %d numbered wrong or also rejected", s.Row)
		}
		rows[s.Row] = true
		in := s.In
		if err := in.Validate(kind, fuzzToday); err != nil {
			t.Fatalf("row %d staged but invalid: %v", s.Row, err)
		}
		again := in
		again.Normalize()
		if again.IDNumber != in.IDNumber || again.IDType != in.IDType {
			t.Fatalf("row %d staged unnormalized: %q", s.Row, in.IDNumber)
		}
		if in.IDType == IDTypeResident {
			if c, err := ResidentIDCheckChar(in.IDNumber[:17]); err != nil || c != in.IDNumber[17] {
				t.Fatalf("row %d staged with a bad check character: %q", s.Row, in.IDNumber)
			}
		}
		key := in.IDType + ":" + in.IDNumber
		if keys[key] {
			t.Fatalf("row %d: %s staged twice", s.Row, key)
		}
		keys[key] = true
	}
}

// FuzzResidentID checks GB 11643 resident ID numbers as typed: nothing panics, a failure is one field
// error with a documented code, a valid number round-trips its check character (and only its own
// check character passes), and appending the computed check character to 17 digits never fails on the
// checksum.
func FuzzResidentID(f *testing.F) {
	f.Add("11010519491231002X")
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeIDNumber(s)
		if NormalizeIDNumber(n) != n {
			t.Fatalf("normalizing %q is not idempotent: %q", s, n)
		}
		if got, want := utf8.RuneCountInString(MaskIDNumber(s)), utf8.RuneCountInString(n); got != want {
			t.Fatalf("mask of %q has %d runes, the number %d", s, got, want)
		}
		err := ValidateResidentID(s, fuzzToday)
		code := idErrorCode(t, err)
		if err == nil {
			if len(n) != 18 {
				t.Fatalf("%q valid with %d bytes", s, len(n))
			}
			c, cerr := ResidentIDCheckChar(n[:17])
			if cerr != nil || c != n[17] {
				t.Fatalf("%q valid but its check character is %q", s, c)
			}
			for _, other := range []byte(checkChars) {
				if other == c {
					continue
				}
				if got := idErrorCode(t, ValidateResidentID(n[:17]+string(other), fuzzToday)); got != CodeIDChecksum {
					t.Fatalf("%q with check character %q: %q, want checksum", n, other, got)
				}
			}
			if _, err := ResidentIDBirthDate(s, fuzzToday); err != nil {
				t.Fatalf("%q valid but has no birth date: %v", s, err)
			}
		}
		if len(n) >= 17 && allDigits(n[:17]) {
			c, _ := ResidentIDCheckChar(n[:17])
			if got := idErrorCode(t, ValidateResidentID(n[:17]+string(c), fuzzToday)); got == CodeIDChecksum {
				t.Fatalf("%q with its own check character fails the checksum", n[:17])
			}
		}
		if up, err := UpgradeLegacyID(s, fuzzToday); err == nil {
			if code != CodeIDLegacy15 || ValidateResidentID(up, fuzzToday) != nil || up[:6]+up[8:17] != n {
				t.Fatalf("%q (%s) upgraded to %q", s, code, up)
			}
		}
	})
}

// idErrorCode returns "" for nil, else the code of the one field error on id_number, failing when the
// error has another shape.
func idErrorCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	fields := fieldsOf(err)
	if platform.KindOf(err) != platform.KindUnprocessable || len(fields) != 1 || fields[0].Field != IDNumberField {
		t.Fatalf("error %v has fields %+v", err, fields)
	}
	code := fields[0].Code
	if !slices.Contains([]string{CodeIDLength, CodeIDFormat, CodeIDRegion, CodeIDBirthDate, CodeIDChecksum, CodeIDLegacy15}, code) {
		t.Fatalf("undocumented code %q", code)
	}
	if strings.TrimSpace(fields[0].Message) == "" {
		t.Fatal("no message")
	}
	return code
}
