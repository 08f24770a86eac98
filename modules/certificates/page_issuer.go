package certificates

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Media types of an issuer id. Programs get the controller document as JSON-LD unless they ask for
// plain JSON or application/cid (its registered media type); people's browsers get the page.
const (
	mimeJSONLD = "application/ld+json"
	mimeCID    = "application/cid"
	mimeJSON   = "application/json"
	mimeHTML   = "text/html"
	mimeXHTML  = "application/xhtml+xml"
)

// issuerMaxAge is how long caches may keep an issuer document: short, as a rotation adds the key
// that new credentials name; the ETag lets them revalidate cheaply after.
const issuerMaxAge = "public, max-age=60"

// issuerPages mounts the issuer ids that credentials, post credentials and status list credentials
// name as their issuer and as the base of their proofs' verificationMethod (<issuer id>#<kid>).
func (h *Handler) issuerPages(app fiber.Router) {
	app.Get("/issuers/:id", h.issuer)
}

// issuer answers an issuer id, negotiated on Accept: the controller document for programs (any
// Accept that does not prefer HTML, none included), the public institution page for people. HTTP
// clients drop the fragment of a verificationMethod, so this one document holds every key.
func (h *Handler) issuer(c *fiber.Ctx) error {
	c.Vary(fiber.HeaderAccept)
	mediaType := issuerMediaType(negotiate(c.Get(fiber.HeaderAccept), mimeJSONLD, mimeJSON, mimeCID, mimeHTML, mimeXHTML))
	iss, err := h.findIssuer(c)
	if err != nil {
		if mediaType == mimeHTML && platform.KindOf(err) == platform.KindNotFound {
			return sendIssuerPage(c, fiber.StatusNotFound, issuerPageData{}, "no-store")
		}
		return err
	}
	if mediaType == mimeHTML {
		return sendIssuerPage(c, fiber.StatusOK, issuerPageData{Found: true, I: NewIssuerView(iss)}, issuerMaxAge)
	}
	doc, err := iss.Document()
	if err != nil {
		return err
	}
	// The document is public and meant for verifiers, browser-based ones included.
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	return sendCacheable(c, doc, mediaType, issuerMaxAge)
}

// findIssuer reads the issuer of the :id parameter. Only the canonical form of the id names an
// issuer: the document's id must be the URL it was fetched from.
func (h *Handler) findIssuer(c *fiber.Ctx) (Issuer, error) {
	raw := c.Params("id")
	id, err := uuid.Parse(raw)
	if err != nil || id.String() != raw {
		return Issuer{}, ErrUnknownIssuer
	}
	return h.svc.Issuer(c.UserContext(), id)
}

// issuerMediaType maps the negotiated offer to what is sent: JSON-LD for anything but HTML or the
// JSON types asked for by name (also when nothing offered is acceptable: a verifier should not
// fail on a strict Accept).
func issuerMediaType(offer string) string {
	switch offer {
	case mimeHTML, mimeXHTML:
		return mimeHTML
	case mimeJSON, mimeCID:
		return offer
	}
	return mimeJSONLD
}

// negotiate returns the offer the Accept header rates highest (RFC 9110 §12.5.1), the first offer
// winning ties, or "" when it accepts none. An offer's quality is that of the most specific range
// matching it, and parameters other than q do not keep a range from matching: a JSON-LD client's
// `application/ld+json;profile="…"` still asks for JSON-LD. (fiber's Accepts requires the offer to
// carry such parameters, and would then fall through to a lesser range such as text/html.)
func negotiate(accept string, offers ...string) string {
	if strings.TrimSpace(accept) == "" {
		return offers[0]
	}
	type mediaRange struct {
		typ, sub string
		q        float64
	}
	var ranges []mediaRange
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		typ, sub, ok := strings.Cut(mt, "/")
		if err != nil || !ok {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		ranges = append(ranges, mediaRange{typ, sub, q})
	}
	best, bestQ := "", 0.0
	for _, offer := range offers {
		typ, sub, _ := strings.Cut(offer, "/")
		q, specificity := 0.0, -1
		for _, r := range ranges {
			s := -1
			switch {
			case r.typ == typ && r.sub == sub:
				s = 2
			case r.typ == typ && r.sub == "*":
				s = 1
			case r.typ == "*" && r.sub == "*":
				s = 0
			}
			if s > specificity {
				q, specificity = r.q, s
			}
		}
		if q > bestQ {
			best, bestQ = offer, q
		}
	}
	return best
}

