package candidates

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// rejections returns row → field → code of an import's rejected rows.
func rejections(r ImportResult) map[int]map[string]string {
	out := map[int]map[string]string{}
	for _, re := range r.Rejected {
		out[re.Row] = map[string]string{}
		for _, f := range re.Errors {
			out[re.Row][f.Field] = f.Code
		}
	}
	return out
}

func wantCounts(t *testing.T, r ImportResult, rows, created, updated, unchanged, rejected int) {
	t.Helper()
	if r.Rows != rows || r.Created != created || r.Updated != updated || r.Unchanged != unchanged || r.RejectedTotal != rejected {
		t.Fatalf("rows %d created %d updated %d unchanged %d rejected %d; want %d %d %d %d %d (rejected: %+v)",
			r.Rows, r.Created, r.Updated, r.Unchanged, r.RejectedTotal, rows, created, updated, unchanged, rejected, r.Rejected)
	}
}

// mixedRows is a sheet with good and bad rows; the comments give each row's number.
func mixedRows() [][]string {
	return [][]string{
		{"序号", "姓名*", "证件类型", "证件号码（必填）", "手机号", "学历", "从事本职业年限", "现等级", "现等级取得日期", "职称", "获奖情况", "相关专业毕业"}, // 1
		{"1", "张三", "身份证", residentID(1000), "13800138000", "中专", "6", "五级/初级工", "2020-06-01", "", "", "是"}, // 2 good
		{"2", "李四", "", badCheck(residentID(1001)), "", "大专", "3", "", "", "", "", ""},                      // 3 checksum
		{"", "", "", "", "", "", "", "", "", "", "", ""}, // 4 blank: skipped
		{"3", "王五", "护照", "e1234５678", "", "本科", "2", "", "", "中级职称", "省级竞赛、企业竞赛", "否"},                                          // 5 good, normalized
		{"4", "赵六", "居民身份证", strings.ToLower(residentID(1002)[:17]) + "x", "", "博士后", "x", "九级", "2020-13-01", "", "诺贝尔奖", "也许"}, // 6 many bad cells
		{"5", "", "居民身份证", residentID(1003), "", "高中", "1", "", "", "", "", ""},                                                  // 7 no name
		{"6", "张三同号", "居民身份证", residentID(1000), "", "高中", "1", "", "", "", "", ""},                                              // 8 duplicate of row 2
		{"7", "钱七", "", "１１０１０５" + residentID(1004)[6:], "", "初中", "10", "四级", "2019/5/1", "", "", ""},                           // 9 good, full-width
		{"8", "【示例】张三", "居民身份证", residentID(1005), "", "中专", "6", "", "", "", "", ""},                                            // 10 example: skipped
		{"9", "孙八", "居民身份证", "1.10105196001010E+17", "", "高中", "1", "", "", "", "", ""},                                          // 11 number cell
	}
}

func TestImportCSVGoodAndBadRows(t *testing.T) {
	svc, db := newService(t)
	scope := newTenant(t, db, tenants.KindEnterprise)
	ctx := ctxOf(scope)
	res, err := svc.Import(ctx, "考生.csv", csvFile(t, mixedRows()))
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, res, 8, 3, 0, 0, 5)
	rej := rejections(res)
	want := map[int]map[string]string{
		3:  {"id_number": "checksum"},
		6:  {"education": "invalid", "occupation_years": "format", "current_level": "invalid", "current_level_obtained_on": "format", "awards": "invalid", "related_diploma": "format"},
		7:  {"name": "required"},
		8:  {"id_number": "duplicate_in_file"},
		11: {"id_number": "format"},
	}
	if len(rej) != len(want) {
		t.Fatalf("rejected rows %v, want %v", rej, want)
	}
	for row, fields := range want {
		for f, c := range fields {
			if rej[row][f] != c {
				t.Fatalf("row %d field %s: %q, want %q (row: %v)", row, f, rej[row][f], c, rej[row])
			}
		}
	}
	if res.Format != FormatCSV || len(res.IgnoredColumns) != 1 || res.IgnoredColumns[0] != "序号" {
		t.Fatalf("format %s ignored %v", res.Format, res.IgnoredColumns)
	}
	p, err := svc.List(ctx, platform.PageRequest{Limit: 5}, ListFilter{Q: "王五"})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("王五: %v %v", p.Items, err)
	}
	w := p.Items[0]
	if w.IDType != IDTypePassport || w.IDNumber != "E12345678" || w.Education != EduBachelor || w.TitleLevel != TitleIntermediate ||
		strings.Join(w.Awards, ",") != "provincial_competition,enterprise_competition" || w.RelatedDiploma {
		t.Fatalf("王五 stored as %+v", w)
	}
	p, _ = svc.List(ctx, platform.PageRequest{Limit: 5}, ListFilter{Q: residentID(1004)})
	if len(p.Items) != 1 || p.Items[0].CurrentLevel != 4 || p.Items[0].CurrentLevelObtainedOn.Format(time.DateOnly) != "2019-05-01" {
		t.Fatalf("钱七: %+v", p.Items)
	}
}

