package render

import (
	"bytes"
	"fmt"
	"io"

	"github.com/signintech/gopdf"

	"github.com/skillcert/skillcert/modules/platform"
)

// Doc is a free-form A4 PDF drawn with a Renderer's fonts, for documents other than the certificate's
// fixed layout (the exam module's admission tickets and sign-in sheets). It shares the certificate's
// machinery: the fallback chain of faces, fonts cut to the characters the document prints, text set
// run by run, photos fitted into boxes and QR codes drawn as vectors. Coordinates are millimetres from
// the top-left corner of the page; sizes of text are points. A Doc is used by one goroutine.
type Doc struct {
	p *page
}

// DocText is a string a document prints and the field it belongs to (named in ErrMissingGlyphs).
type DocText struct {
	Field, Text string
}

// NewDoc starts a document titled title whose first page is added; every string it will print must be
// among texts, whose characters its fonts are cut to. It fails with ErrMissingGlyphs naming the fields
// whose characters no font draws.
func (r *Renderer) NewDoc(title string, texts []DocText) (*Doc, error) {
	ls := make([]labelled, 0, len(texts)+1)
	ls = append(ls, labelled{"title", title})
	for _, t := range texts {
		ls = append(ls, labelled{t.Field, t.Text})
	}
	if err := r.checkGlyphs(ls); err != nil {
		return nil, err
	}
	p := newPage(r)
	p.pdf.SetInfo(gopdf.PdfInfo{Title: title, Creator: "SkillCert", Producer: "SkillCert"})
	if err := p.embedFonts(ls); err != nil {
		return nil, platform.Wrap(platform.KindInternal, "render_failed", "the document fonts could not be embedded", err)
	}
	return &Doc{p: p}, nil
}

// AddPage starts a new page.
func (d *Doc) AddPage() {
	d.p.pdf.AddPage()
	d.p.curFace, d.p.curSize = -1, 0 // gopdf forgets the font on a new page
}

// Color is an RGB colour.
type Color = [3]uint8

// Colours of the house style (those of the certificate).
var (
	ColorAccent = accent
	ColorInk    = ink
	ColorMuted  = muted
	ColorFill   = labelFill
	ColorGrid   = gridLine
)

// Text draws s with its left end at x and its baseline at y, in colour c.
func (d *Doc) Text(x, y float64, s string, size float64, c Color) error {
	d.p.ink(c)
	return d.p.text(mm(x), mm(y), s, size, 0)
}

// Centred draws s centred on cx with its baseline at y.
func (d *Doc) Centred(cx, y float64, s string, size float64, c Color) error {
	d.p.ink(c)
	return d.p.centred(mm(cx), mm(y), s, size, 0)
}

// Width is the advance of s at size, in millimetres.
func (d *Doc) Width(s string, size float64) float64 {
	return d.p.r.width(s, size, 0) * 25.4 / 72
}

// Wrap breaks s into lines at most maxW millimetres wide at size, preferring breaks after spaces.
func (d *Doc) Wrap(s string, maxW, size float64) []string {
	return d.p.r.wrap(s, mm(maxW), size)
}

// Fit returns the largest size from size down to min (by half points) at which s fits maxW millimetres
// on one line, and whether it fits at all.
func (d *Doc) Fit(s string, maxW, size, min float64) (float64, bool) {
	b, ok := d.p.r.fit(s, mm(maxW), size, min, 0)
	return b.size, ok
}

// Baseline is the baseline that centres one line of size points in a band from top of height h (mm).
func Baseline(top, h, size float64) float64 {
	return top + h/2 + 0.35*size*25.4/72
}

// Rect strokes a rectangle in colour c with a line width points wide.
func (d *Doc) Rect(x, y, w, h float64, c Color, width float64) {
	d.p.stroke(c, width)
	d.p.pdf.RectFromUpperLeftWithStyle(mm(x), mm(y), mm(w), mm(h), "D")
}

// Fill fills a rectangle with colour c.
func (d *Doc) Fill(x, y, w, h float64, c Color) {
	d.p.fill(c)
	d.p.pdf.RectFromUpperLeftWithStyle(mm(x), mm(y), mm(w), mm(h), "F")
}

// Line draws a line in colour c, width points wide.
func (d *Doc) Line(x1, y1, x2, y2 float64, c Color, width float64) {
	d.p.stroke(c, width)
	d.p.pdf.Line(mm(x1), mm(y1), mm(x2), mm(y2))
}

// Photo draws a JPEG or PNG centred in the box, scaled to fit without distortion, with a thin frame.
// A photo that cannot be read is a validation error on field "photo".
func (d *Doc) Photo(data []byte, x, y, w, h float64) error {
	info, code, msg := checkPhoto(data)
	if code != "" {
		var v platform.Validation
		v.Add("photo", code, msg)
		return v.Err()
	}
	holder, err := gopdf.ImageHolderByBytes(data)
	if err != nil {
		return badPhoto(err)
	}
	bw, bh := mm(w), mm(h)
	scale := min(bw/float64(info.width), bh/float64(info.height))
	iw, ih := float64(info.width)*scale, float64(info.height)*scale
	if err := d.p.pdf.ImageByHolder(holder, mm(x)+(bw-iw)/2, mm(y)+(bh-ih)/2, &gopdf.Rect{W: iw, H: ih}); err != nil {
		return badPhoto(err)
	}
	d.Rect(x, y, w, h, gridLine, 0.5)
	return nil
}

// QR draws the QR code (error correction M, with its quiet zone) of content in a side × side square.
func (d *Doc) QR(content string, x, y, side float64) error {
	m, err := encodeQR(content)
	if err != nil {
		return err
	}
	d.p.drawQR(m, mm(x), mm(y), mm(side))
	return nil
}

// WriteTo writes the finished PDF to w in one call.
func (d *Doc) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	if _, err := d.p.pdf.WriteTo(&buf); err != nil {
		return 0, platform.Wrap(platform.KindInternal, "render_failed", "the PDF could not be written", err)
	}
	n, err := w.Write(buf.Bytes())
	if err != nil {
		return int64(n), fmt.Errorf("write PDF: %w", err)
	}
	return int64(n), nil
}
