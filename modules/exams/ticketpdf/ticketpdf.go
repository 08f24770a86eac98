// Package ticketpdf draws the paper of exam day as A4 PDFs: the admission ticket (准考证) of one
// candidate — photo, name, full ID number, occupation, level, every session with its time in China
// time, site, address, room and seat, the exam rules, and a QR code of the signed ticket token — and
// the sign-in sheets (签到表) of a batch, at least one page per (session, room): seat, photo, name,
// masked ID number and a column to sign in.
//
// It is a library over the certificate renderer's fonts and drawing (render.Doc): the same CJK font
// discovery (render.FindFonts, docs/fonts.md), the same subset-per-document embedding and vector QR
// codes. It knows nothing of databases or tenants: the caller resolves every string it prints (the
// level's name, the masked ID number, the token) and hands it plain values. A Renderer is safe for
// concurrent use.
package ticketpdf

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/platform"
)

// China is the time zone sessions are printed in (China has no DST).
var China = time.FixedZone("CST", 8*3600)

// DefaultRules are the exam rules (考场规则) printed on a ticket when the caller gives none: the usual
// points of personnel exam rooms.
var DefaultRules = []string{
	"考生须凭本准考证和有效身份证件（与报名时一致）参加考试，二者缺一不得入场。",
	"考生须提前30分钟到达考场，开考后15分钟不得入场；考试开始30分钟后方可交卷离场。",
	"考生按准考证号、座位号对号入座，并将准考证和身份证件放在桌面左上角以备查验。",
	"除规定的文具外，不得携带手机、智能手表等通讯及电子设备、书籍、资料进入考场座位。",
	"考试期间须保持安静，独立作答，不得交头接耳、偷看、夹带、抄袭或由他人代考。",
	"考试结束信号发出后立即停止作答，待监考人员收齐试卷后方可离开考场。",
	"违反考场规则者，按《职业技能等级认定工作规程》等有关规定处理，情节严重的取消认定资格。",
	"考场实行全程视频监控，逢考必督；请服从考评人员和督导人员的管理。",
}

// MethodNames are the Chinese names of the assessment methods (batches.Method values).
var MethodNames = map[string]string{
	"theory":               "理论知识考试",
	"practical":            "操作技能考核",
	"comprehensive_review": "综合评审",
	"thesis_defense":       "论文答辩",
	"process_assessment":   "过程化考核",
	"performance_review":   "业绩评价",
	"direct_recognition":   "直接认定",
}

// MethodName is the Chinese name of method, or method itself when unknown.
func MethodName(method string) string {
	if n, ok := MethodNames[method]; ok {
		return n
	}
	return method
}

// Session is one sitting a ticket lists.
type Session struct {
	Method           string // a batches.Method value, printed by MethodName
	StartsAt, EndsAt time.Time
	Site, Address    string // the exam site (考点) and its address
	Room             string
	Seat             int
}

// Ticket is an admission ticket's content.
type Ticket struct {
	Institution string // the institution's name, as filed
	Batch       string // the batch's title
	Number      string // the ticket number (准考证号)
	Name        string
	IDType      string // the document's name, e.g. 居民身份证
	IDNumber    string // in full
	Occupation  string // e.g. 电工 (6-31-01-03)
	Level       string // e.g. 四级/中级工
	Photo       []byte // JPEG or PNG; empty prints an empty box
	Sessions    []Session
	Rules       []string // nil: DefaultRules
	Token       string   // the QR code's payload, the signed ticket token
	IssuedAt    time.Time
	QRCaption   string // "": 签到二维码
}

// Renderer draws tickets and sign-in sheets with a certificate renderer's fonts.
type Renderer struct {
	r *render.Renderer
}

// New returns a ticket renderer over r (made once per process with render.New).
func New(r *render.Renderer) *Renderer { return &Renderer{r: r} }

