// Package render draws a certificate as a one-page A4 PDF: the title, a label/value table of every
// mandatory field, the holder's photo, a QR code of the verify URL and the query addresses, in Chinese.
//
// A Renderer is made once per process: New reads and parses the fonts, which is what dominates the cost
// of a PDF when done per document, and Render then only lays out text, cuts a small font holding just
// the glyphs used (subset.go), hands it to gopdf and draws the QR code as vector rectangles. A Renderer
// is immutable and safe for concurrent use, so an issuance job can share one across its workers.
//
// Text is set in a fallback chain of TrueType fonts, character by character: the main CJK font (see
// FindFonts and docs/fonts.md), then Go Regular for the Latin letters and digits CJK fonts may lack,
// then any further fonts configured for rare ideographs. Render refuses a certificate with a character
// that no font of the chain has, rather than print an empty box (tofu) in a person's name.
//
// The layout is data: a Template gives the title, the table rows and their labels, so the national
// skill level certificate and an enterprise's own post certificate (一岗双证) share one renderer.
package render

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/skillcert/skillcert/modules/platform"
)

// ErrMissingGlyphs is the error (by errors.Is) of a certificate with characters that no font can draw.
// Its Fields name each field and list the missing runes as U+XXXX.
var ErrMissingGlyphs = platform.E(platform.KindUnprocessable, "missing_glyphs",
	"the certificate has characters the fonts cannot draw")

// Options configures New.
type Options struct {
	// FontPaths are CJK TrueType fonts (.ttf, or face 0 of a .ttc). The first is the main font; the
	// others only draw characters the main font and Go Regular lack (e.g. HanaMinB for Extension B).
	// Empty means FindFonts(os.Getenv): the SKILLCERT_CJK_FONT variable, else the Debian font installed.
	FontPaths []string
	// Getenv replaces os.Getenv for font discovery (tests). Nil means os.Getenv.
	Getenv func(string) string
}

// Renderer renders certificates. Make one with New and share it: it is safe for concurrent use.
type Renderer struct {
	faces []*face // fallback chain: main CJK font, Go Regular, further CJK fonts
}

// New loads the fonts once and returns a Renderer. It fails with ErrFontNotFound when no CJK font is
// configured or installed, and ErrFontUnusable when a font cannot be embedded.
func New(opts Options) (*Renderer, error) {
	paths := opts.FontPaths
	if len(paths) == 0 {
		getenv := opts.Getenv
		if getenv == nil {
			getenv = osGetenv
		}
		var err error
		if paths, err = FindFonts(getenv); err != nil {
			return nil, err
		}
	}
	r := &Renderer{}
	names := map[string]bool{}
	for _, p := range paths {
		data, err := readFont(p)
		if err != nil {
			return nil, err
		}
		name := fontName(p)
		for names[name] {
			name += "X"
		}
		names[name] = true
		f, err := loadFace(name, p, data)
		if err != nil {
			return nil, err
		}
		r.faces = append(r.faces, f)
	}
	// Go Regular comes second: Latin text should take the main font's Latin if it has one and Go
	// Regular's otherwise, never the Latin of a font added for rare ideographs.
	latin, err := builtinLatin()
	if err != nil {
		return nil, err
	}
	r.faces = slices.Insert(r.faces, 1, latin)
	return r, nil
}

// FontFiles returns the font files in use, in fallback order, for start-up logs.
func (r *Renderer) FontFiles() []string {
	out := make([]string, len(r.faces))
	for i, f := range r.faces {
		out[i] = f.path
	}
	return out
}

// MissingGlyphs returns the distinct runes of s that no font of the Renderer can draw, in order of
// first appearance; nil when s renders completely. Callers can use it to check a name when it is
// entered rather than when the certificate is issued.
func (r *Renderer) MissingGlyphs(s string) []rune {
	var missing []rune
	for _, c := range s {
		if r.faceOf(c) < 0 && !containsRune(missing, c) {
			missing = append(missing, c)
		}
	}
	return missing
}

func containsRune(rs []rune, c rune) bool {
	for _, x := range rs {
		if x == c {
			return true
		}
	}
	return false
}

