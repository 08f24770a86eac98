package candidates

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// ImportResult is the outcome of an import. Rows counts the data rows read (blank rows and the
// template's example row are skipped); every one of them is created, updated, unchanged or rejected.
type ImportResult struct {
	Format         string     // "csv" or "xlsx"
	SHA256         string     // of the file, as audited
	Rows           int        // data rows read
	Created        int        // new candidates
	Updated        int        // existing candidates whose data changed
	Unchanged      int        // rows identical to the stored candidate (a re-import)
	Rejected       []RowError // the first ImportLimits.MaxRejectedListed rejected rows, by row number
	RejectedTotal  int        // all rejected rows
	IgnoredColumns []string   // header cells that name no field (序号, 备注 …)
}

// RowError is one rejected row: its number as a spreadsheet shows it (the header is row 1 when it is
// the first row) and what is wrong with which field.
type RowError struct {
	Row    int
	Errors []platform.FieldError
}

// Import errors concerning the whole file.
var (
	ErrEmptyFile      = platform.Unprocessable(CodeInvalidFile, "the file is empty")
	ErrNoHeader       = platform.Unprocessable("missing_header", "no header row names the columns (姓名, 证件号码, 学历 … or name, id_number, education …)")
	ErrLegacyExcel    = platform.E(platform.KindUnsupported, "unsupported_format", "legacy .xls workbooks are not accepted; save the file as .xlsx or .csv")
	exampleNamePrefix = "【示例】" // the template's example row; rows whose name starts with it are skipped
)

// Field names of a candidate, as in the API and accepted as import headers.
const (
	fName           = "name"
	fIDType         = "id_type"
	fIDNumber       = "id_number"
	fPhone          = "phone"
	fEducation      = "education"
	fYears          = "occupation_years"
	fLevel          = "current_level"
	fLevelOn        = "current_level_obtained_on"
	fTitle          = "title_level"
	fApprenticeship = "apprenticeship_completed"
	fRelated        = "related_diploma"
	fAwards         = "awards"
	fStudentNo      = "student_no"
)

// column is one importable field: its API name, the Chinese header the template prints, and the other
// headers people use for it.
type column struct {
	field   string
	header  string
	aliases []string
}

// columns in template order.
var columns = []column{
	{fName, "姓名", []string{"考生姓名", "申报人姓名"}},
	{fIDType, "证件类型", nil},
	{fIDNumber, "证件号码", []string{"身份证号", "身份证号码", "证件号", "公民身份号码"}},
	{fPhone, "手机号", []string{"手机号码", "联系电话", "电话", "手机"}},
	{fEducation, "学历", []string{"文化程度", "最高学历"}},
	{fYears, "从事本职业年限", []string{"从事本职业工作年限", "本职业工作年限", "工作年限", "从业年限"}},
	{fLevel, "现等级", []string{"现职业技能等级", "现有等级", "现持有等级", "原等级"}},
	{fLevelOn, "现等级取得日期", []string{"取得日期", "现等级取证日期", "取证日期", "原等级取得日期"}},
	{fTitle, "职称", []string{"职称等级"}},
	{fApprenticeship, "学徒期满", []string{"是否学徒期满", "完成学徒培训", "是否完成学徒培训"}},
	{fRelated, "相关专业毕业", []string{"是否相关专业毕业", "相关专业学历", "本专业或相关专业毕业"}},
	{fAwards, "获奖情况", []string{"奖项", "获奖"}},
	{fStudentNo, "学号", []string{"学生学号"}},
}

var headerIndex = func() map[string]string {
	m := map[string]string{}
	for _, c := range columns {
		m[headerKey(c.field)] = c.field
		m[headerKey(c.header)] = c.field
		for _, a := range c.aliases {
			m[headerKey(a)] = c.field
		}
	}
	return m
}()

