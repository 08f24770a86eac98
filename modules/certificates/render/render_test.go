package render

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/skillcert/skillcert/modules/platform"
)

// TestRenderMandatoryFields renders a full certificate, with a PNG or a JPEG photo, and checks with
// poppler what a reader of the PDF gets: every mandatory field of DOMAIN.md as text, one A4 page, the
// fonts embedded as subsets with Unicode maps, and the photo.
func TestRenderMandatoryFields(t *testing.T) {
	r := mustRenderer(t)
	for _, format := range []string{"png", "jpeg"} {
		t.Run(format, func(t *testing.T) {
			c := sample()
			c.Photo = testPhoto(t, format)
			pdf := render(t, r, c)

			text := pdfText(t, pdf)
			for _, want := range []string{
				DefaultTitle, // certificate name
				"北京市朝阳区智造职业技能培训学校", // institution
				"2025年6月30日",                  // issue date
				"张䶮明",                         // name, with U+4DAE from CJK Extension A
				"居民身份证", "11010519491231002X", // ID type and number
				"电工", "6-31-01-03", // occupation and code
				"工种/职业方向--",  // sub-type, none
				"四级/中级工",     // level
				sampleNumber, // number
				"证书查询：https://skillcert.example.cn/verifyhttp://zscx.osta.org.cn/", // query addresses
				"扫码验证",
			} {
				if !strings.Contains(text, noSpace(want)) {
					t.Errorf("PDF text lacks %q; text is %q", want, text)
				}
			}

			info := tool(t, pdf, "pdfinfo")
			if !regexp.MustCompile(`(?m)^Pages:\s+1$`).MatchString(info) {
				t.Errorf("not one page:\n%s", info)
			}
			if !regexp.MustCompile(`(?m)^Page size:\s+595(\.\d+)? x 842(\.\d+)? pts \(A4\)`).MatchString(info) {
				t.Errorf("not A4:\n%s", info)
			}

			// pdffonts columns: name type encoding emb sub uni object-ID.
			fonts := tool(t, pdf, "pdffonts")
			lines := regexp.MustCompile(`(?m)^[A-Z]{6}\+\S+\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes\s`).FindAllString(fonts, -1)
			if len(lines) != 2 {
				t.Errorf("want the CJK font and the Latin font embedded as subsets with Unicode maps:\n%s", fonts)
			}
			if !bytes.Contains(pdf, []byte("+"+r.faces[0].name)) {
				t.Errorf("the CJK font %s is not embedded", r.faces[0].name)
			}
			st, err := os.Stat(r.faces[0].path)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(pdf))*20 > st.Size() {
				t.Errorf("PDF is %d bytes for a font file of %d: the font is not subset", len(pdf), st.Size())
			}

			images := tool(t, pdf, "pdfimages", "-list")
			if n := strings.Count(images, "\n") - 2; n != 1 { // two header lines
				t.Errorf("want the photo as the only image:\n%s", images)
			}
		})
	}
}

// TestRenderQRCodeDecodes rasterises the page and decodes the QR code with an independent reader
// (ZXing's, ported to Go): the vector rectangles must form a valid symbol of the verify URL.
func TestRenderQRCodeDecodes(t *testing.T) {
	r := mustRenderer(t)
	c := sample()
	pdf := render(t, r, c)
	// With no output root pdftoppm writes the PNG to standard output.
	page, err := png.Decode(strings.NewReader(tool(t, pdf, "pdftoppm", "-r", "150", "-png", "-singlefile")))
	if err != nil {
		t.Fatal(err)
	}
	// The bottom-right quarter of the page holds the code and its caption only.
	b := page.Bounds()
	crop := page.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(b.Dx()*2/3, b.Dy()/2, b.Dx(), b.Dy()))
	bmp, err := gozxing.NewBinaryBitmapFromImage(crop)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("QR code not found on the page: %v", err)
	}
	if res.GetText() != c.VerifyURL {
		t.Errorf("QR code reads %q, want %q", res.GetText(), c.VerifyURL)
	}
}