// sendCacheable sends body with a strong ETag of its content, or 304 when the client holds it.
func sendCacheable(c *fiber.Ctx, body []byte, contentType, cacheControl string) error {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, cacheControl)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(body)
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2) to a list of tags.
func etagMatches(ifNoneMatch, etag string) bool {
	for _, tag := range strings.Split(ifNoneMatch, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}

func sendIssuerPage(c *fiber.Ctx, status int, d issuerPageData, cacheControl string) error {
	var buf bytes.Buffer
	if err := issuerPage.Execute(&buf, d); err != nil {
		return err
	}
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	c.Status(status)
	if status != fiber.StatusOK {
		c.Set(fiber.HeaderCacheControl, cacheControl)
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(buf.Bytes())
	}
	return sendCacheable(c, buf.Bytes(), fiber.MIMETextHTMLCharsetUTF8, cacheControl)
}

// issuerPageData is what the public institution page shows.
type issuerPageData struct {
	Found bool
	I     IssuerView
}

// kindNamesEN are the English names shown beside KindName.
var kindNamesEN = map[tenants.Kind]string{
	tenants.KindEnterprise: "Enterprise",
	tenants.KindSocialOrg:  "Social training and evaluation organisation",
	tenants.KindSchool:     "Technical school",
}

// issuerPage is the public page of an institution at its issuer id: who it is and the keys its
// certificates are signed with. Self-contained like the verification page: inline CSS, no script,
// nothing from another host.
var issuerPage = template.Must(template.New("issuer").Funcs(template.FuncMap{
	"kindEN": func(k tenants.Kind) string { return kindNamesEN[k] },
	"date": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			return t.In(chinaTime).Format(time.DateOnly)
		case *time.Time:
			if t != nil {
				return t.In(chinaTime).Format(time.DateOnly)
			}
		}
		return ""
	},
}).Parse(`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{if .Found}}<title>{{.I.Name}} – 发证机构 Issuer</title>
<link rel="alternate" type="application/ld+json" href="{{.I.ID}}">
{{else}}<title>未找到发证机构 Issuer not found</title>
<meta name="robots" content="noindex">
{{end}}<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f6f8;color:#1f2933}
main{max-width:44rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .6rem}
.en{color:#616e7c;font-size:.85em;font-weight:normal}
.card{background:#fff;border-radius:.5rem;padding:1.2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.45rem .3rem;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{width:38%;font-weight:600}code{word-break:break-all;font-size:.9em}
.keys th{width:auto}
.active{color:#05400a}.retired{color:#52606d}
.note{font-size:.85rem;color:#52606d;margin-top:1rem}
</style>
</head>
<body><main>
{{if .Found}}{{with .I}}
<h1>{{.Name}} <span class="en">Certificate issuer</span></h1>
<div class="card">
<table>
<tr><th>机构类型 <span class="en">Kind</span></th><td>{{.KindName}} <span class="en">{{kindEN .Kind}}</span></td></tr>
<tr><th>所在地区 <span class="en">Region</span></th><td>{{if .Region}}{{.Region}} {{end}}<span class="en">{{.RegionCode}}</span></td></tr>
{{if .CreditCode}}<tr><th>统一社会信用代码 <span class="en">Unified social credit code</span></th><td><code>{{.CreditCode}}</code></td></tr>
{{end}}<tr><th>发证机构标识 <span class="en">Issuer id</span></th><td><code>{{.ID}}</code></td></tr>
</table>
</div>
<h2>签名密钥 <span class="en">Signing keys</span></h2>
<div class="card">
{{if .Keys}}<table class="keys">
<tr><th>指纹 <span class="en">Fingerprint</span></th><th>启用 <span class="en">Created</span></th><th>状态 <span class="en">Status</span></th></tr>
{{range .Keys}}<tr><td><code>{{.KID}}</code></td><td>{{date .CreatedAt}}</td><td>{{if .Active}}<span class="active">在用 <span class="en">Active</span></span>{{else}}<span class="retired">{{date .RetiredAt}} 停用 <span class="en">Retired</span></span>{{end}}</td></tr>
{{end}}</table>
{{else}}<p>该机构尚未签发电子证书。<span class="en">This institution has not signed a credential yet.</span></p>
{{end}}<p class="note">指纹是公钥的 JWK SHA-256 指纹（RFC 7638），也是电子证书签名 verificationMethod 中 # 之后的部分。已停用的密钥不再签名，此前用它签发的证书仍然有效。
<span class="en">A fingerprint is the key's RFC 7638 JWK thumbprint, the part after # of a credential proof's verificationMethod. A retired key signs no more; what it signed stays valid. Programs requesting this address with Accept: application/ld+json receive the issuer's controller document with the keys as Multikeys.</span></p>
</div>
{{end}}{{else}}
<h1>未找到发证机构 <span class="en">Issuer not found</span></h1>
<div class="card"><p>此地址不对应任何发证机构。<span class="en">No certificate issuer has this address.</span></p></div>
{{end}}
</main></body></html>
`))
