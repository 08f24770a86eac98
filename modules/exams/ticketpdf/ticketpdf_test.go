package ticketpdf

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/platform"
)

var (
	once   sync.Once
	shared *Renderer
	errNew error
)

// mustRenderer is the renderer of this machine's fonts; without a CJK font it skips, except in CI.
func mustRenderer(tb testing.TB) *Renderer {
	tb.Helper()
	once.Do(func() {
		var r *render.Renderer
		r, errNew = render.New(render.Options{})
		shared = New(r)
	})
	if errNew != nil {
		if errors.Is(errNew, render.ErrFontNotFound) && os.Getenv("CI") != "true" {
			tb.Skipf("no CJK font: %v", errNew)
		}
		tb.Fatal(errNew)
	}
	return shared
}

// pdfText is pdftotext's reading of pdf (layout kept); without poppler it skips, except in CI.
func pdfText(tb testing.TB, pdf []byte, args ...string) string {
	tb.Helper()
	return poppler(tb, "pdftotext", pdf, append(append([]string{"-layout"}, args...), "{pdf}", "-")...)
}

func poppler(tb testing.TB, name string, pdf []byte, args ...string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s missing", name)
		}
		tb.Skipf("%s missing", name)
	}
	file := filepath.Join(tb.TempDir(), "t.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	for i, a := range args {
		if a == "{pdf}" {
			args[i] = file
		}
	}
	out, err := exec.Command(path, args...).Output()
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return string(out)
}

// pdfInfo is pdfinfo's answer as key → value.
func pdfInfo(tb testing.TB, pdf []byte) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(poppler(tb, "pdfinfo", pdf, "{pdf}"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func photo(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(120 + x%60), uint8(140 + y%50), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func sampleTicket(tb testing.TB) Ticket {
	start := time.Date(2026, 12, 20, 1, 0, 0, 0, time.UTC) // 09:00 in China
	return Ticket{Institution: "北京某某电力设备有限公司", Batch: "2026年第四批电工职业技能等级认定", Number: "260100001",
		Name: "阿卜杜·热合曼", IDType: "居民身份证", IDNumber: "11010519491231002X", Occupation: "电工（6-31-01-03）",
		Level: "四级/中级工", Photo: photo(tb, 300, 400), Token: "v1.eyJ0IjoiMjYwMTAwMDAxIn0.c2lnbmF0dXJl",
		IssuedAt: start.AddDate(0, 0, -7),
		Sessions: []Session{
			{Method: "theory", StartsAt: start, EndsAt: start.Add(90 * time.Minute), Site: "朝阳考点",
				Address: "北京市朝阳区建国路88号", Room: "第1考场", Seat: 17},
			{Method: "practical", StartsAt: start.Add(5 * time.Hour), EndsAt: start.Add(7 * time.Hour), Site: "朝阳考点",
				Address: "北京市朝阳区建国路88号实训楼", Room: "实操室A", Seat: 3},
		}}
}

// keep writes a PDF's pages as PNGs under /tmp/skillcert-ticketpdf when SKILLCERT_KEEP_PDF is set, to
// look at them.
func keep(tb testing.TB, name string, pdf []byte) {
	dir := os.Getenv("SKILLCERT_KEEP_PDF")
	if dir == "" {
		return
	}
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, name+".pdf"), pdf, 0o644)
	exec.Command("pdftoppm", "-png", "-r", "60", filepath.Join(dir, name+".pdf"), filepath.Join(dir, name)).Run()
}

func TestTicketShowsEverything(t *testing.T) {
	r := mustRenderer(t)
	tk := sampleTicket(t)
	var b bytes.Buffer
	if err := r.Render(&b, tk); err != nil {
		t.Fatal(err)
	}
	keep(t, "ticket", b.Bytes())
	text := pdfText(t, b.Bytes())
	flat := strings.Join(strings.Fields(text), "")
	for _, want := range []string{"准考证", tk.Number, tk.Name, tk.IDNumber, "电工", "四级/中级工", tk.Institution,
		"理论知识考试", "2026年12月20日", "09:00–10:30", "操作技能考核", "14:00–16:00", "朝阳考点", "建国路88号",
		"第1考场", "实操室A", "17", "考场规则", "有效身份证件", "签到二维码"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the ticket lacks %q:\n%s", want, text)
		}
	}
	if n := pdfInfo(t, b.Bytes()); n["Pages"] != "1" || !strings.Contains(n["Page size"], "(A4)") {
		t.Errorf("not one A4 page: %v", n)
	}
	if qr := decodeQR(t, b.Bytes()); qr != "" && qr != tk.Token {
		t.Errorf("the QR code says %q, want the token", qr)
	}
}