// Page geometry, millimetres.
const (
	pageW     = 210.0
	pageH     = 297.0
	left      = 18.0
	right     = pageW - 18.0
	bottomMax = 282.0
)

// formatSpan prints a session's time in China time: 2026年12月20日 09:00–11:00, or with both dates
// when it spans midnight.
func formatSpan(a, b time.Time) string {
	a, b = a.In(China), b.In(China)
	s := a.Format("2006年01月02日 15:04")
	if a.Year() == b.Year() && a.YearDay() == b.YearDay() {
		return s + "–" + b.Format("15:04")
	}
	return s + " – " + b.Format("2006年01月02日 15:04")
}

func txt(field, text string) render.DocText { return render.DocText{Field: field, Text: text} }

// check adds a "required" field error unless ok.
func check(v *platform.Validation, ok bool, field, msg string) { v.Check(ok, field, "required", msg) }

// Render writes the PDF of t to w: a validation_failed error naming fields when t lacks what a ticket
// must show, render.ErrMissingGlyphs when a character cannot be drawn. Nothing is written on error.
func (r *Renderer) Render(w io.Writer, t Ticket) error {
	var v platform.Validation
	check(&v, strings.TrimSpace(t.Number) != "", "ticket_number", "a ticket needs its number")
	check(&v, strings.TrimSpace(t.Name) != "", "name", "a ticket needs the candidate's name")
	check(&v, strings.TrimSpace(t.IDNumber) != "", "id_number", "a ticket needs the ID number")
	check(&v, strings.TrimSpace(t.Token) != "", "token", "a ticket needs its token for the QR code")
	check(&v, len(t.Sessions) > 0, "sessions", "a ticket lists at least one session")
	if err := v.Err(); err != nil {
		return err
	}
	rules := t.Rules
	if rules == nil {
		rules = DefaultRules
	}
	caption := t.QRCaption
	if caption == "" {
		caption = "签到二维码"
	}
	idType := t.IDType
	if idType == "" {
		idType = "居民身份证"
	}
	rows := [][2]string{
		{"准考证号", t.Number}, {"姓　　名", t.Name}, {"证件类型", idType}, {"证件号码", t.IDNumber},
		{"职业（工种）", t.Occupation}, {"申报等级", t.Level}, {"认定批次", t.Batch},
	}
	texts := []render.DocText{txt("institution", t.Institution), txt("title", "准考证"),
		txt("subtitle", "职业技能等级认定"), txt("caption", caption), txt("labels", ticketLabels),
		txt("rules", strings.Join(rules, "")+"0123456789."), txt("issued", "签发日期：")}
	for _, rw := range rows {
		texts = append(texts, render.DocText{Field: rw[0], Text: rw[0] + rw[1]})
	}
	for i, s := range t.Sessions {
		f := fmt.Sprintf("sessions[%d]", i)
		texts = append(texts, render.DocText{Field: f, Text: MethodName(s.Method) + formatSpan(s.StartsAt, s.EndsAt) +
			s.Site + s.Address + s.Room + strconv.Itoa(s.Seat)})
	}
	if !t.IssuedAt.IsZero() {
		texts = append(texts, render.DocText{Field: "issued_at", Text: t.IssuedAt.In(China).Format("2006年01月02日")})
	}
	d, err := r.r.NewDoc("准考证 "+t.Number, texts)
	if err != nil {
		return err
	}

	// Frame and heading.
	d.Rect(10, 10, pageW-20, pageH-20, render.ColorAccent, 1.2)
	d.Rect(12.5, 12.5, pageW-25, pageH-25, render.ColorAccent, 0.4)
	y := 25.0
	if t.Institution != "" {
		if err := d.Centred(pageW/2, y, t.Institution, 12, render.ColorMuted); err != nil {
			return err
		}
	}
	if err := d.Centred(pageW/2, y+8, "职业技能等级认定", 11, render.ColorMuted); err != nil {
		return err
	}
	if err := d.Centred(pageW/2, y+22, "准　考　证", 26, render.ColorAccent); err != nil {
		return err
	}
	d.Line(pageW/2-30, y+27, pageW/2+30, y+27, render.ColorAccent, 0.8)

	// Identity table on the left, photo and QR code on the right.
	const tableTop, labelW, valueW, rowH = 60.0, 30.0, 104.0, 10.0
	d.Fill(left, tableTop, labelW, rowH*float64(len(rows)), render.ColorFill)
	d.Rect(left, tableTop, labelW+valueW, rowH*float64(len(rows)), render.ColorGrid, 0.5)
	d.Line(left+labelW, tableTop, left+labelW, tableTop+rowH*float64(len(rows)), render.ColorGrid, 0.5)
	for i, rw := range rows {
		top := tableTop + float64(i)*rowH
		if i > 0 {
			d.Line(left, top, left+labelW+valueW, top, render.ColorGrid, 0.5)
		}
		if err := d.Text(left+2.5, render.Baseline(top, rowH, 10.5), rw[0], 10.5, render.ColorMuted); err != nil {
			return err
		}
		size := 12.0
		if i == 0 {
			size = 14 // the ticket number, read at the door
		}
		size, _ = d.Fit(rw[1], valueW-5, size, 7)
		if err := d.Text(left+labelW+2.5, render.Baseline(top, rowH, size), rw[1], size, render.ColorInk); err != nil {
			return err
		}
	}
	const photoX, photoW, photoH = 158.0, 32.0, 42.0
	if len(t.Photo) > 0 {
		if err := d.Photo(t.Photo, photoX, tableTop, photoW, photoH); err != nil {
			return err
		}
	} else {
		d.Rect(photoX, tableTop, photoW, photoH, render.ColorGrid, 0.5)
	}
	const qrSide = 34.0
	qrY := tableTop + photoH + 1
	if err := d.QR(t.Token, photoX-1, qrY, qrSide); err != nil {
		return err
	}
	if err := d.Centred(photoX+photoW/2, qrY+qrSide+2, caption, 8.5, render.ColorMuted); err != nil {
		return err
	}

	// Sessions.
	y = max(tableTop+rowH*float64(len(rows)), qrY+qrSide+3) + 8
	if err := d.Text(left, y, "考试安排", 12, render.ColorAccent); err != nil {
		return err
	}
	y += 3
	cols := []struct {
		head string
		w    float64
	}{{"科目", 26}, {"考试时间", 44}, {"考点及地址", 60}, {"考场", 28}, {"座位号", 16}}
	const headH = 8.0
	d.Fill(left, y, right-left, headH, render.ColorFill)
	x := left
	for _, c := range cols {
		if err := d.Text(x+2, render.Baseline(y, headH, 9.5), c.head, 9.5, render.ColorMuted); err != nil {
			return err
		}
		x += c.w
	}
	d.Rect(left, y, right-left, headH, render.ColorGrid, 0.5)
	y += headH
	for _, s := range t.Sessions {
		cells := []string{MethodName(s.Method), formatSpan(s.StartsAt, s.EndsAt), strings.TrimSpace(s.Site + " " + s.Address),
			s.Room, strconv.Itoa(s.Seat)}
		lines := make([][]string, len(cells))
		n := 1
		for i, c := range cells {
			lines[i] = d.Wrap(c, cols[i].w-4, 9.5)
			n = max(n, len(lines[i]))
		}
		h := 4 + float64(n)*4.6
		if y+h > bottomMax {
			d.AddPage()
			y = 20
		}
		x = left
		for i, ls := range lines {
			for j, l := range ls {
				if err := d.Text(x+2, y+5.5+float64(j)*4.6, l, 9.5, render.ColorInk); err != nil {
					return err
				}
			}
			x += cols[i].w
		}
		d.Rect(left, y, right-left, h, render.ColorGrid, 0.5)
		y += h
	}

	// Rules.
	y += 9
	if y+20 > bottomMax {
		d.AddPage()
		y = 20
	}
	if err := d.Text(left, y, "考场规则", 12, render.ColorAccent); err != nil {
		return err
	}
	y += 6
	for i, rule := range rules {
		for j, l := range d.Wrap(strconv.Itoa(i+1)+". "+rule, right-left, 9.5) {
			if y > bottomMax {
				d.AddPage()
				y = 20
			}
			indent := 0.0
			if j > 0 {
				indent = 3.5
			}
			if err := d.Text(left+indent, y, l, 9.5, render.ColorInk); err != nil {
				return err
			}
			y += 5
		}
	}
	if !t.IssuedAt.IsZero() {
		if err := d.Text(left, min(y+6, bottomMax), "签发日期："+t.IssuedAt.In(China).Format("2006年01月02日"), 9, render.ColorMuted); err != nil {
			return err
		}
	}
	_, err = d.WriteTo(w)
	return err
}