// TestRenderPostCertificate renders an enterprise's own post certificate (一岗双证) from PostTemplate:
// its own title and labels, a post from Extra, a number of its own format.
func TestRenderPostCertificate(t *testing.T) {
	r := mustRenderer(t)
	c := sample()
	c.Template = PostTemplate("岗位能力证书")
	c.Number = "QY-2025-0007"
	c.Level = ""
	c.Extra = map[string]string{FieldPost: "配电运维岗"}
	text := pdfText(t, render(t, r, c))
	for _, want := range []string{"岗位能力证书", "一岗双证", "岗位配电运维岗", "证书编号QY-2025-0007", "发证单位", "岗位等级--"} {
		if !strings.Contains(text, noSpace(want)) {
			t.Errorf("PDF text lacks %q; text is %q", want, text)
		}
	}
	if strings.Contains(text, DefaultTitle) {
		t.Errorf("a post certificate must not carry the national title %s", DefaultTitle)
	}
}

// TestRenderTitleOverrideAndWrap checks Certificate.Title and that a long institution name is set
// smaller or wrapped rather than cut.
func TestRenderTitleOverrideAndWrap(t *testing.T) {
	r := mustRenderer(t)
	c := sample()
	c.Title = "职业技能等级证书（电子证书）"
	c.Institution = strings.Repeat("北京市朝阳区智造职业技能培训学校", 3)
	text := pdfText(t, render(t, r, c))
	for _, want := range []string{c.Title, c.Institution} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q; text is %q", want, text)
		}
	}
}

// TestRenderValidation lists what makes a certificate unprintable; each case names the field and
// code a client can act on, and nothing is written.
func TestRenderValidation(t *testing.T) {
	r := mustRenderer(t)
	tests := []struct {
		name      string
		edit      func(*Certificate)
		field     string
		code      string
		wantKind  platform.Kind
		wantError string
	}{
		{"holder name missing", func(c *Certificate) { c.HolderName = " " }, FieldHolderName, "required", platform.KindUnprocessable, "validation_failed"},
		{"level missing", func(c *Certificate) { c.Level = "" }, FieldLevel, "required", platform.KindUnprocessable, "validation_failed"},
		{"issue date missing", func(c *Certificate) { c.IssueDate = time.Time{} }, FieldIssueDate, "required", platform.KindUnprocessable, "validation_failed"},
		{"number of 21 characters", func(c *Certificate) { c.Number = sampleNumber[:21] }, FieldNumber, "invalid_length", platform.KindUnprocessable, "validation_failed"},
		{"no verify URL", func(c *Certificate) { c.VerifyURL = "" }, "verify_url", "required", platform.KindUnprocessable, "validation_failed"},
		{"photo neither JPEG nor PNG", func(c *Certificate) { c.Photo = []byte("GIF89a...") }, "photo", "unsupported_format", platform.KindUnprocessable, "validation_failed"},
		{"photo truncated", func(c *Certificate) { c.Photo = testPhoto(t, "png")[:40] }, "photo", "unsupported_format", platform.KindUnprocessable, "validation_failed"},
		{"too many query addresses", func(c *Certificate) { c.QueryAddresses = []string{"a", "b", "c", "d"} }, "query_addresses", "too_many", platform.KindUnprocessable, "validation_failed"},
		{"empty query address", func(c *Certificate) { c.QueryAddresses = []string{NationalQueryURL, ""} }, "query_addresses[1]", "required", platform.KindUnprocessable, "validation_failed"},
		{"institution too long to fit", func(c *Certificate) { c.Institution = strings.Repeat("职业技能培训学校", 12) }, FieldInstitution, "too_long", platform.KindUnprocessable, "validation_failed"},
		{"template field twice", func(c *Certificate) {
			t := SkillLevelTemplate()
			t.Fields = append(t.Fields, t.Fields[0])
			c.Template = t
		}, "template.fields[10]", "duplicate", platform.KindUnprocessable, "validation_failed"},
		{"extra field without value", func(c *Certificate) { c.Template = PostTemplate("") }, FieldPost, "required", platform.KindUnprocessable, "validation_failed"},
		{"Extension B ideograph", func(c *Certificate) { c.HolderName = "\U00020000明" }, FieldHolderName, "missing_glyphs", platform.KindUnprocessable, "missing_glyphs"},
		{"control character", func(c *Certificate) { c.Occupation = "电\x07工" }, FieldOccupation, "missing_glyphs", platform.KindUnprocessable, "missing_glyphs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sample()
			tt.edit(&c)
			var buf bytes.Buffer
			err := r.Render(&buf, c)
			if err == nil {
				t.Fatal("Render succeeded")
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
			if platform.KindOf(err) != tt.wantKind || platform.CodeOf(err) != tt.wantError {
				t.Errorf("error %v: kind %v code %s, want %v %s", err, platform.KindOf(err), platform.CodeOf(err), tt.wantKind, tt.wantError)
			}
			found := false
			for _, fe := range fieldErrors(t, err) {
				found = found || (fe.Field == tt.field && fe.Code == tt.code)
			}
			if !found {
				t.Errorf("want field error %s/%s in %v", tt.field, tt.code, fieldErrors(t, err))
			}
		})
	}
}

