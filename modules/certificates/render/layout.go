package render

import (
	"fmt"
	"strings"

	"github.com/signintech/gopdf"

	"github.com/skillcert/skillcert/modules/platform"
)

// The page, in millimetres from the top-left corner of a portrait A4 sheet (210 × 297 mm).
const (
	pageW = 210.0

	frameOuter = 10.0 // margin of the outer frame line
	frameInner = 13.5 // margin of the inner frame line

	titleBaseline    = 46.0
	titleSize        = 30.0 // pt
	titleMinSize     = 18.0
	titleSpacing     = 6.0 // pt between characters, for a formal heading
	titleMaxWidth    = 160.0
	subtitleBaseline = 56.0
	subtitleSize     = 12.0
	dividerY         = 63.0

	tableTop    = 72.0
	tableLeft   = 22.0
	labelW      = 36.0
	valueW      = 92.0
	rowH        = 12.0
	cellPad     = 3.0
	labelSize   = 11.0
	valueSize   = 12.0
	valueMin    = 8.0
	maxValueRow = 2 // lines a value may wrap to at valueMin

	photoLeft = 158.0
	photoTop  = tableTop
	photoW    = 32.0
	photoH    = 42.0 // about 3:4, the proportion of ID photos

	qrLeft     = 158.0
	qrSide     = 32.0 // including the quiet zone
	queryGap   = 10.0 // between the table (or photo) and the query block
	querySize  = 10.5
	queryMin   = 7.0
	queryLineH = 6.5
	captionGap = 4.5

	footerBaseline = 278.0
	footerSize     = 9.0
	footerMin      = 6.5
	footerMaxWidth = 170.0
)

// Colours: a seal red for the frame and title, near-black for text.
var (
	accent    = [3]uint8{150, 28, 28}
	ink       = [3]uint8{25, 25, 25}
	muted     = [3]uint8{95, 95, 95}
	labelFill = [3]uint8{248, 242, 232}
	gridLine  = [3]uint8{196, 176, 156}
)

// mm converts millimetres to PDF points, the unit gopdf is started with.
func mm(v float64) float64 { return v * 72 / 25.4 }

// box is text fitted to a width: the size it is set at and its lines.
type box struct {
	size  float64
	lines []string
}

// layout is the result of fitting every string to its place, before anything is drawn.
type layout struct {
	title     box
	spacing   float64 // title character spacing, pt
	subtitle  box
	values    []box
	addresses []box
	label     box // query label
	caption   box
	footer    box
}

// fit sets s on one line of at most maxW points, shrinking from size down to min by half points.
func (r *Renderer) fit(s string, maxW, size, min, spacing float64) (box, bool) {
	for sz := size; sz >= min; sz -= 0.5 {
		if r.width(s, sz, spacing) <= maxW {
			return box{size: sz, lines: []string{s}}, true
		}
	}
	return box{size: min, lines: []string{s}}, false
}

// wrap breaks s into lines of at most maxW points at size, preferring to break after a space.
func (r *Renderer) wrap(s string, maxW, size float64) []string {
	var lines []string
	rs := []rune(s)
	for len(rs) > 0 {
		n := 1
		for n < len(rs) && r.width(string(rs[:n+1]), size, 0) <= maxW {
			n++
		}
		if n < len(rs) {
			if sp := strings.LastIndex(string(rs[:n]), " "); sp > 0 {
				n = len([]rune(string(rs[:n])[:sp])) + 1
			}
		}
		lines = append(lines, strings.TrimSpace(string(rs[:n])))
		rs = rs[n:]
	}
	return lines
}

