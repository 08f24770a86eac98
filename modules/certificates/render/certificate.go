package render

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // registers JPEG for image.DecodeConfig of photos
	_ "image/png"  // registers PNG for image.DecodeConfig of photos
	"strings"
	"time"
	"unicode/utf8"

	"github.com/skillcert/skillcert/modules/platform"
)

// NationalQueryURL is the national online query of skill certificates run by the ministry's skill
// appraisal centre (OSTA, 人社部职业技能鉴定中心). Certificates are reported to it, so its address
// belongs on every certificate next to the platform's own verify address; it is the default of
// Certificate.QueryAddresses.
const NationalQueryURL = "http://zscx.osta.org.cn/"

// DefaultTitle is the certificate name DOMAIN.md makes mandatory for skill level certificates.
const DefaultTitle = "职业技能等级证书"

// NumberLength is the length of a skill level certificate number (人社鉴发〔2019〕2号).
const NumberLength = 22

// Placeholder is printed for an optional field without a value, as certificates print "--" for an
// occupation without sub-type.
const Placeholder = "--"

// Keys of the values a Certificate carries in its own fields; a Template names them in Field.Key.
// Any other key is looked up in Certificate.Extra.
const (
	FieldHolderName     = "holder_name"
	FieldIDType         = "id_type"
	FieldIDNumber       = "id_number"
	FieldOccupation     = "occupation"
	FieldOccupationCode = "occupation_code"
	FieldSubType        = "sub_type"
	FieldLevel          = "level"
	FieldNumber         = "number"
	FieldInstitution    = "institution"
	FieldIssueDate      = "issue_date"
)

// Limits of one A4 page.
const (
	maxFields         = 11 // table rows that fit between the title and the query block
	maxQueryAddresses = 3
	maxPhotoBytes     = 8 << 20
)

// Field is one row of a certificate's label/value table.
type Field struct {
	Key      string // a Field* constant or a key of Certificate.Extra
	Label    string // printed in the left column, e.g. "姓名"
	Optional bool   // when true an empty value prints Placeholder instead of failing validation
}

// Template is the data-driven layout of a kind of certificate: the national skill level certificate
// (SkillLevelTemplate) or an enterprise's own post certificate under "one post, double recognition"
// (一岗双证, PostTemplate). The page frame, photo box, QR code and query block are common to all.
type Template struct {
	Title        string  // centred heading, e.g. "职业技能等级证书"
	Subtitle     string  // optional line under the title
	Fields       []Field // table rows, top to bottom; at most 11
	NumberLength int     // exact length of Certificate.Number in characters; 0 accepts any non-empty number
	QueryLabel   string  // heading of the query addresses, e.g. "证书查询"
	QRCaption    string  // text under the QR code
	Footer       string  // optional small line at the bottom of the page
}

// SkillLevelTemplate returns the template of the national vocational skill level certificate with every
// mandatory field of DOMAIN.md step 6. Each call returns a fresh copy, safe to modify.
func SkillLevelTemplate() *Template {
	return &Template{
		Title: DefaultTitle,
		Fields: []Field{
			{Key: FieldHolderName, Label: "姓名"},
			{Key: FieldIDType, Label: "证件类型"},
			{Key: FieldIDNumber, Label: "证件号码"},
			{Key: FieldOccupation, Label: "职业名称"},
			{Key: FieldOccupationCode, Label: "职业编码", Optional: true},
			{Key: FieldSubType, Label: "工种/职业方向", Optional: true},
			{Key: FieldLevel, Label: "职业技能等级"},
			{Key: FieldNumber, Label: "证书编号"},
			{Key: FieldInstitution, Label: "评价机构"},
			{Key: FieldIssueDate, Label: "发证日期"},
		},
		NumberLength: NumberLength,
		QueryLabel:   "证书查询",
		QRCaption:    "扫码验证",
		Footer:       "本证书信息可通过上述查询地址或扫描二维码核验",
	}
}

// FieldPost is the Extra key of the post (岗位) on a post certificate.
const FieldPost = "post"