// headerKey folds a header cell: BOM, width, case, surrounding spaces, a required-marker "*" and a
// bracketed note ("证件号码（必填）", "现等级取得日期(YYYY-MM-DD)") do not matter.
func headerKey(s string) string {
	s = norm.NFKC.String(strings.TrimPrefix(s, "\uFEFF"))
	if i := strings.IndexByte(s, '('); i > 0 {
		s = s[:i]
	}
	s = strings.Map(func(r rune) rune {
		if r == '*' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	return s
}

// fieldSet is a set of importable fields.
type fieldSet map[string]bool

// stagedRow is a valid row waiting to be stored.
type stagedRow struct {
	Row int
	ID  uuid.UUID // used when the row creates a candidate
	In  Input
}

// importer turns the rows of one file into staged rows and rejections.
type importer struct {
	kind  tenants.Kind
	today time.Time
	lim   ImportLimits

	cols      []string // file column index → field, "" for ignored columns
	present   fieldSet
	ignored   []string
	titleRows int // rows skipped above the header

	byNumber  map[string]int // id_type:id_number → row of its first occurrence
	byStudent map[string]int
	staged    []stagedRow
	result    ImportResult
}

func newImporter(kind tenants.Kind, today time.Time, lim ImportLimits) *importer {
	return &importer{kind: kind, today: today, lim: lim, byNumber: map[string]int{}, byStudent: map[string]int{}}
}

// row takes one row of the file; the first non-blank row is the header.
func (im *importer) row(n int, cells []string) error {
	if blank(cells) {
		return nil
	}
	if im.cols == nil {
		return im.header(cells)
	}
	if strings.HasPrefix(im.at(cells, fName), exampleNamePrefix) {
		return nil
	}
	im.result.Rows++
	if im.result.Rows > im.lim.MaxRows {
		return platform.E(platform.KindTooLarge, "too_many_rows",
			fmt.Sprintf("the file has more than %d data rows; split it", im.lim.MaxRows))
	}
	in, fields := im.parse(cells)
	if len(fields) == 0 {
		in.Normalize()
		if err := in.Validate(im.kind, im.today); err != nil {
			fields = fieldsOf(err)
		}
	}
	if len(fields) == 0 {
		key := in.IDType + ":" + in.IDNumber
		if first, dup := im.byNumber[key]; dup {
			fields = append(fields, platform.FieldError{Field: fIDNumber, Code: "duplicate_in_file",
				Message: fmt.Sprintf("the same document is on row %d", first)})
		} else if first, dup := im.byStudent[in.StudentNo]; dup && in.StudentNo != "" {
			fields = append(fields, platform.FieldError{Field: fStudentNo, Code: "duplicate_in_file",
				Message: fmt.Sprintf("the same student number is on row %d", first)})
		} else {
			im.byNumber[key] = n
			if in.StudentNo != "" {
				im.byStudent[in.StudentNo] = n
			}
		}
	}
	if len(fields) > 0 {
		im.reject(n, fields)
		return nil
	}
	im.staged = append(im.staged, stagedRow{Row: n, ID: uuid.New(), In: in})
	return nil
}

func (im *importer) reject(row int, fields []platform.FieldError) {
	im.result.RejectedTotal++
	if len(im.result.Rejected) < im.lim.MaxRejectedListed {
		im.result.Rejected = append(im.result.Rejected, RowError{Row: row, Errors: fields})
	}
}

// maxTitleRows is how many rows naming no column at all may precede the header: the title a sheet
// often carries above it ("2026年第一批考生名单").
const maxTitleRows = 3

func (im *importer) header(cells []string) error {
	known := false
	for _, c := range cells {
		_, ok := headerIndex[headerKey(c)]
		known = known || ok
	}
	if !known && im.titleRows < maxTitleRows {
		im.titleRows++
		return nil
	}
	im.cols = make([]string, len(cells))
	im.present = fieldSet{}
	var v platform.Validation
	for i, c := range cells {
		f, ok := headerIndex[headerKey(c)]
		switch {
		case !ok:
			if name := strings.TrimSpace(c); name != "" && len(im.ignored) < maxIgnoredColumns {
				im.ignored = append(im.ignored, truncateRunes(name, maxColumnName))
			}
		case im.present[f]:
			v.Add(f, "duplicate_column", fmt.Sprintf("column %q names %s a second time", strings.TrimSpace(c), f))
		default:
			im.cols[i] = f
			im.present[f] = true
		}
	}
	required := []string{fName, fIDNumber, fEducation}
	if im.kind == tenants.KindSchool {
		required = append(required, fStudentNo)
	}
	for _, f := range required {
		if !im.present[f] {
			v.Add(f, "missing_column", "the header has no column for "+f+" ("+headerOf(f)+")")
		}
	}
	if len(v.Fields) > 0 {
		return &platform.Error{Kind: platform.KindUnprocessable, Code: "invalid_header",
			Message: "the header row is missing or repeats columns", Fields: v.Fields}
	}
	return nil
}

func headerOf(field string) string {
	for _, c := range columns {
		if c.field == field {
			return c.header
		}
	}
	return field
}

// at returns the trimmed cell of field in a row, "" when the column is absent or the row short.
func (im *importer) at(cells []string, field string) string {
	for i, f := range im.cols {
		if f == field {
			if i < len(cells) {
				return strings.TrimSpace(cells[i])
			}
			return ""
		}
	}
	return ""
}

// parse converts the cells of a row to an Input, collecting cells that cannot be read.
func (im *importer) parse(cells []string) (Input, []platform.FieldError) {
	var in Input
	var v platform.Validation
	for i, f := range im.cols {
		if f == "" || i >= len(cells) {
			continue
		}
		s := strings.TrimSpace(cells[i])
		switch f {
		case fName:
			in.Name = s
		case fIDType:
			if s == "" {
				break
			}
			if c, ok := idTypes.lookup(s); ok {
				in.IDType = c
			} else {
				v.Add(f, "invalid", "unknown ID type "+s+"; use one of: "+strings.Join(idTypes.labels(), "、"))
			}
		case fIDNumber:
			if strings.ContainsAny(s, "Ee") && strings.Contains(s, "+") {
				v.Add(f, CodeIDFormat, "the cell holds a number in scientific notation: format the column as text and re-enter the number")
				break
			}
			in.IDNumber = s
		case fPhone:
			in.Phone = s
		case fEducation:
			if s == "" {
				break
			}
			if c, ok := educations.lookup(s); ok {
				in.Education = c
			} else {
				v.Add(f, "invalid", "unknown education "+s+"; use one of: "+strings.Join(educations.labels(), "、"))
			}
		case fYears:
			if s == "" {
				break
			}
			n, ok := parseYears(s)
			if v.Check(ok, f, "format", "a whole number of years is expected, got "+s) {
				in.OccupationYears = n
			}
		case fLevel:
			if s == "" {
				break
			}
			if n, ok := levelNames[vocabKey(s)]; ok {
				in.CurrentLevel = n
			} else {
				v.Add(f, "invalid", "unknown level "+s+"; use 五级/初级工 … 一级/高级技师, 5 … 1, or leave empty")
			}
		case fLevelOn:
			if s == "" {
				break
			}
			if d, ok := parseCellDate(s); ok {
				in.CurrentLevelObtainedOn = &d
			} else {
				v.Add(f, "format", "a date like 2020-06-01 is expected, got "+s)
			}
		case fTitle:
			if s == "" || s == "无" {
				break
			}
			if c, ok := titleLevels.lookup(s); ok {
				in.TitleLevel = c
			} else {
				v.Add(f, "invalid", "unknown title grade "+s+"; use one of: "+strings.Join(titleLevels.labels(), "、"))
			}
		case fApprenticeship, fRelated:
			b, ok := parseBool(s)
			if !v.Check(ok, f, "format", "是 or 否 is expected, got "+s) {
				break
			}
			if f == fApprenticeship {
				in.ApprenticeshipCompleted = b
			} else {
				in.RelatedDiploma = b
			}
		case fAwards:
			for _, part := range strings.FieldsFunc(s, isListSeparator) {
				part = strings.TrimSpace(part)
				if part == "" || part == "无" {
					continue
				}
				if c, ok := awardKinds.lookup(part); ok {
					in.Awards = append(in.Awards, c)
				} else {
					v.Add(f, "invalid", "unknown award "+part+"; use one of: "+strings.Join(awardKinds.labels(), "、"))
				}
			}
		case fStudentNo:
			in.StudentNo = s
		}
	}
	return in, v.Fields
}

func isListSeparator(r rune) bool {
	switch r {
	case ',', '，', ';', '；', '、', '\n', '|':
		return true
	}
	return false
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseYears reads a whole number of years: "6", "6.0" (a spreadsheet number), "6年".
func parseYears(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(norm.NFKC.String(s)), "年")
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f > MaxOccupationYears {
		return 0, false
	}
	return int(f), true
}

var trueWords = map[string]bool{"是": true, "y": true, "yes": true, "true": true, "1": true, "有": true, "√": true, "✓": true}
var falseWords = map[string]bool{"否": true, "n": true, "no": true, "false": true, "0": true, "无": true, "": true, "×": true}

func parseBool(s string) (value, ok bool) {
	s = strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
	switch {
	case trueWords[s]:
		return true, true
	case falseWords[s]:
		return false, true
	}
	return false, false
}

var dateLayouts = []string{"2006-01-02", "2006/01/02", "2006-1-2", "2006/1/2", "2006.1.2", "2006.01.02", "20060102",
	"2006年1月2日", "2006年01月02日", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00"}

// parseCellDate reads a date as spreadsheets hold it: ISO and Chinese forms, or an Excel serial day
// number (a date cell read raw, e.g. 43983 for 2020-06-01).
func parseCellDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(norm.NFKC.String(s))
	for _, l := range dateLayouts {
		if d, err := time.Parse(l, s); err == nil {
			return civilDate(d), true
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < 100000 {
		if d, err := excelize.ExcelDateToTime(f, false); err == nil {
			return civilDate(d), true
		}
	}
	return time.Time{}, false
}

// Import formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// detectFormat names the format of an upload by its content, the file name only breaking ties: a ZIP
// is read as XLSX, an OLE compound file is a legacy .xls, anything else is CSV text.
func detectFormat(name string, data []byte) (string, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return "", ErrEmptyFile
	case bytes.HasPrefix(data, zipMagic):
		return FormatXLSX, nil
	case bytes.HasPrefix(data, oleMagic):
		return "", ErrLegacyExcel
	case ext == ".xlsx" || ext == ".xlsm":
		return "", invalidFile("the file is named .xlsx but is not an XLSX workbook", nil)
	}
	return FormatCSV, nil
}

// Import reads candidates from an XLSX or CSV file (columns as in the template, Chinese headers or the
// API's field names) and stores the valid rows in one transaction: new documents are created, known
// ones updated when their data changed (columns absent from the file keep their stored values), and
// the rest reported as unchanged — so importing the same file twice creates nothing the second time.
// Bad rows are reported by row number and field, and do not stop the good ones. The import is audited
// as one entry (counts and the file's SHA-256); candidates whose data changed are passed to the
// ChangeListener. Whole-file problems (format, header, size, archive bombs) fail the import.
func (s *Service) Import(ctx context.Context, name string, data []byte) (ImportResult, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	format, err := detectFormat(name, data)
	if err != nil {
		return ImportResult{}, err
	}
	im := newImporter(scope.Kind, s.now().In(China), s.Limits)
	release, err := readUpload(ctx, format, data, s.Limits, im.row)
	if err != nil {
		return ImportResult{}, err
	}
	defer release() // the staged rows are held until stored
	if im.cols == nil {
		return ImportResult{}, ErrNoHeader
	}
	im.result.Format, im.result.SHA256, im.result.IgnoredColumns = format, sha256Hex(data), im.ignored
	if r := []rune(filepath.Base(name)); len(r) > 200 {
		name = string(r[:200])
	}
	if err := s.store(ctx, scope, im, filepath.Base(name)); err != nil {
		return ImportResult{}, err
	}
	slices.SortFunc(im.result.Rejected, func(a, b RowError) int { return a.Row - b.Row })
	return im.result, nil
}

// The import answer names the header cells it ignored, bounded so that a file with a huge or endless
// header row can't make the answer huge: the first maxIgnoredColumns, each cut to maxColumnName runes.
const (
	maxIgnoredColumns = 50
	maxColumnName     = 64
)

// truncateRunes cuts s to at most n runes, marking a cut with "…".
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