// ticketLabels are the fixed strings of a ticket, for the fonts.
const ticketLabels = "准　考　证科目考试时间考点及地址考场座位号考试安排考场规则–— ()（）签到二维码"

// Sheet is the sign-in sheet of one room in one session.
type Sheet struct {
	Institution      string
	Batch            string
	Method           string // a batches.Method value
	StartsAt, EndsAt time.Time
	Site, Address    string
	Room             string
	Rows             []SheetRow // by seat
}

// SheetRow is one seat of a sign-in sheet.
type SheetRow struct {
	Seat         int
	Name         string
	MaskedID     string // the ID number as masked for lists (candidates.MaskIDNumber)
	TicketNumber string
	Photo        []byte // JPEG or PNG; empty prints an empty box
}

// Sign-in sheet geometry (mm).
const (
	sheetTop  = 52.0
	sheetHead = 9.0
	sheetRowH = 26.0
	photoColW = 22.0
)

// sheetCols are the columns of a sign-in sheet and their widths (mm): 190 in all.
var sheetCols = []struct {
	head string
	w    float64
}{{"座位号", 16}, {"照片", photoColW}, {"姓名", 34}, {"证件号码", 44}, {"准考证号", 32}, {"考生签名", 42}}

// RowsPerPage is how many seats one page of a sign-in sheet holds.
const RowsPerPage = 8 // (bottomMax - 8 - sheetTop - sheetHead) / sheetRowH, rounded down