func TestImportXLSXGoodAndBadRows(t *testing.T) {
	svc, db := newService(t)
	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	var rows [][]any
	for _, r := range mixedRows() {
		cells := make([]any, len(r))
		for i := range r {
			cells[i] = r[i]
		}
		rows = append(rows, cells)
	}
	// Spreadsheet-typed cells: a number of years and a real date cell.
	rows[1][6] = 6
	rows[1][8] = time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)
	res, err := svc.Import(ctx, "考生.xlsx", xlsxFile(t, rows))
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, res, 8, 3, 0, 0, 5)
	rej := rejections(res)
	for _, row := range []int{3, 6, 7, 8, 11} {
		if rej[row] == nil {
			t.Fatalf("row %d not rejected; rejected %v", row, rej)
		}
	}
	p, _ := svc.List(ctx, platform.PageRequest{Limit: 5}, ListFilter{Q: residentID(1000)})
	if len(p.Items) != 1 || p.Items[0].OccupationYears != 6 || p.Items[0].CurrentLevelObtainedOn.Format(time.DateOnly) != "2020-06-01" {
		t.Fatalf("张三 from XLSX: %+v", p.Items)
	}
	if res.Format != FormatXLSX {
		t.Fatalf("format %s", res.Format)
	}
}

func TestImportRowNumbersSkipEmptyXLSXRows(t *testing.T) {
	svc, db := newService(t)
	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	f := excelize.NewFile()
	defer f.Close()
	set := func(cell string, v any) {
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "name")
	set("B1", "id_number")
	set("C1", "education")
	set("A2", "好人")
	set("B2", residentID(1100))
	set("C2", "bachelor")
	// Rows 3–6 do not exist in the sheet at all.
	set("A7", "坏人")
	set("B7", badCheck(residentID(1101)))
	set("C7", "bachelor")
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Import(ctx, "x.xlsx", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || len(res.Rejected) != 1 || res.Rejected[0].Row != 7 {
		t.Fatalf("result %+v", res)
	}
}

func TestImportIsIdempotentAndUpdatesChangedRows(t *testing.T) {
	for _, path := range []string{"copy", "batched"} {
		t.Run(path, func(t *testing.T) {
			_, db := newService(t)
			l := &recordingListener{}
			svc := NewService(db, Deps{Changes: l})
			svc.forceBatched = path == "batched"
			scope := newTenant(t, db, tenants.KindEnterprise)
			ctx := ctxOf(scope)
			file := bulkCSV(t, 2000, 20)
			res, err := svc.Import(ctx, "a.csv", file)
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, res, 20, 20, 0, 0, 0)
			res, err = svc.Import(ctx, "a.csv", file)
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, res, 20, 0, 0, 20, 0)
			if n := countCandidates(t, db, scope.TenantID); n != 20 {
				t.Fatalf("%d candidates after importing the same file twice", n)
			}
			if len(l.ids) != 0 {
				t.Fatalf("listener called for unchanged rows: %v", l.ids)
			}
			// One changed row (a new phone), one new row; phone typed differently on another row is no change.
			rows := [][]string{headerZH,
				{"考生2000", "居民身份证", residentID(2000), "13900139000", "中专", "6", "五级/初级工", "2020-06-01"},
				{"考生2001", "居民身份证", residentID(2001), "138 0013 8000", "中专", "6", "五级/初级工", "2020-06-01"},
				{"新考生", "居民身份证", residentID(2100), "", "本科", "1", "", ""},
			}
			res, err = svc.Import(ctx, "b.csv", csvFile(t, rows))
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, res, 3, 1, 1, 1, 0)
			changed, _ := svc.List(ctx, platform.PageRequest{Limit: 1}, ListFilter{Q: residentID(2000)})
			if changed.Items[0].Phone != "13900139000" || !changed.Items[0].UpdatedAt.After(changed.Items[0].CreatedAt) {
				t.Fatalf("changed row %+v", changed.Items[0])
			}
			if len(l.ids) != 1 || l.ids[0] != changed.Items[0].ID {
				t.Fatalf("listener heard %v, want only %s", l.ids, changed.Items[0].ID)
			}
			// Columns absent from a file keep their stored values.
			res, err = svc.Import(ctx, "c.csv", csvFile(t, [][]string{{"name", "id_number", "education"},
				{"考生2002", residentID(2002), "bachelor"}}))
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, res, 1, 0, 1, 0, 0)
			kept, _ := svc.List(ctx, platform.PageRequest{Limit: 1}, ListFilter{Q: residentID(2002)})
			if c := kept.Items[0]; c.Education != EduBachelor || c.Phone != "13800138000" || c.CurrentLevel != 5 || c.OccupationYears != 6 {
				t.Fatalf("absent columns were overwritten: %+v", c)
			}
		})
	}
}