// DefaultPostTitle titles a post certificate whose enterprise named none.
const DefaultPostTitle = "岗位证书"

// PostTemplate returns a template for an enterprise's own post certificate (一岗双证) titled title
// (DefaultPostTitle when empty: a post certificate must not pass for the national one). The post comes from Certificate.Extra[FieldPost]; the number
// is the enterprise's own, of any length. Callers may add, relabel or drop fields on the copy returned.
func PostTemplate(title string) *Template {
	if strings.TrimSpace(title) == "" {
		title = DefaultPostTitle
	}
	return &Template{
		Title:    title,
		Subtitle: "（一岗双证 · 岗位证书）",
		Fields: []Field{
			{Key: FieldHolderName, Label: "姓名"},
			{Key: FieldIDType, Label: "证件类型"},
			{Key: FieldIDNumber, Label: "证件号码"},
			{Key: FieldPost, Label: "岗位"},
			{Key: FieldOccupation, Label: "对应职业", Optional: true},
			{Key: FieldLevel, Label: "岗位等级", Optional: true},
			{Key: FieldNumber, Label: "证书编号"},
			{Key: FieldInstitution, Label: "发证单位"},
			{Key: FieldIssueDate, Label: "发证日期"},
		},
		QueryLabel: "证书查询",
		QRCaption:  "扫码验证",
	}
}

// Certificate is everything printed on one certificate. The renderer formats; it decides nothing:
// labels such as the level ("四级/中级工") and the ID type ("居民身份证") come in already worded.
type Certificate struct {
	Template *Template // nil means SkillLevelTemplate()
	Title    string    // overrides Template.Title when not empty

	Institution    string    // institution name as filed
	IssueDate      time.Time // printed as a civil date, 2025年6月30日, in the time's own location
	HolderName     string
	IDType         string // e.g. "居民身份证"
	IDNumber       string
	Occupation     string // e.g. "电工"
	OccupationCode string // e.g. "6-31-01-03"; optional
	SubType        string // 工种/职业方向; empty prints "--"
	Level          string // e.g. "四级/中级工"
	Number         string // 22 characters for a skill level certificate
	Photo          []byte // JPEG or PNG; optional (the box is left out without one)
	VerifyURL      string // content of the QR code: {SKILLCERT_PUBLIC_URL}/verify/{number}

	// QueryAddresses are printed under "证书查询", one a line, at most 3. Nil means
	// []string{NationalQueryURL}; callers normally pass the platform's verify address and NationalQueryURL.
	QueryAddresses []string

	// Extra holds values of template fields that are not built in, such as FieldPost.
	Extra map[string]string
}

// template returns the effective template, title override applied, without touching the caller's.
func (c *Certificate) template() Template {
	t := SkillLevelTemplate()
	if c.Template != nil {
		t = c.Template
	}
	out := *t
	if c.Title != "" {
		out.Title = c.Title
	}
	return out
}

// queryAddresses returns the addresses to print.
func (c *Certificate) queryAddresses() []string {
	if c.QueryAddresses == nil {
		return []string{NationalQueryURL}
	}
	return c.QueryAddresses
}

// value returns the text of a field key, "" when it has none.
func (c *Certificate) value(key string) string {
	switch key {
	case FieldHolderName:
		return c.HolderName
	case FieldIDType:
		return c.IDType
	case FieldIDNumber:
		return c.IDNumber
	case FieldOccupation:
		return c.Occupation
	case FieldOccupationCode:
		return c.OccupationCode
	case FieldSubType:
		return c.SubType
	case FieldLevel:
		return c.Level
	case FieldNumber:
		return c.Number
	case FieldInstitution:
		return c.Institution
	case FieldIssueDate:
		if c.IssueDate.IsZero() {
			return ""
		}
		return FormatDate(c.IssueDate)
	default:
		return c.Extra[key]
	}
}

