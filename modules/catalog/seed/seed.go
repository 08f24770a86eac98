// Package seed provides the occupation catalog the platform starts with, and reads catalog updates
// uploaded by a platform admin.
//
// The catalog is built from three embedded files:
//
//   - occupations.csv: the 2022 national classification (职业分类大典（2022年版）), 1,639 detailed
//     occupations; see occupations.SOURCE.txt. Only major categories 3–6 are seeded: they hold the skill
//     occupations evaluated by skill level, while categories 1 and 2 go through professional titles and 7–8
//     are not evaluated.
//   - new_occupations.csv: the ministry's new-occupation announcements since 2019 (same SOURCE file);
//     an occupation whose code appears there is marked New.
//   - standards.csv: our curated overlay of national skill standards (国家职业技能标准) — sub-types
//     (工种/职业方向), levels and edition year — for occupations whose standard we could state with
//     confidence; see standards.SOURCE.txt. Every other occupation gets levels 5..1 by default, flagged
//     HasNationalStandard=false with the note DefaultNote.
package seed

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/skillcert/skillcert/modules/platform"
)

var (
	//go:embed occupations.csv
	occupationsCSV []byte
	//go:embed new_occupations.csv
	newOccupationsCSV []byte
	//go:embed standards.csv
	standardsCSV []byte
)

// DefaultNote marks an occupation whose levels were not taken from a national standard.
const DefaultNote = "levels from default, no standard on record"

// Occupation is one detailed occupation (细类) of the catalog.
type Occupation struct {
	Code       string `json:"code"` // 6-31-01-03
	Name       string `json:"name"`
	MajorCode  string `json:"major_code"` // 6
	MajorName  string `json:"major_name"`
	MiddleCode string `json:"middle_code"` // 6-31
	MiddleName string `json:"middle_name"`
	MinorCode  string `json:"minor_code"` // 6-31-01
	MinorName  string `json:"minor_name"`
	IsGreen    bool   `json:"is_green"`   // L mark of the 2022 classification (绿色职业)
	IsDigital  bool   `json:"is_digital"` // S mark (数字职业)
	// Subtypes are the 工种/职业方向 of the national standard; empty when there are none (printed "--").
	Subtypes []string `json:"subtypes"`
	// Levels are the national levels the occupation is evaluated at, highest number first: [5 4 3 2 1].
	Levels []int `json:"levels"`
	// StandardYear is the edition year of the national standard, 0 when not on record.
	StandardYear int `json:"standard_year"`
	// HasNationalStandard is true when Levels (and Subtypes) come from a national standard on record;
	// false means levels 5..1 by default, pending a standard or an enterprise evaluation norm.
	HasNationalStandard bool `json:"has_national_standard"`
	// New marks occupations announced by the ministry as new occupations since 2019.
	New bool `json:"new"`
	// Note says where Levels come from.
	Note string `json:"note"`
}

// NoSubtype is how a missing sub-type is written on certificates and in CSV files.
const NoSubtype = "--"

// defaultLevels applies to occupations without a standard on record.
var defaultLevels = []int{5, 4, 3, 2, 1}

// Occupations returns the seeded catalog: every occupation of major categories 3–6 of the 2022
// classification, ordered by code, with standards, sub-types and new-occupation marks applied. The
// slices are fresh on every call. An error means the embedded data is inconsistent (a build problem).
func Occupations() ([]Occupation, error) {
	return build(occupationsCSV, newOccupationsCSV, standardsCSV)
}