// decodeQR reads the QR code of the first page with zbarimg when it is installed ("" otherwise).
func decodeQR(tb testing.TB, pdf []byte) string {
	tb.Helper()
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		return ""
	}
	dir := tb.TempDir()
	file := filepath.Join(dir, "t.pdf")
	os.WriteFile(file, pdf, 0o600)
	if err := exec.Command("pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", file, filepath.Join(dir, "p")).Run(); err != nil {
		tb.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
	out, err := exec.Command(zbar, "--raw", "-q", matches[0]).Output()
	if err != nil {
		tb.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func TestTicketRefusesWhatItCannotPrint(t *testing.T) {
	r := mustRenderer(t)
	tests := []struct {
		name  string
		edit  func(*Ticket)
		code  string
		field string
	}{
		{"no number", func(t *Ticket) { t.Number = "" }, "validation_failed", "ticket_number"},
		{"no token", func(t *Ticket) { t.Token = " " }, "validation_failed", "token"},
		{"no sessions", func(t *Ticket) { t.Sessions = nil }, "validation_failed", "sessions"},
		{"undrawable name", func(t *Ticket) { t.Name = "张\U000F0000" }, render.ErrMissingGlyphs.Code, "姓　　名"},
		{"broken photo", func(t *Ticket) { t.Photo = []byte("\xFF\xD8\xFFnot really") }, "validation_failed", "photo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := sampleTicket(t)
			tt.edit(&tk)
			var b bytes.Buffer
			err := r.Render(&b, tk)
			var pe *platform.Error
			if !errors.As(err, &pe) || pe.Code != tt.code || len(pe.Fields) == 0 || pe.Fields[0].Field != tt.field {
				t.Fatalf("error %v (%+v), want %s on %s", err, pe, tt.code, tt.field)
			}
			if b.Len() != 0 {
				t.Fatal("something was written")
			}
		})
	}
}

func TestSignInSheets(t *testing.T) {
	r := mustRenderer(t)
	start := time.Date(2026, 12, 20, 1, 0, 0, 0, time.UTC)
	var rows []SheetRow
	for i := 1; i <= 19; i++ {
		row := SheetRow{Seat: i, Name: "考生" + strconv.Itoa(i), MaskedID: "110***********00" + strconv.Itoa(i%10) + "X",
			TicketNumber: "2601" + strconv.Itoa(10000+i)}
		if i%4 != 0 {
			row.Photo = photo(t, 90, 120)
		}
		rows = append(rows, row)
	}
	sheets := []Sheet{
		{Institution: "北京某某电力设备有限公司", Batch: "2026年第四批", Method: "theory", StartsAt: start,
			EndsAt: start.Add(90 * time.Minute), Site: "朝阳考点", Address: "建国路88号", Room: "第1考场", Rows: rows},
		{Batch: "2026年第四批", Method: "theory", StartsAt: start, EndsAt: start.Add(90 * time.Minute),
			Site: "朝阳考点", Room: "第2考场"}, // no seats taken: still a page
		{Batch: "2026年第四批", Method: "practical", StartsAt: start.Add(5 * time.Hour), EndsAt: start.Add(7 * time.Hour),
			Site: "朝阳考点", Room: "实操室A", Rows: rows[:3]},
	}
	var b bytes.Buffer
	if err := r.SignInSheets(&b, sheets); err != nil {
		t.Fatal(err)
	}
	keep(t, "sheets", b.Bytes())
	wantPages := (19+RowsPerPage-1)/RowsPerPage + 1 + 1
	if info := pdfInfo(t, b.Bytes()); info["Pages"] != strconv.Itoa(wantPages) {
		t.Fatalf("want %d pages: %v", wantPages, info)
	}
	first := strings.Join(strings.Fields(pdfText(t, b.Bytes(), "-f", "1", "-l", "1")), "")
	for _, want := range []string{"考场签到表", "第1考场", "理论知识考试", "座位号", "照片", "姓名", "证件号码", "考生签名",
		"考生1", "110***********001X", "第1/3页"} {
		if !strings.Contains(first, want) {
			t.Errorf("page 1 lacks %q: %s", want, first)
		}
	}
	if strings.Contains(first, "考生9") {
		t.Errorf("page 1 holds more than %d seats", RowsPerPage)
	}
	empty := strings.Join(strings.Fields(pdfText(t, b.Bytes(), "-f", "4", "-l", "4")), "")
	if !strings.Contains(empty, "第2考场") || !strings.Contains(empty, "应到0人") {
		t.Errorf("the empty room's page: %s", empty)
	}
	if err := r.SignInSheets(&b, nil); platform.KindOf(err) != platform.KindUnprocessable {
		t.Fatalf("no sheets: %v", err)
	}
}