// SignInSheets writes one PDF of sheets to w: each sheet starts a page and takes as many as its seats
// need (at least one, even with no seats, so that every room of every session has its page), each
// page with the heading of its session and room and a page count. Errors as for Render.
func (r *Renderer) SignInSheets(w io.Writer, sheets []Sheet) error {
	if len(sheets) == 0 {
		var v platform.Validation
		v.Add("sheets", "required", "there is no session with rooms to print a sign-in sheet for")
		return v.Err()
	}
	texts := []render.DocText{txt("labels", sheetLabels)}
	for i, s := range sheets {
		f := fmt.Sprintf("sheets[%d]", i)
		texts = append(texts, render.DocText{Field: f, Text: s.Institution + s.Batch + MethodName(s.Method) +
			formatSpan(s.StartsAt, s.EndsAt) + s.Site + s.Address + s.Room})
		for j, row := range s.Rows {
			texts = append(texts, render.DocText{Field: fmt.Sprintf("%s.rows[%d]", f, j),
				Text: row.Name + row.MaskedID + row.TicketNumber})
		}
	}
	d, err := r.r.NewDoc("签到表", texts)
	if err != nil {
		return err
	}
	first := true
	for _, s := range sheets {
		pages := max(1, (len(s.Rows)+RowsPerPage-1)/RowsPerPage)
		for p := 0; p < pages; p++ {
			if !first {
				d.AddPage()
			}
			first = false
			end := min(len(s.Rows), (p+1)*RowsPerPage)
			if err := drawSheetPage(d, s, s.Rows[min(p*RowsPerPage, end):end], p+1, pages); err != nil {
				return err
			}
		}
	}
	_, err = d.WriteTo(w)
	return err
}

