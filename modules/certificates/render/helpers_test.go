package render

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

// inCI reports whether the test runs in CI, where missing fonts or poppler tools are failures.
func inCI() bool { return os.Getenv("CI") == "true" }

var (
	sharedOnce sync.Once
	shared     *Renderer
	sharedErr  error
)

// mustRenderer returns the Renderer of the fonts found on this machine, shared by the tests as it is
// in production. Without a CJK font it skips, except in CI where .ci/run installs fonts-droid-fallback.
func mustRenderer(tb testing.TB) *Renderer {
	tb.Helper()
	sharedOnce.Do(func() { shared, sharedErr = New(Options{}) })
	if sharedErr != nil {
		if errors.Is(sharedErr, ErrFontNotFound) && !inCI() {
			tb.Skipf("no CJK font here (%v); apt-get install -y %s", sharedErr, FontPackage)
		}
		tb.Fatalf("New: %v", sharedErr)
	}
	return shared
}

// mustTool returns the path of a poppler-utils command. Without it the test skips, except in CI.
func mustTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if inCI() {
			tb.Fatalf("%s is missing: CI must apt-get install -y poppler-utils", name)
		}
		tb.Skipf("%s is missing: apt-get install -y poppler-utils", name)
	}
	return p
}

// tool runs a poppler command on pdf, written to a temp file whose path replaces "{pdf}" in args (or
// ends them), and returns its standard output.
func tool(tb testing.TB, pdf []byte, tool string, args ...string) string {
	tb.Helper()
	path := mustTool(tb, tool)
	file := filepath.Join(tb.TempDir(), "c.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args = slices.Clone(args)
	if i := slices.Index(args, "{pdf}"); i >= 0 {
		args[i] = file
	} else {
		args = append(args, file)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = filepath.Dir(file)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %v: %v\n%s", tool, args, err, stderr.String())
	}
	return stdout.String()
}

// pdfText extracts the text of a PDF with pdftotext, whitespace removed: pdftotext spaces CJK text
// by its own judgement (the spaced-out title, table columns), which says nothing about the content.
func pdfText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	return strings.Join(strings.Fields(tool(tb, pdf, "pdftotext", "-enc", "UTF-8", "{pdf}", "-")), "")
}

// noSpace removes whitespace as pdfText does.
func noSpace(s string) string { return strings.Join(strings.Fields(s), "") }

// render renders c and fails the test on error.
func render(tb testing.TB, r *Renderer, c Certificate) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := r.Render(&buf, c); err != nil {
		tb.Fatalf("Render: %v", err)
	}
	return buf.Bytes()
}

// testPhoto makes a 300×400 portrait in the given format ("png" or "jpeg").
func testPhoto(tb testing.TB, format string) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 300, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 300; x++ {
			img.Set(x, y, color.RGBA{R: uint8(x * 255 / 300), G: 120, B: uint8(y * 255 / 400), A: 255})
		}
	}
	var buf bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// sampleNumber is a well-formed 22-character number: enterprise, evaluator 0000, Beijing (11),
// site 000001, 2025, level 4, serial 000123.
const sampleNumber = "Y00001100000125" + "4" + "000123"

// sample is a complete skill level certificate whose holder's name has an Extension A ideograph.
func sample() Certificate {
	return Certificate{
		Institution:    "北京市朝阳区智造职业技能培训学校",
		IssueDate:      time.Date(2025, 6, 30, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)),
		HolderName:     "张䶮明",
		IDType:         "居民身份证",
		IDNumber:       "11010519491231002X",
		Occupation:     "电工",
		OccupationCode: "6-31-01-03",
		Level:          "四级/中级工",
		Number:         sampleNumber,
		VerifyURL:      "https://skillcert.example.cn/verify/" + sampleNumber,
		QueryAddresses: []string{"https://skillcert.example.cn/verify", NationalQueryURL},
	}
}

// fieldErrors returns the field errors of err, failing unless it is a *platform.Error.
func fieldErrors(tb testing.TB, err error) []platform.FieldError {
	tb.Helper()
	var pe *platform.Error
	if !errors.As(err, &pe) {
		tb.Fatalf("error %v (%T) is not a *platform.Error", err, err)
	}
	return pe.Fields
}