// FormatDate prints a date the way certificates do: 2025年6月30日.
func FormatDate(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// row is one resolved table row.
type row struct {
	key, label, value string
}

// photoInfo is what validation learnt about the photo.
type photoInfo struct {
	width, height int
}

// resolved is a certificate checked and reduced to the strings and facts the layout draws.
type resolved struct {
	tmpl      Template
	rows      []row
	addresses []string
	photo     *photoInfo
	texts     []labelled // every string printed, for the glyph check
}

// labelled is one printed string and the field it belongs to.
type labelled struct {
	field, text string
}

// resolve validates c and returns what to draw, or a validation_failed *platform.Error listing fields.
func resolve(c *Certificate) (*resolved, error) {
	var v platform.Validation
	t := c.template()
	r := &resolved{tmpl: t}
	v.Check(strings.TrimSpace(t.Title) != "", "title", "required", "the certificate needs a title")
	v.Check(len(t.Fields) > 0, "template.fields", "required", "the template has no fields")
	v.Check(len(t.Fields) <= maxFields, "template.fields", "too_many",
		fmt.Sprintf("a template has at most %d fields on one A4 page", maxFields))
	r.texts = append(r.texts,
		labelled{"title", t.Title}, labelled{"template.subtitle", t.Subtitle},
		labelled{"template.query_label", t.QueryLabel + "："}, labelled{"template.qr_caption", t.QRCaption},
		labelled{"template.footer", t.Footer})

	seen := make(map[string]bool, len(t.Fields))
	for i, f := range t.Fields {
		where := fmt.Sprintf("template.fields[%d]", i)
		if !v.Check(f.Key != "", where, "required", "a template field needs a key") {
			continue
		}
		v.Check(!seen[f.Key], where, "duplicate", "field "+f.Key+" appears twice")
		seen[f.Key] = true
		v.Check(strings.TrimSpace(f.Label) != "", where, "required", "field "+f.Key+" needs a label")
		val := strings.TrimSpace(c.value(f.Key))
		if val == "" {
			if !f.Optional {
				v.Add(f.Key, "required", f.Label+" is required")
				continue
			}
			val = Placeholder
		}
		r.rows = append(r.rows, row{key: f.Key, label: f.Label, value: val})
		r.texts = append(r.texts, labelled{where + ".label", f.Label}, labelled{f.Key, val})
	}
	if seen[FieldNumber] && t.NumberLength > 0 && c.Number != "" {
		v.Check(utf8.RuneCountInString(c.Number) == t.NumberLength, FieldNumber, "invalid_length",
			fmt.Sprintf("a certificate number has %d characters", t.NumberLength))
	}

	v.Check(strings.TrimSpace(c.VerifyURL) != "", "verify_url", "required", "the QR code needs the verify URL")

	r.addresses = c.queryAddresses()
	v.Check(len(r.addresses) > 0, "query_addresses", "required", "at least one query address is needed")
	v.Check(len(r.addresses) <= maxQueryAddresses, "query_addresses", "too_many",
		fmt.Sprintf("at most %d query addresses fit", maxQueryAddresses))
	for i, a := range r.addresses {
		where := fmt.Sprintf("query_addresses[%d]", i)
		if v.Check(strings.TrimSpace(a) != "", where, "required", "a query address is empty") {
			r.texts = append(r.texts, labelled{where, a})
		}
	}

	if len(c.Photo) > 0 {
		p, code, msg := checkPhoto(c.Photo)
		if code != "" {
			v.Add("photo", code, msg)
		} else {
			r.photo = p
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// checkPhoto accepts JPEG and PNG within size limits; it returns a field error code and message otherwise.
func checkPhoto(b []byte) (*photoInfo, string, string) {
	if len(b) > maxPhotoBytes {
		return nil, "too_large", fmt.Sprintf("the photo is over %d MiB", maxPhotoBytes>>20)
	}
	isJPEG := bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF})
	isPNG := bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n"))
	if !isJPEG && !isPNG {
		return nil, "unsupported_format", "the photo must be JPEG or PNG"
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "unsupported_format", "the photo cannot be decoded"
	}
	return &photoInfo{width: cfg.Width, height: cfg.Height}, "", ""
}