// sheetLabels are the fixed strings of a sign-in sheet, for the fonts.
const sheetLabels = "考场签到表科目时间考点地址考场座位号照片姓名证件号码准考证号考生签名第共页监考人员签名：应到实到人缺考0123456789/ –—：:（）_"

func drawSheetPage(d *render.Doc, s Sheet, rows []SheetRow, page, pages int) error {
	const l, r = 10.0, 200.0
	if s.Institution != "" {
		if err := d.Centred(pageW/2, 16, s.Institution, 10.5, render.ColorMuted); err != nil {
			return err
		}
	}
	if err := d.Centred(pageW/2, 26, "考 场 签 到 表", 18, render.ColorAccent); err != nil {
		return err
	}
	// The heading's parts are drawn one by one, a gap apart (a wide space inside a run of text would be
	// set narrower than measured).
	info := [][]string{{"科目：" + MethodName(s.Method), "时间：" + formatSpan(s.StartsAt, s.EndsAt)},
		{"考点：" + strings.TrimSpace(s.Site+" "+s.Address), "考场：" + s.Room}}
	if s.Batch != "" {
		info[0] = append([]string{s.Batch}, info[0]...)
	}
	for i, parts := range info {
		size, _ := d.Fit(strings.Join(parts, "    "), r-l, 10, 6.5)
		x := l
		for _, part := range parts {
			if err := d.Text(x, 36+float64(i)*6, part, size, render.ColorInk); err != nil {
				return err
			}
			x += d.Width(part+"    ", size)
		}
	}
	y := sheetTop
	d.Fill(l, y, r-l, sheetHead, render.ColorFill)
	x := l
	for _, c := range sheetCols {
		if err := d.Text(x+2, render.Baseline(y, sheetHead, 9.5), c.head, 9.5, render.ColorMuted); err != nil {
			return err
		}
		x += c.w
	}
	y += sheetHead
	for _, row := range rows {
		x = l
		cells := []string{strconv.Itoa(row.Seat), "", row.Name, row.MaskedID, row.TicketNumber, ""}
		for i, c := range sheetCols {
			switch {
			case i == 1:
				if len(row.Photo) > 0 {
					if err := d.Photo(row.Photo, x+2, y+2, c.w-4, sheetRowH-4); err != nil {
						return err
					}
				}
			case cells[i] != "":
				size, _ := d.Fit(cells[i], c.w-4, 10.5, 6.5)
				if err := d.Text(x+2, render.Baseline(y, sheetRowH, size), cells[i], size, render.ColorInk); err != nil {
					return err
				}
			}
			x += c.w
		}
		y += sheetRowH
	}
	// The grid over the header and the rows.
	d.Rect(l, sheetTop, r-l, y-sheetTop, render.ColorGrid, 0.5)
	x = l
	for _, c := range sheetCols[:len(sheetCols)-1] {
		x += c.w
		d.Line(x, sheetTop, x, y, render.ColorGrid, 0.5)
	}
	for yy := sheetTop + sheetHead; yy < y; yy += sheetRowH {
		d.Line(l, yy, r, yy, render.ColorGrid, 0.5)
	}
	foot := fmt.Sprintf("应到 %d 人    实到 ____ 人    缺考 ____ 人    监考人员签名：______________", len(s.Rows))
	if page < pages {
		foot = "监考人员签名：______________"
	}
	if err := d.Text(l, bottomMax, foot, 9.5, render.ColorInk); err != nil {
		return err
	}
	return d.Text(r-24, bottomMax, fmt.Sprintf("第 %d/%d 页", page, pages), 9, render.ColorMuted)
}