func TestImportIsAuditedOnce(t *testing.T) {
	svc, db := newService(t)
	scope := newTenant(t, db, tenants.KindEnterprise)
	file := bulkCSV(t, 2500, 30)
	if _, err := svc.Import(ctxOf(scope), "考生名单.csv", file); err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		Action string `bun:"action"`
		Target string `bun:"target_id"`
		After  string `bun:"after"`
	}
	if err := db.NewSelect().Table("audit_log").Column("action", "target_id").ColumnExpr("after::text AS after").
		Where("tenant_id = ?", scope.TenantID).Scan(context.Background(), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != "candidate.import" || entries[0].Target != sha256Hex(file) ||
		!strings.Contains(entries[0].After, `"created": 30`) || !strings.Contains(entries[0].After, "考生名单.csv") {
		t.Fatalf("audit entries %+v", entries)
	}
}

func TestImportEncodingsAndHeaders(t *testing.T) {
	rows := [][]string{headerZH, {"张三", "居民身份证", residentID(3000), "", "高中", "0", "", ""}}
	plain := csvFile(t, rows)
	gbk, err := simplifiedchinese.GB18030.NewEncoder().Bytes(plain)
	if err != nil {
		t.Fatal(err)
	}
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range string(bytes.ReplaceAll(plain, []byte(","), []byte("\t"))) {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"utf-8", plain},
		{"utf-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, plain...)},
		{"gb18030", gbk},
		{"utf-16 tab-separated", utf16},
		{"semicolons", bytes.ReplaceAll(plain, []byte(","), []byte(";"))},
		{"api field names", csvFile(t, [][]string{{"name", "ID_Type", "id_number", "education", "occupation_years"},
			{"张三", "resident_id", residentID(3000), "senior_high", "0"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, db := newService(t)
			ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
			res, err := svc.Import(ctx, "a.csv", tt.data)
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, res, 1, 1, 0, 0, 0)
			p, _ := svc.List(ctx, platform.PageRequest{Limit: 2}, ListFilter{})
			if p.Items[0].Name != "张三" || p.Items[0].Education != EduSeniorHigh {
				t.Fatalf("stored %+v", p.Items[0])
			}
		})
	}
}

func TestImportWholeFileErrors(t *testing.T) {
	svc, db := newService(t)
	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	tests := []struct {
		name       string
		file       string
		data       []byte
		kind       platform.Kind
		code       string
		wantFields []string
	}{
		{"empty", "a.csv", []byte(" \n"), platform.KindUnprocessable, "invalid_file", nil},
		{"no header", "a.csv", []byte("a,b\nc,d\n"), platform.KindUnprocessable, "missing_header", nil},
		{"unknown columns only", "a.csv", []byte("t\nt\nt\nfoo,bar\n1,2\n"), platform.KindUnprocessable, "invalid_header", []string{"name"}},
		{"missing columns", "a.csv", []byte("姓名,手机号\n张三,13800138000\n"), platform.KindUnprocessable, "invalid_header",
			[]string{"id_number", "education"}},
		{"duplicate column", "a.csv", []byte("姓名,name,证件号码,学历\n"), platform.KindUnprocessable, "invalid_header", []string{"name"}},
		{"legacy xls", "a.xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...),
			platform.KindUnsupported, "unsupported_format", nil},
		{"xlsx that is not", "a.xlsx", []byte("姓名,证件号码\n"), platform.KindUnprocessable, "invalid_file", nil},
		{"broken zip", "a.xlsx", append([]byte("PK\x03\x04"), make([]byte, 100)...), platform.KindUnprocessable, "invalid_file", nil},
		{"binary", "a.csv", []byte{0x00, 0x01, 0x02, 0xFF, 0xFE}, platform.KindUnprocessable, "invalid_file", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Import(ctx, tt.file, tt.data)
			pe := mustFail(t, err, tt.kind, tt.code)
			for _, f := range tt.wantFields {
				found := false
				for _, fe := range pe.Fields {
					found = found || fe.Field == f
				}
				if !found {
					t.Fatalf("field %s not reported: %+v", f, pe.Fields)
				}
			}
		})
	}
}