// build assembles the catalog from the three files; standards rows must name seeded occupations by their
// exact classification name, so a typo in a code cannot attach a standard to the wrong occupation.
func build(occupationsCSV, newOccupationsCSV, standardsCSV []byte) ([]Occupation, error) {
	all, err := readClassification(bytes.NewReader(occupationsCSV))
	if err != nil {
		return nil, fmt.Errorf("occupations.csv: %w", err)
	}
	newCodes, err := readNewOccupations(bytes.NewReader(newOccupationsCSV))
	if err != nil {
		return nil, fmt.Errorf("new_occupations.csv: %w", err)
	}
	standards, err := readStandards(bytes.NewReader(standardsCSV))
	if err != nil {
		return nil, fmt.Errorf("standards.csv: %w", err)
	}
	byCode := map[string]*Occupation{}
	var out []Occupation
	for _, o := range all {
		switch o.MajorCode {
		case "3", "4", "5", "6":
		default:
			continue
		}
		o.Levels = slices.Clone(defaultLevels)
		o.Note = DefaultNote
		o.New = newCodes[o.Code]
		out = append(out, o)
	}
	for i := range out {
		byCode[out[i].Code] = &out[i]
	}
	for _, s := range standards {
		o, ok := byCode[s.code]
		if !ok {
			return nil, fmt.Errorf("standards.csv line %d: %s is not a seeded occupation (major categories 3–6)", s.line, s.code)
		}
		if o.Name != s.name {
			return nil, fmt.Errorf("standards.csv line %d: %s is %s in the classification, not %s", s.line, s.code, o.Name, s.name)
		}
		o.Subtypes, o.Levels, o.StandardYear, o.Note = s.subtypes, s.levels, s.year, s.note
		o.HasNationalStandard = true
	}
	slices.SortFunc(out, func(a, b Occupation) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

var codePattern = regexp.MustCompile(`^\d-\d{2}-\d{2}-\d{2}$`)

// readClassification reads the columns of occupations.csv.
func readClassification(r io.Reader) ([]Occupation, error) {
	rows, err := readTable(r, []string{"code", "name", "major_category", "major_code", "middle_code", "middle_category", "minor_code", "minor_category", "is_green", "is_digital"})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := make([]Occupation, 0, len(rows))
	for _, row := range rows {
		o := Occupation{
			Code: row.get("code"), Name: row.get("name"),
			MajorCode: row.get("major_code"), MajorName: row.get("major_category"),
			MiddleCode: row.get("middle_code"), MiddleName: row.get("middle_category"),
			MinorCode: row.get("minor_code"), MinorName: row.get("minor_category"),
		}
		var err1, err2 error
		o.IsGreen, err1 = parseBool(row.get("is_green"))
		o.IsDigital, err2 = parseBool(row.get("is_digital"))
		if !codePattern.MatchString(o.Code) || seen[o.Code] || o.Name == "" || err1 != nil || err2 != nil || !hierarchyOK(o) {
			return nil, fmt.Errorf("line %d: bad or duplicate row for %q", row.line, o.Code)
		}
		seen[o.Code] = true
		out = append(out, o)
	}
	return out, nil
}

// readNewOccupations returns the classification codes of published new occupations.
func readNewOccupations(r io.Reader) (map[string]bool, error) {
	rows, err := readTable(r, []string{"name", "kind", "status", "code_2022"})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, row := range rows {
		code := row.get("code_2022")
		if code == "" || row.get("status") != "published" || row.get("kind") != "occupation" {
			continue
		}
		if !codePattern.MatchString(code) {
			return nil, fmt.Errorf("line %d: bad code_2022 %q", row.line, code)
		}
		out[code] = true
	}
	return out, nil
}

type standard struct {
	line     int
	code     string
	name     string
	subtypes []string
	levels   []int
	year     int
	note     string
}

// readStandards reads the curated overlay (code, name, subtypes, levels, standard_year, note).
func readStandards(r io.Reader) ([]standard, error) {
	rows, err := readTable(r, []string{"code", "name", "subtypes", "levels", "standard_year", "note"})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []standard
	for _, row := range rows {
		var v platform.Validation
		s := standard{line: row.line, code: row.get("code"), name: row.get("name"), note: row.get("note")}
		field := func(col string) string { return fmt.Sprintf("row %d %s", row.line, col) }
		v.Check(codePattern.MatchString(s.code), field("code"), "format", "code must look like 6-31-01-03")
		v.Check(!seen[s.code], field("code"), "duplicate", "code appears twice")
		seen[s.code] = true
		s.subtypes = parseSubtypes(&v, field("subtypes"), row.get("subtypes"))
		s.levels = parseLevels(&v, field("levels"), row.get("levels"))
		s.year = parseYear(&v, field("standard_year"), row.get("standard_year"))
		v.Check(s.note != "", field("note"), "required", "say where the levels come from")
		if err := v.Err(); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// hierarchyOK checks that the major, middle and minor codes are prefixes of the occupation code.
func hierarchyOK(o Occupation) bool {
	return len(o.Code) == 10 && o.MajorCode == o.Code[:1] && o.MiddleCode == o.Code[:4] && o.MinorCode == o.Code[:7]
}

// row is one data row of a CSV file, addressed by column name.
type row struct {
	line   int
	fields []string
	index  map[string]int
}

func (r row) get(col string) string {
	if i, ok := r.index[col]; ok && i < len(r.fields) {
		return strings.TrimSpace(r.fields[i])
	}
	return ""
}

// readTable reads a CSV file with a header, requiring the given columns (in any order, extra columns
// allowed). Row numbers are the file's line numbers, as a spreadsheet shows them.
func readTable(r io.Reader, required []string) ([]row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, platform.Wrap(platform.KindUnprocessable, "invalid_csv", "cannot read the CSV header", err)
	}
	index := map[string]int{}
	for i, h := range header {
		index[strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))] = i
	}
	var v platform.Validation
	for _, col := range required {
		_, ok := index[col]
		v.Check(ok, "header", "missing_column", "missing column "+col)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var rows []row
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, platform.Wrap(platform.KindUnprocessable, "invalid_csv", fmt.Sprintf("CSV syntax error on line %d", line), err)
		}
		line, _ := cr.FieldPos(0)
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // a blank line
		}
		rows = append(rows, row{line: line, fields: fields, index: index})
	}
	return rows, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "y":
		return true, nil
	case "0", "false", "no", "n", "":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", s)
}