// faceOf returns the index of the first face that has a glyph for c, or -1.
func (r *Renderer) faceOf(c rune) int {
	for i, f := range r.faces {
		if f.has(c) {
			return i
		}
	}
	return -1
}

// checkGlyphs returns an ErrMissingGlyphs error naming every field with undrawable characters.
func (r *Renderer) checkGlyphs(texts []labelled) error {
	var fields []platform.FieldError
	var msg strings.Builder
	for _, t := range texts {
		missing := r.MissingGlyphs(t.text)
		if len(missing) == 0 {
			continue
		}
		list := make([]string, len(missing))
		for i, c := range missing {
			list[i] = fmt.Sprintf("U+%04X %q", c, c)
		}
		fields = append(fields, platform.FieldError{Field: t.field, Code: ErrMissingGlyphs.Code,
			Message: "no glyph for " + strings.Join(list, ", ")})
		if msg.Len() > 0 {
			msg.WriteString("; ")
		}
		fmt.Fprintf(&msg, "%s: %s", t.field, strings.Join(list, ", "))
	}
	if len(fields) == 0 {
		return nil
	}
	fonts := make([]string, len(r.faces))
	for i, f := range r.faces {
		fonts[i] = filepath.Base(f.path)
	}
	return &platform.Error{Kind: ErrMissingGlyphs.Kind, Code: ErrMissingGlyphs.Code,
		Message: "no glyph in fonts " + strings.Join(fonts, ", ") + " for " + msg.String(), Fields: fields}
}

// run is a stretch of text drawn with one face.
type run struct {
	face int
	text string
}

// runs splits s into stretches of one face each. Every rune must have a face (checkGlyphs ran).
func (r *Renderer) runs(s string) []run {
	var out []run
	start, cur := 0, -1
	for i, c := range s {
		f := r.faceOf(c)
		if f != cur {
			if cur >= 0 {
				out = append(out, run{face: cur, text: s[start:i]})
			}
			start, cur = i, f
		}
	}
	if cur >= 0 {
		out = append(out, run{face: cur, text: s[start:]})
	}
	return out
}

// width is the advance of s at size points with spacing points after each character, as gopdf draws it.
func (r *Renderer) width(s string, size, spacing float64) float64 {
	var w float64
	for _, rn := range r.runs(s) {
		f := r.faces[rn.face]
		var units uint
		n := 0
		for _, c := range rn.text {
			units += f.probe.GlyphIndexToPdfWidth(f.glyphs[c])
			n++
		}
		w += float64(units)*size/1000 + float64(n)*spacing
	}
	return w
}

// bufs recycles the buffers a PDF is assembled in before it is written out in one call.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render writes the PDF of c to w. It returns a validation_failed *platform.Error (KindUnprocessable)
// listing the fields at fault when c is incomplete or does not fit the page, ErrMissingGlyphs when a
// character cannot be drawn, and the writer's error if writing fails. Nothing is written on error.
func (r *Renderer) Render(w io.Writer, c Certificate) error {
	res, err := resolve(&c)
	if err != nil {
		return err
	}
	if err := r.checkGlyphs(res.texts); err != nil {
		return err
	}
	l, err := r.plan(res)
	if err != nil {
		return err
	}
	qrm, err := encodeQR(c.VerifyURL)
	if err != nil {
		return err
	}
	p := newPage(r)
	if err := p.embedFonts(res.texts); err != nil {
		return platform.Wrap(platform.KindInternal, "render_failed", "the certificate fonts could not be embedded", err)
	}
	if err := p.draw(res, l, &c, qrm); err != nil {
		if platform.KindOf(err) == platform.KindUnprocessable {
			return err // a photo gopdf cannot read
		}
		return platform.Wrap(platform.KindInternal, "render_failed", "the certificate PDF could not be drawn", err)
	}
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufs.Put(buf)
	// gopdf ignores errors of the writer it is given, so it writes to memory and we write once.
	if _, err := p.pdf.WriteTo(buf); err != nil {
		return platform.Wrap(platform.KindInternal, "render_failed", "the certificate PDF could not be written", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