func TestCSVRowNumbers(t *testing.T) {
	data := []byte("h1,h2\n\na,\"two\nlines\"\n\n\nb,c\r\n\"x\",y")
	var got []string
	if err := readCSV(data, func(row int, cells []string) error {
		got = append(got, fmt.Sprintf("%d:%s", row, cells[0]))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Row 2 is blank; "a" spans two lines but is row 3; rows 4 and 5 are blank.
	if strings.Join(got, " ") != "1:h1 3:a 6:b 7:x" {
		t.Fatalf("rows %v", got)
	}
}

func TestImportSkipsATitleAboveTheHeader(t *testing.T) {
	svc, db := newService(t)
	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	rows := [][]string{{"2026年第一批考生名单"}, {}, {"姓名", "证件号码", "学历"}, {"张三", residentID(3600), "高中"},
		{"李四", badCheck(residentID(3601)), "高中"}}
	res, err := svc.Import(ctx, "a.csv", csvFile(t, rows))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || len(res.Rejected) != 1 || res.Rejected[0].Row != 5 {
		t.Fatalf("result %+v", res)
	}
}

func TestImportRowLimit(t *testing.T) {
	svc, db := newService(t)
	scope := newTenant(t, db, tenants.KindEnterprise)
	svc.Limits.MaxRows = 10
	_, err := svc.Import(ctxOf(scope), "a.csv", bulkCSV(t, 3500, 11))
	mustFail(t, err, platform.KindTooLarge, "too_many_rows")
	if n := countCandidates(t, db, scope.TenantID); n != 0 {
		t.Fatalf("a refused file stored %d rows", n)
	}
	res, err := svc.Import(ctxOf(scope), "a.csv", bulkCSV(t, 3500, 10))
	if err != nil || res.Created != 10 {
		t.Fatalf("10 rows at the limit: %+v %v", res, err)
	}
}

func TestImportSchoolStudentNumbers(t *testing.T) {
	for _, path := range []string{"copy", "batched"} {
		t.Run(path, func(t *testing.T) {
			svc, db := newService(t)
			svc.forceBatched = path == "batched"
			ctx := ctxOf(newTenant(t, db, tenants.KindSchool))
			_, err := svc.Import(ctx, "a.csv", bulkCSV(t, 4000, 1))
			pe := mustFail(t, err, platform.KindUnprocessable, "invalid_header")
			if pe.Fields[0].Field != "student_no" {
				t.Fatalf("fields %+v", pe.Fields)
			}
			h := []string{"姓名", "证件号码", "学历", "学号"}
			res, err := svc.Import(ctx, "a.csv", csvFile(t, [][]string{h,
				{"甲", residentID(4000), "技工学校", "S001"},
				{"乙", residentID(4001), "技工学校", "S002"},
				{"丙", residentID(4002), "技工学校", ""},     // 4: required
				{"丁", residentID(4003), "技工学校", "S001"}, // 5: in file twice
			}))
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, res, 4, 2, 0, 0, 2)
			if rej := rejections(res); rej[4]["student_no"] != "required" || rej[5]["student_no"] != "duplicate_in_file" {
				t.Fatalf("rejected %v", rej)
			}
			// A later file giving 乙's number to someone else rejects that row only.
			res, err = svc.Import(ctx, "b.csv", csvFile(t, [][]string{h,
				{"戊", residentID(4004), "技工学校", "S002"},
				{"己", residentID(4005), "技工学校", "S003"},
			}))
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, res, 2, 1, 0, 0, 1)
			if rej := rejections(res); rej[2]["student_no"] != "duplicate" {
				t.Fatalf("rejected %v", rej)
			}
		})
	}
}