// TestRenderMissingGlyphsNamed checks the error a caller sees for a character outside the fonts:
// ErrMissingGlyphs, the rune spelled out, and the field.
func TestRenderMissingGlyphsNamed(t *testing.T) {
	r := mustRenderer(t)
	c := sample()
	c.HolderName = "李\U00020000"
	err := r.Render(&bytes.Buffer{}, c)
	if !errors.Is(err, ErrMissingGlyphs) {
		t.Fatalf("want ErrMissingGlyphs, got %v", err)
	}
	if !strings.Contains(err.Error(), "U+20000") || !strings.Contains(err.Error(), FieldHolderName) {
		t.Errorf("error should name the rune and the field: %v", err)
	}
	if got := r.MissingGlyphs(c.HolderName); len(got) != 1 || got[0] != 0x20000 {
		t.Errorf("MissingGlyphs = %U, want [U+20000]", got)
	}
	// Extension A is covered by the default font; a machine configured with a font lacking it would
	// print 张䶮明 as tofu-free only by refusing it, so say which font is at fault.
	if got := r.MissingGlyphs("张䶮明"); got != nil {
		t.Errorf("font %s lacks %U (CJK Extension A); use %s", r.faces[0].path, got, FontPackage)
	}
}

// TestRenderConcurrent shares one Renderer between goroutines, as issuance workers do: every PDF
// carries its own holder and no other (run with -race to check the sharing).
func TestRenderConcurrent(t *testing.T) {
	r := mustRenderer(t)
	names := []string{"王小明", "李䶮", "赵钱孙", "周吴郑", "冯陈褚", "卫蒋沈", "韩杨朱", "秦尤许"}
	pdfs := make([][]byte, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			c := sample()
			c.HolderName = name
			c.Number = fmt.Sprintf("%s%06d", sampleNumber[:16], i+1)
			c.VerifyURL = "https://skillcert.example.cn/verify/" + c.Number
			var buf bytes.Buffer
			if err := r.Render(&buf, c); err != nil {
				t.Errorf("Render %s: %v", name, err)
				return
			}
			pdfs[i] = buf.Bytes()
		})
	}
	wg.Wait()
	for i, pdf := range pdfs {
		if pdf == nil {
			continue
		}
		text := pdfText(t, pdf)
		for j, other := range names {
			if has := strings.Contains(text, other); has != (i == j) {
				t.Errorf("PDF %d: contains %s = %v", i, other, has)
			}
		}
	}
}