// plan fits every string to the page; a value too long for its place is a validation error.
func (r *Renderer) plan(res *resolved) (*layout, error) {
	var v platform.Validation
	l := &layout{}
	t := res.tmpl

	var ok bool
	for l.spacing = titleSpacing; l.spacing >= 0; l.spacing -= 2 {
		if l.title, ok = r.fit(t.Title, mm(titleMaxWidth), titleSize, titleMinSize, l.spacing); ok {
			break
		}
	}
	if !ok {
		l.spacing = 0
		v.Add("title", "too_long", "the title does not fit on one line")
	}
	if t.Subtitle != "" {
		if l.subtitle, ok = r.fit(t.Subtitle, mm(titleMaxWidth), subtitleSize, valueMin, 0); !ok {
			v.Add("template.subtitle", "too_long", "the subtitle does not fit on one line")
		}
	}

	valueMax := mm(valueW - 2*cellPad)
	for i, rw := range res.rows {
		if _, ok := r.fit(rw.label, mm(labelW-2*cellPad), labelSize, valueMin, 0); !ok {
			v.Add(fmt.Sprintf("template.fields[%d]", i), "too_long", "label "+rw.label+" is too long")
		}
		b, ok := r.fit(rw.value, valueMax, valueSize, valueMin, 0)
		if !ok {
			b.lines = r.wrap(rw.value, valueMax, valueMin)
			if len(b.lines) > maxValueRow {
				v.Add(rw.key, "too_long", rw.label+" is too long for the certificate")
			}
		}
		l.values = append(l.values, b)
	}

	addrMax := mm(labelW + valueW) // the width of the table above

	for i, a := range res.addresses {
		b, ok := r.fit(a, addrMax, querySize, queryMin, 0)
		if !ok {
			v.Add(fmt.Sprintf("query_addresses[%d]", i), "too_long", "the query address is too long")
		}
		l.addresses = append(l.addresses, b)
	}
	l.label = box{size: querySize}
	if l.caption, ok = r.fit(t.QRCaption, mm(qrSide), 9, 6, 0); !ok {
		v.Add("template.qr_caption", "too_long", "the QR caption is wider than the code")
	}
	if t.Footer != "" {
		if l.footer, ok = r.fit(t.Footer, mm(footerMaxWidth), footerSize, footerMin, 0); !ok {
			v.Add("template.footer", "too_long", "the footer does not fit on one line")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

// page is one PDF being drawn.
type page struct {
	r        *Renderer
	pdf      *gopdf.GoPdf
	families []string // per face, the family of its subset in this document; "" when unused
	curFace  int
	curSize  float64
	curSpace float64
}

func newPage(r *Renderer) *page {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	pdf.AddPage()
	return &page{r: r, pdf: pdf, families: make([]string, len(r.faces)), curFace: -1}
}

// embedFonts adds to the document, for each face that draws some of texts, a font holding only the
// glyphs of those characters. Its family carries a subset tag derived from its bytes (ISO 32000-1
// §9.6.4), so different subsets never share a name.
func (p *page) embedFonts(texts []labelled) error {
	perFace := make([][]rune, len(p.r.faces))
	seen := make(map[rune]bool, 128)
	for _, t := range texts {
		for _, c := range t.text {
			if seen[c] {
				continue
			}
			seen[c] = true
			if i := p.r.faceOf(c); i >= 0 {
				perFace[i] = append(perFace[i], c)
			}
		}
	}
	for i, runes := range perFace {
		if len(runes) == 0 {
			continue
		}
		f := p.r.faces[i]
		gids := make([]uint, len(runes))
		for j, c := range runes {
			gids[j] = f.glyphs[c]
		}
		data, err := f.src.subset(runes, gids)
		if err != nil {
			return fmt.Errorf("subset %s: %w", f.name, err)
		}
		family := subsetTag(data) + "+" + f.name
		if err := p.pdf.AddTTFFontData(family, data); err != nil {
			return fmt.Errorf("embed %s: %w", family, err)
		}
		p.families[i] = family
	}
	return nil
}

// setFont selects face at size.
func (p *page) setFont(face int, size float64) error {
	if face == p.curFace && size == p.curSize {
		return nil
	}
	family := p.families[face]
	if family == "" {
		return fmt.Errorf("font %s was not embedded for this text", p.r.faces[face].name)
	}
	if err := p.pdf.SetFont(family, "", size); err != nil {
		return fmt.Errorf("set font %s: %w", family, err)
	}
	p.curFace, p.curSize = face, size
	return nil
}

// text draws s with its left end at x and its baseline at y (points), switching faces per run.
func (p *page) text(x, y float64, s string, size, spacing float64) error {
	if spacing != p.curSpace {
		if err := p.pdf.SetCharSpacing(spacing); err != nil {
			return err
		}
		p.curSpace = spacing
	}
	for _, rn := range p.r.runs(s) {
		if err := p.setFont(rn.face, size); err != nil {
			return err
		}
		p.pdf.SetXY(x, y)
		if err := p.pdf.Text(rn.text); err != nil {
			return err
		}
		x += p.r.width(rn.text, size, spacing)
	}
	return nil
}

// centred draws s centred on cx. Trailing character spacing is not counted, so the ink is centred.
func (p *page) centred(cx, y float64, s string, size, spacing float64) error {
	w := p.r.width(s, size, spacing) - spacing
	return p.text(cx-w/2, y, s, size, spacing)
}

// baselineIn returns the baseline that centres one line of size points in a band from top of height h.
// 0.35 em below the centre puts the middle of CJK ideographs (and of Latin capitals) on the centre line.
func baselineIn(top, h, size float64) float64 {
	return top + h/2 + 0.35*size
}

func (p *page) stroke(c [3]uint8, width float64) {
	p.pdf.SetStrokeColor(c[0], c[1], c[2])
	p.pdf.SetLineWidth(width)
}

func (p *page) fill(c [3]uint8) { p.pdf.SetFillColor(c[0], c[1], c[2]) }

func (p *page) ink(c [3]uint8) { p.pdf.SetTextColor(c[0], c[1], c[2]) }

// draw lays the whole certificate on the page.
func (p *page) draw(res *resolved, l *layout, c *Certificate, qrm qrMatrix) error {
	t := res.tmpl
	p.pdf.SetInfo(gopdf.PdfInfo{Title: t.Title + " " + c.Number, Creator: "SkillCert", Producer: "SkillCert"})

	// Frame: a heavy outer line and a hairline inside it.
	p.stroke(accent, 1.6)
	p.pdf.RectFromUpperLeftWithStyle(mm(frameOuter), mm(frameOuter), mm(pageW-2*frameOuter), mm(297-2*frameOuter), "D")
	p.stroke(accent, 0.5)
	p.pdf.RectFromUpperLeftWithStyle(mm(frameInner), mm(frameInner), mm(pageW-2*frameInner), mm(297-2*frameInner), "D")

	// Title, subtitle and a short rule under them.
	p.ink(accent)
	if err := p.centred(mm(pageW/2), mm(titleBaseline), t.Title, l.title.size, l.spacing); err != nil {
		return err
	}
	if t.Subtitle != "" {
		p.ink(muted)
		if err := p.centred(mm(pageW/2), mm(subtitleBaseline), t.Subtitle, l.subtitle.size, 0); err != nil {
			return err
		}
	}
	p.stroke(accent, 0.8)
	p.pdf.Line(mm(pageW/2-45), mm(dividerY), mm(pageW/2+45), mm(dividerY))

	// Table: shaded label column, grid, then text.
	rows := len(res.rows)
	tableH := float64(rows) * rowH
	p.fill(labelFill)
	p.pdf.RectFromUpperLeftWithStyle(mm(tableLeft), mm(tableTop), mm(labelW), mm(tableH), "F")
	p.stroke(gridLine, 0.5)
	p.pdf.RectFromUpperLeftWithStyle(mm(tableLeft), mm(tableTop), mm(labelW+valueW), mm(tableH), "D")
	p.pdf.Line(mm(tableLeft+labelW), mm(tableTop), mm(tableLeft+labelW), mm(tableTop+tableH))
	for i := 1; i < rows; i++ {
		y := mm(tableTop + float64(i)*rowH)
		p.pdf.Line(mm(tableLeft), y, mm(tableLeft+labelW+valueW), y)
	}
	for i, rw := range res.rows {
		top := tableTop + float64(i)*rowH
		p.ink(muted)
		if err := p.text(mm(tableLeft+cellPad), baselineIn(mm(top), mm(rowH), labelSize), rw.label, labelSize, 0); err != nil {
			return err
		}
		p.ink(ink)
		b := l.values[i]
		lineH := b.size * 1.3
		first := baselineIn(mm(top), mm(rowH), b.size) - lineH*float64(len(b.lines)-1)/2
		for j, line := range b.lines {
			if err := p.text(mm(tableLeft+labelW+cellPad), first+float64(j)*lineH, line, b.size, 0); err != nil {
				return err
			}
		}
	}

	// Photo, fitted into its box without distortion.
	bottom := tableTop + tableH
	if res.photo != nil {
		if err := p.photo(c.Photo, res.photo); err != nil {
			return err
		}
		bottom = max(bottom, photoTop+photoH)
	}

	// Query block on the left, QR code on the right.
	qTop := bottom + queryGap
	if t.QueryLabel != "" {
		p.ink(ink)
		if err := p.text(mm(tableLeft), mm(qTop+4), t.QueryLabel+"：", l.label.size, 0); err != nil {
			return err
		}
	}
	p.ink(muted)
	for i, a := range l.addresses {
		if err := p.text(mm(tableLeft), mm(qTop+4+float64(i+1)*queryLineH), a.lines[0], a.size, 0); err != nil {
			return err
		}
	}
	p.drawQR(qrm, mm(qrLeft), mm(qTop-4), mm(qrSide))
	p.ink(muted)
	if err := p.centred(mm(qrLeft+qrSide/2), mm(qTop-4+qrSide+captionGap), t.QRCaption, l.caption.size, 0); err != nil {
		return err
	}
	if t.Footer != "" {
		if err := p.centred(mm(pageW/2), mm(footerBaseline), t.Footer, l.footer.size, 0); err != nil {
			return err
		}
	}
	return nil
}

// photo draws the photo centred in the photo box, scaled to fit, with a thin frame.
func (p *page) photo(data []byte, info *photoInfo) error {
	holder, err := gopdf.ImageHolderByBytes(data)
	if err != nil {
		return badPhoto(err)
	}
	w, h := mm(photoW), mm(photoH)
	scale := min(w/float64(info.width), h/float64(info.height))
	iw, ih := float64(info.width)*scale, float64(info.height)*scale
	x, y := mm(photoLeft)+(w-iw)/2, mm(photoTop)+(h-ih)/2
	if err := p.pdf.ImageByHolder(holder, x, y, &gopdf.Rect{W: iw, H: ih}); err != nil {
		return badPhoto(err)
	}
	p.stroke(gridLine, 0.5)
	p.pdf.RectFromUpperLeftWithStyle(mm(photoLeft), mm(photoTop), w, h, "D")
	return nil
}

// badPhoto is the validation error of a photo whose header passed checkPhoto but whose data gopdf
// cannot read (truncated or corrupt).
func badPhoto(cause error) error {
	var v platform.Validation
	v.Add("photo", "unsupported_format", "the photo cannot be read: "+cause.Error())
	return v.Err()
}

// drawQR draws the dark modules of m as filled rectangles in a side × side square at (x, y), leaving
// the quiet zone blank.
func (p *page) drawQR(m qrMatrix, x, y, side float64) {
	module := side / float64(m.size+2*qrQuietZone)
	x0, y0 := x+module*qrQuietZone, y+module*qrQuietZone
	p.fill([3]uint8{0, 0, 0})
	for _, r := range m.rects() {
		p.pdf.RectFromUpperLeftWithStyle(x0+float64(r.x)*module, y0+float64(r.y)*module,
			float64(r.w)*module, float64(r.h)*module, "F")
	}
}