func TestImportTemplateRoundTrip(t *testing.T) {
	for _, kind := range []tenants.Kind{tenants.KindEnterprise, tenants.KindSchool} {
		t.Run(string(kind), func(t *testing.T) {
			svc, db := newService(t)
			ctx := ctxOf(newTenant(t, db, kind))
			tpl, err := ImportTemplate(kind)
			if err != nil {
				t.Fatal(err)
			}
			// The template as downloaded imports nothing: its example row is skipped.
			res, err := svc.Import(ctx, "template.xlsx", tpl)
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, res, 0, 0, 0, 0, 0)
			f, err := excelize.OpenReader(bytes.NewReader(tpl))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sheets := f.GetSheetList()
			if sheets[0] != templateSheet || len(sheets) != 2 {
				t.Fatalf("sheets %v", sheets)
			}
			headers, _ := f.GetRows(templateSheet)
			if headers[0][0] != "姓名*" || headers[0][2] != "证件号码*" || (kind == tenants.KindSchool) != strings.Contains(strings.Join(headers[0], ","), "学号") {
				t.Fatalf("headers %v", headers[0])
			}
			dvs, err := f.GetDataValidations(templateSheet)
			if err != nil || len(dvs) < 4 {
				t.Fatalf("data validations %d %v", len(dvs), err)
			}
			// Filling the template's columns as staff would (the example row turned into a real one) imports.
			example := exampleRow(kind)
			for i, c := range templateColumns(kind) {
				cell, _ := excelize.CoordinatesToCellName(i+1, 3)
				v := example[c.field]
				if c.field == fName {
					v = "真实考生"
				}
				if err := f.SetCellStr(templateSheet, cell, v); err != nil {
					t.Fatal(err)
				}
			}
			buf, _ := f.WriteToBuffer()
			res, err = svc.Import(ctx, "filled.xlsx", buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, res, 1, 1, 0, 0, 0)
		})
	}
}

func TestImportRejectedListIsCapped(t *testing.T) {
	svc, db := newService(t)
	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	svc.Limits.MaxRejectedListed = 3
	rows := [][]string{{"姓名", "证件号码", "学历"}}
	for i := 0; i < 10; i++ {
		rows = append(rows, []string{"某", badCheck(residentID(5000 + i)), "高中"})
	}
	res, err := svc.Import(ctx, "a.csv", csvFile(t, rows))
	if err != nil {
		t.Fatal(err)
	}
	if res.RejectedTotal != 10 || len(res.Rejected) != 3 || res.Rejected[0].Row != 2 {
		t.Fatalf("rejected %d listed %d first %+v", res.RejectedTotal, len(res.Rejected), res.Rejected)
	}
}

// bulkListener counts bulk notifications.
type bulkListener struct {
	recordingListener
	bulk [][]uuid.UUID
}

func (l *bulkListener) CandidatesChanged(_ context.Context, _ bun.IDB, ids []uuid.UUID) error {
	l.bulk = append(l.bulk, ids)
	return nil
}

func TestImportUsesBulkListener(t *testing.T) {
	_, db := newService(t)
	l := &bulkListener{}
	svc := NewService(db, Deps{Changes: l})
	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	if _, err := svc.Import(ctx, "a.csv", bulkCSV(t, 6000, 5)); err != nil {
		t.Fatal(err)
	}
	changed := bytes.ReplaceAll(bulkCSV(t, 6000, 5), []byte("13800138000"), []byte("13900139000"))
	if _, err := svc.Import(ctx, "b.csv", changed); err != nil {
		t.Fatal(err)
	}
	if len(l.bulk) != 1 || len(l.bulk[0]) != 5 || len(l.ids) != 0 {
		t.Fatalf("bulk calls %v, single calls %v", l.bulk, l.ids)
	}
}

func TestImport50000RowsCSV(t *testing.T) {
	if testing.Short() {
		t.Skip("large import")
	}
	svc, db := newService(t)
	scope := newTenant(t, db, tenants.KindEnterprise)
	file := bulkCSV(t, 100_000, 50_000)
	res, err := svc.Import(ctxOf(scope), "50k.csv", file)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, res, 50_000, 50_000, 0, 0, 0)
	if n := countCandidates(t, db, scope.TenantID); n != 50_000 {
		t.Fatalf("%d stored", n)
	}
}

