package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/identity"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/*
var assetFS embed.FS

// templates holds one parsed set per page: the layout plus that page's "content" block.
type templates struct {
	pages map[string]*template.Template
}

// funcs are the few helpers templates use beyond the localizer.
var funcs = template.FuncMap{
	"asset": assetURL,
	"add":   func(a, b int) int { return a + b },
	// deref is the value of a *int64 (0 for nil), for optional numbers such as a chain's first bad entry.
	"deref": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	// dict builds the argument of a partial: {{template "pager" (dict "L" $.L "List" $p.List)}}.
	"dict": func(pairs ...any) (map[string]any, error) {
		if len(pairs)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(pairs)/2)
		for i := 0; i < len(pairs); i += 2 {
			k, ok := pairs[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", pairs[i])
			}
			m[k] = pairs[i+1]
		}
		return m, nil
	},
}

func parseTemplates(_ *catalog) (*templates, error) {
	layout, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// Files named _*.html hold partials every page may call (the list's pager, sort heads, …).
	var partials []string
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "_") {
			b, err := fs.ReadFile(templateFS, f)
			if err != nil {
				return nil, err
			}
			partials = append(partials, string(b))
		}
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		body, err := fs.ReadFile(templateFS, f)
		if err != nil {
			return nil, err
		}
		set, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("console: layout: %w", err)
		}
		for _, p := range partials {
			if _, err := set.Parse(p); err != nil {
				return nil, fmt.Errorf("console: partials: %w", err)
			}
		}
		if _, err := set.New(name).Parse(string(body)); err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		t.pages[name] = set
	}
	return t, nil
}

// view is what every page template gets: the localizer, the signed-in user, the menu, the CSRF token,
// banners for admins, and the page's own data.
type view struct {
	L       *loc
	CSRF    string
	User    *identity.User
	Tenant  string // the tenant's slug
	Kind    string // the tenant's kind
	Nav     []navItem
	Path    string
	Banners []Problem
	Page    any
}

// render writes a page through the layout.
func (c *Console) render(fc *fiber.Ctx, name string, page any) error {
	set, ok := c.tmpl.pages[name]
	if !ok {
		return fmt.Errorf("console: no template %q", name)
	}
	v := c.viewFor(fc, page)
	// Straight into the response's body (fasthttp's pooled buffer, not sent before the handler returns):
	// a template error empties it, so that it never leaves half a page.
	res := fc.Response()
	res.ResetBody()
	if err := set.ExecuteTemplate(res.BodyWriter(), "layout", v); err != nil {
		res.ResetBody()
		return fmt.Errorf("console: rendering %s: %w", name, err)
	}
	fc.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return nil
}

// renderBuffers keeps buffers for parts of pages rendered on their own (a list page is tens of
// kilobytes).
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// loc is the request's localizer (for handlers that write messages outside a template: exports).
func (c *Console) loc(fc *fiber.Ctx) *loc { return c.i18n.localizer(requestLanguage(fc)) }

func (c *Console) viewFor(fc *fiber.Ctx, page any) view {
	v := view{L: c.i18n.localizer(requestLanguage(fc)), CSRF: c.csrfToken(fc), Path: fc.Path(), Page: page}
	if p, ok := principal(fc); ok {
		u := p.User
		v.User, v.Tenant, v.Kind = &u, p.Scope.Slug, string(p.Scope.Kind)
		v.Nav = c.nav(fc)
		if c.d.Health != nil && (p.Actor.HasRole("admin") || p.Actor.HasRole("platform_admin")) {
			v.Banners = c.d.Health.Problems(fc.UserContext())
		}
	}
	return v
}

// Assets: our own stylesheet and script, embedded, served with a content hash in the URL so that
// browsers cache them for a year and a new binary's assets are fetched at once. Each is kept gzipped
// too, for clients that accept it.

type asset struct {
	body, gz []byte
	hash     string
	ctype    string
}

var (
	assetsOnce sync.Once
	assets     map[string]*asset
)

func loadAssets() map[string]*asset {
	assetsOnce.Do(func() {
		assets = map[string]*asset{}
		entries, _ := fs.ReadDir(assetFS, "assets")
		for _, e := range entries {
			b, err := fs.ReadFile(assetFS, "assets/"+e.Name())
			if err != nil {
				continue
			}
			sum := sha256.Sum256(b)
			var gz bytes.Buffer
			w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
			_, _ = w.Write(b)
			_ = w.Close()
			assets[e.Name()] = &asset{body: b, gz: gz.Bytes(), hash: hex.EncodeToString(sum[:6]),
				ctype: mime.TypeByExtension(path.Ext(e.Name()))}
		}
	})
	return assets
}

// assetURL is an asset's address with its content hash.
func assetURL(name string) string {
	a, ok := loadAssets()[name]
	if !ok {
		return "/assets/" + name
	}
	return "/assets/" + name + "?v=" + a.hash
}

func (c *Console) asset(fc *fiber.Ctx) error {
	a, ok := loadAssets()[fc.Params("name")]
	if !ok {
		return fiber.ErrNotFound
	}
	fc.Set(fiber.HeaderContentType, a.ctype)
	fc.Set("X-Content-Type-Options", "nosniff")
	fc.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if fc.Query("v") == a.hash {
		fc.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		fc.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if strings.Contains(fc.Get(fiber.HeaderAcceptEncoding), "gzip") {
		fc.Set(fiber.HeaderContentEncoding, "gzip")
		return fc.Send(a.gz)
	}
	return fc.Send(a.body)
}