// parseSubtypes reads "a|b|c"; "" and "--" mean none.
func parseSubtypes(v *platform.Validation, field, s string) []string {
	if s == "" || s == NoSubtype {
		return nil
	}
	parts := strings.Split(s, "|")
	seen := map[string]bool{}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if !v.Check(p != "" && p != NoSubtype, field, "empty", "a sub-type between | is empty") {
			return nil
		}
		if !v.Check(!seen[p], field, "duplicate", "sub-type "+p+" appears twice") {
			return nil
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}

// parseLevels reads "5|4|3|2|1": national levels 1..5, no repeats; returned highest number first.
func parseLevels(v *platform.Validation, field, s string) []int {
	if !v.Check(s != "", field, "required", "levels are required, e.g. 5|4|3|2|1") {
		return nil
	}
	seen := map[int]bool{}
	var out []int
	for _, p := range strings.Split(s, "|") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if !v.Check(err == nil && n >= 1 && n <= 5, field, "out_of_range", fmt.Sprintf("level %q is not one of 1..5", p)) {
			return nil
		}
		if !v.Check(!seen[n], field, "duplicate", fmt.Sprintf("level %d appears twice", n)) {
			return nil
		}
		seen[n] = true
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b int) int { return b - a })
	return out
}

// parseYear reads an edition year: empty or 0 for none, else 1949..2100.
func parseYear(v *platform.Validation, field, s string) int {
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if !v.Check(err == nil && (n == 0 || (n >= 1949 && n <= 2100)), field, "out_of_range", "standard_year is 0 or a year") {
		return 0
	}
	return n
}

// Columns is the header of the catalog exchange format read by ParseCSV and written by WriteCSV.
var Columns = []string{
	"code", "name", "major_code", "major_name", "middle_code", "middle_name", "minor_code", "minor_name",
	"is_green", "is_digital", "subtypes", "levels", "standard_year", "has_national_standard", "new", "note",
}