func TestImport10000RowsXLSX(t *testing.T) {
	if testing.Short() {
		t.Skip("large import")
	}
	svc, db := newService(t)
	scope := newTenant(t, db, tenants.KindEnterprise)
	file := bulkXLSX(t, 200_000, 10_000)
	res, err := svc.Import(ctxOf(scope), "10k.xlsx", file)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, res, 10_000, 10_000, 0, 0, 0)
	if n := countCandidates(t, db, scope.TenantID); n != 10_000 {
		t.Fatalf("%d stored", n)
	}
	// And again: nothing new.
	res, err = svc.Import(ctxOf(scope), "10k.xlsx", file)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, res, 10_000, 0, 0, 10_000, 0)
}

func TestParseCellValues(t *testing.T) {
	dates := map[string]string{"2020-06-01": "2020-06-01", "2020/6/1": "2020-06-01", "2020.06.01": "2020-06-01",
		"2020年6月1日": "2020-06-01", "20200601": "2020-06-01", "43983": "2020-06-01", "２０２０－０６－０１": "2020-06-01"}
	for in, want := range dates {
		d, ok := parseCellDate(in)
		if !ok || d.Format(time.DateOnly) != want {
			t.Errorf("parseCellDate(%q) = %v %v, want %s", in, d, ok, want)
		}
	}
	for _, bad := range []string{"2020-13-01", "June 1", "-5"} {
		if _, ok := parseCellDate(bad); ok {
			t.Errorf("parseCellDate(%q) accepted", bad)
		}
	}
	years := map[string]int{"6": 6, "6.0": 6, "６年": 6, "0": 0}
	for in, want := range years {
		if n, ok := parseYears(in); !ok || n != want {
			t.Errorf("parseYears(%q) = %d %v", in, n, ok)
		}
	}
	for _, bad := range []string{"6.5", "x"} {
		if _, ok := parseYears(bad); ok {
			t.Errorf("parseYears(%q) accepted", bad)
		}
	}
	for in, want := range map[string]int{"五级/初级工": 5, "四级": 4, "技师": 2, "一级／高级技师": 1, "3": 3, "特级技师": 7} {
		if got, ok := levelNames[vocabKey(in)]; !ok || got != want {
			t.Errorf("level %q = %d %v, want %d", in, got, ok, want)
		}
	}
	if k := headerKey("\uFEFF证件号码（必填）*"); k != "证件号码" {
		t.Errorf("headerKey = %q", k)
	}
	if fmt.Sprint(sniffDelimiter("a\tb\tc,d")) != fmt.Sprint('\t') {
		t.Error("tab not sniffed")
	}
}

// TestCopyTransactionIsScoped proves that the import's own transaction (opened on a dedicated
// connection for COPY) runs like tenants.WithTx: as the application role, for the tenant, under RLS.
func TestCopyTransactionIsScoped(t *testing.T) {
	svc, db := newService(t)
	a := newTenant(t, db, tenants.KindEnterprise)
	b := newTenant(t, db, tenants.KindEnterprise)
	if _, err := svc.Create(ctxOf(b), validInput(7000)); err != nil {
		t.Fatal(err)
	}
	err := svc.withCopyTx(ctxOf(a), a, func(ctx context.Context, tx bun.Tx, _ copyFunc) error {
		var role, tenant string
		if err := tx.QueryRowContext(ctx, "SELECT current_user, current_setting('app.tenant_id')").Scan(&role, &tenant); err != nil {
			return err
		}
		if role != tenants.AppRole || tenant != a.TenantID.String() {
			t.Fatalf("role %q tenant %q", role, tenant)
		}
		n, err := tx.NewSelect().Table("candidates").Where("tenant_id = ?", b.TenantID).Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("another tenant's rows visible: %d %v", n, err)
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT probe"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO candidates (id, tenant_id, name, name_key, id_type, id_number, education, created_at, updated_at) VALUES (?, ?, 'x', 'x', 'passport', 'E1', 'college', now(), now())",
			uuid.New(), b.TenantID)
		if err == nil {
			t.Fatal("wrote into another tenant")
		}
		_, err = tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT probe")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
