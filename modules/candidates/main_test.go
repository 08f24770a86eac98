package candidates

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/xuri/excelize/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// newTenant inserts a tenant of kind directly (the directory module is not under test here) and returns
// its scope.
func newTenant(tb testing.TB, db *bun.DB, kind tenants.Kind) tenants.Scope {
	tb.Helper()
	id := uuid.New()
	slug := "cand-" + strings.ReplaceAll(id.String()[:13], "-", "")
	if _, err := db.ExecContext(context.Background(),
		"INSERT INTO tenants (id, slug, name, kind, region_code) VALUES (?, ?, ?, ?, ?)",
		id, slug, "Test "+slug, string(kind), "110105"); err != nil {
		tb.Fatal(err)
	}
	return tenants.Scope{TenantID: id, Kind: kind, RegionCode: "110105", Slug: slug}
}

func ctxOf(s tenants.Scope) context.Context {
	return tenants.WithActor(tenants.WithScope(context.Background(), s), tenants.Actor{Name: "system:test"})
}

// residentID returns the n-th of a family of distinct valid resident ID numbers (n < 1,000,000).
func residentID(n int) string {
	birth := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/1000)
	body := fmt.Sprintf("110105%s%03d", birth.Format("20060102"), n%1000)
	c, err := ResidentIDCheckChar(body)
	if err != nil {
		panic(err)
	}
	return body + string(c)
}

// badCheck returns id with a wrong check character.
func badCheck(id string) string {
	last := id[17]
	for _, c := range "0123456789X" {
		if byte(c) != last {
			return id[:17] + string(c)
		}
	}
	return id
}

func date(s string) *time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &d
}

// validInput is a valid input for an enterprise.
func validInput(n int) Input {
	return Input{Name: "张三" + strconv.Itoa(n), IDType: IDTypeResident, IDNumber: residentID(n), Phone: "13800138000",
		Education: EduSecondaryVocational, OccupationYears: 6, CurrentLevel: 5, CurrentLevelObtainedOn: date("2020-06-01")}
}

func mustFail(tb testing.TB, err error, kind platform.Kind, code string) *platform.Error {
	tb.Helper()
	if err == nil {
		tb.Fatalf("no error, want %s", code)
	}
	pe, ok := err.(*platform.Error)
	if !ok {
		tb.Fatalf("error %T %v is not a platform error", err, err)
	}
	if pe.Kind != kind || pe.Code != code {
		tb.Fatalf("error kind %d code %q (%v), want kind %d code %q", pe.Kind, pe.Code, err, kind, code)
	}
	return pe
}

// fieldCodes returns field → code of a validation error.
func fieldCodes(err error) map[string]string {
	out := map[string]string{}
	for _, f := range fieldsOf(err) {
		out[f.Field] = f.Code
	}
	return out
}

// csvFile renders rows as CSV.
func csvFile(tb testing.TB, rows [][]string) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// xlsxFile renders rows into the first sheet of a workbook through the stream writer; cells that are
// time.Time become date cells, ints numbers.
func xlsxFile(tb testing.TB, rows [][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

var headerZH = []string{"姓名", "证件类型", "证件号码", "手机号", "学历", "从事本职业年限", "现等级", "现等级取得日期"}

// bulkCSV is a CSV of n valid rows with ID numbers from offset on.
func bulkCSV(tb testing.TB, offset, n int) []byte {
	tb.Helper()
	rows := make([][]string, 0, n+1)
	rows = append(rows, headerZH)
	for i := 0; i < n; i++ {
		rows = append(rows, []string{"考生" + strconv.Itoa(offset+i), "居民身份证", residentID(offset + i), "13800138000",
			"中专", "6", "五级/初级工", "2020-06-01"})
	}
	return csvFile(tb, rows)
}

// bulkXLSX is a workbook of n valid rows with ID numbers from offset on.
func bulkXLSX(tb testing.TB, offset, n int) []byte {
	tb.Helper()
	rows := make([][]any, 0, n+1)
	h := make([]any, len(headerZH))
	for i, s := range headerZH {
		h[i] = s
	}
	rows = append(rows, h)
	obtained := time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		rows = append(rows, []any{"考生" + strconv.Itoa(offset+i), "居民身份证", residentID(offset + i), "13800138000",
			"中专", 6, "五级/初级工", obtained})
	}
	return xlsxFile(tb, rows)
}

func pngBytes(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// countCandidates counts a tenant's candidates, bypassing the service.
func countCandidates(tb testing.TB, db *bun.DB, tenantID uuid.UUID) int {
	tb.Helper()
	n, err := db.NewSelect().Table("candidates").Where("tenant_id = ?", tenantID).Count(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return int(n)
}
