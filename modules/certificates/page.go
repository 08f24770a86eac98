package certificates

import (
	"bytes"
	"html/template"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/platform"
)

// pageData is what the verification page shows.
type pageData struct {
	Number    string
	Found     bool
	Limited   bool
	Valid     bool
	Name      string // the name the visitor typed, if any
	Matched   *bool
	L         LookupView
	QueryPath string
}

// verifyPage is the public verification page: Chinese with English, self-contained (inline CSS, no
// scripts, fonts or images from elsewhere), so it works on any phone that scans the QR code.
var verifyPage = template.Must(template.New("verify").Funcs(template.FuncMap{
	"deref": func(b *bool) bool { return b != nil && *b },
}).Parse(`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>证书查询 Certificate verification – {{.Number}}</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f6f8;color:#1f2933}
main{max-width:40rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}
.en{color:#616e7c;font-size:.85em;font-weight:normal}
.card{background:#fff;border-radius:.5rem;padding:1.2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.status{font-size:1.2rem;font-weight:bold;padding:.6rem .8rem;border-radius:.35rem;margin-bottom:1rem}
.valid{background:#e3f9e5;color:#05400a}.revoked{background:#ffe3e3;color:#610404}.unknown{background:#fff3c4;color:#513c06}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.45rem .3rem;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{width:38%;font-weight:600}
form{margin-top:1rem}input{padding:.45rem;font-size:1rem;border:1px solid #9aa5b1;border-radius:.3rem;width:12rem}
button{padding:.45rem .9rem;font-size:1rem;border:0;border-radius:.3rem;background:#2680c2;color:#fff}
.note{font-size:.85rem;color:#52606d;margin-top:1rem}
</style>
</head>
<body><main>
<h1>职业技能等级证书查询 <span class="en">Certificate verification</span></h1>
<div class="card">
{{if .Limited}}
<div class="status unknown">查询过于频繁，请稍后再试 <span class="en">Too many look-ups; please try again later.</span></div>
{{else if not .Found}}
<div class="status unknown">未找到该证书编号 <span class="en">No certificate has this number.</span></div>
<p>证书编号 <span class="en">Number</span>: <code>{{.Number}}</code></p>
{{else}}
{{if .Valid}}<div class="status valid">✔ 有效证书 <span class="en">Valid certificate</span></div>
{{else}}<div class="status revoked">✘ 证书已撤销 <span class="en">This certificate has been revoked</span></div>{{end}}
<table>
<tr><th>证书名称 <span class="en">Certificate</span></th><td>{{.L.Title}}</td></tr>
<tr><th>证书编号 <span class="en">Number</span></th><td><code>{{.L.Number}}</code></td></tr>
<tr><th>姓名 <span class="en">Holder</span></th><td>{{.L.HolderName}}{{if .Matched}}{{if deref .Matched}} ✔ <span class="en">name confirmed</span>{{else}} <span class="en">(the name given does not match)</span>{{end}}{{end}}</td></tr>
{{if .L.Post}}<tr><th>岗位 <span class="en">Post</span></th><td>{{.L.Post}}</td></tr>{{end}}
<tr><th>职业 <span class="en">Occupation</span></th><td>{{.L.Occupation}} ({{.L.OccupationCode}}){{if ne .L.Subtype "--"}} · {{.L.Subtype}}{{end}}</td></tr>
<tr><th>等级 <span class="en">Level</span></th><td>{{.L.LevelName}}</td></tr>
<tr><th>评价机构 <span class="en">Issued by</span></th><td>{{.L.Institution}}</td></tr>
<tr><th>发证日期 <span class="en">Issued on</span></th><td>{{.L.IssuedOn}}</td></tr>
</table>
<form method="get" action="{{.QueryPath}}">
<label>输入持证人姓名核对 <span class="en">Confirm the holder's full name</span><br>
<input name="name" value="{{.Name}}" autocomplete="off" maxlength="64"></label>
<button type="submit">核对 Check</button>
</form>
{{end}}
<p class="note">本页面信息来自发证机构的实时记录。<span class="en">This page shows the issuing institution's live record.</span></p>
</div>
</main></body></html>
`))

func (h *Handler) page(c *fiber.Ctx) error {
	num := number(c)
	d := pageData{Number: num, QueryPath: "/verify/" + num, Name: c.Query("name")}
	status := fiber.StatusOK
	if err := h.limit.Check(c); err != nil {
		d.Limited, status = true, fiber.StatusTooManyRequests
	} else {
		l, err := h.svc.LookupNumber(c.UserContext(), num, d.Name)
		switch {
		case err == nil:
			d.Found, d.Valid, d.L, d.Matched = true, l.Valid, NewLookupView(l), l.NameMatches
		case platform.KindOf(err) == platform.KindNotFound:
			status = fiber.StatusNotFound
		default:
			return err
		}
	}
	var buf bytes.Buffer
	if err := verifyPage.Execute(&buf, d); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}