// maxErrors caps the field errors of one upload so a wrong file does not produce a megabyte of errors.
const maxErrors = 200

// ParseCSV reads a catalog in the exchange format (the Columns, in any order, one occupation per row;
// subtypes and levels separated by "|", "--" for no sub-type, booleans as 0/1 or true/false). A platform
// admin downloads the catalog with WriteCSV, edits it and uploads it back.
//
// Every row is checked: codes must match ^\d-\d{2}-\d{2}-\d{2}$ and be unique, the major, middle and
// minor codes must be prefixes of the code, levels must be 1..5 without repeats, the name must be given.
// All problems are reported together (up to 200) in one 422 validation_failed error whose fields name
// the line, e.g. {"field": "row 7 levels", "code": "out_of_range"}; a malformed file is invalid_csv.
func ParseCSV(r io.Reader) ([]Occupation, error) {
	rows, err := readTable(r, Columns)
	if err != nil {
		return nil, err
	}
	var v platform.Validation
	seen := map[string]int{}
	out := make([]Occupation, 0, len(rows))
	for _, row := range rows {
		if len(v.Fields) >= maxErrors {
			break
		}
		field := func(col string) string { return fmt.Sprintf("row %d %s", row.line, col) }
		o := Occupation{
			Code: row.get("code"), Name: row.get("name"),
			MajorCode: row.get("major_code"), MajorName: row.get("major_name"),
			MiddleCode: row.get("middle_code"), MiddleName: row.get("middle_name"),
			MinorCode: row.get("minor_code"), MinorName: row.get("minor_name"),
			Note: row.get("note"),
		}
		if v.Check(codePattern.MatchString(o.Code), field("code"), "format", fmt.Sprintf("code %q must look like 6-31-01-03", o.Code)) {
			if first, dup := seen[o.Code]; dup {
				v.Add(field("code"), "duplicate", fmt.Sprintf("code %s already on line %d", o.Code, first))
			} else {
				seen[o.Code] = row.line
			}
			v.Check(hierarchyOK(o), field("code"), "hierarchy", "major_code, middle_code and minor_code must be the prefixes of code")
		}
		v.Check(o.Name != "", field("name"), "required", "name is required")
		var err error
		for _, b := range []struct {
			col string
			dst *bool
		}{{"is_green", &o.IsGreen}, {"is_digital", &o.IsDigital}, {"has_national_standard", &o.HasNationalStandard}, {"new", &o.New}} {
			*b.dst, err = parseBool(row.get(b.col))
			v.Check(err == nil, field(b.col), "invalid", b.col+" must be 0/1 or true/false")
		}
		o.Subtypes = parseSubtypes(&v, field("subtypes"), row.get("subtypes"))
		o.Levels = parseLevels(&v, field("levels"), row.get("levels"))
		o.StandardYear = parseYear(&v, field("standard_year"), row.get("standard_year"))
		out = append(out, o)
	}
	if len(rows) == 0 {
		v.Add("rows", "required", "the file has no occupations")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteCSV writes occupations in the exchange format ParseCSV reads.
func WriteCSV(w io.Writer, occs []Occupation) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = false
	if err := cw.Write(Columns); err != nil {
		return err
	}
	b := func(x bool) string {
		if x {
			return "1"
		}
		return "0"
	}
	for _, o := range occs {
		sub := NoSubtype
		if len(o.Subtypes) > 0 {
			sub = strings.Join(o.Subtypes, "|")
		}
		lv := make([]string, len(o.Levels))
		for i, l := range o.Levels {
			lv[i] = strconv.Itoa(l)
		}
		rec := []string{o.Code, o.Name, o.MajorCode, o.MajorName, o.MiddleCode, o.MiddleName, o.MinorCode, o.MinorName,
			b(o.IsGreen), b(o.IsDigital), sub, strings.Join(lv, "|"), strconv.Itoa(o.StandardYear),
			b(o.HasNationalStandard), b(o.New), o.Note}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
