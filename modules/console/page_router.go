package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Route is one console page as the route-walk test sees it: every page is Public, AnyRole, or
// declares the Permission its API twin declares.
type Route struct {
	Method, Path string
	Permission   string
	AnyRole      bool
	Public       bool
}

// access is what a page needs of its visitor.
type access struct {
	Permission string // checked with the same policies as the API
	AnyRole    bool   // signed in, any role
	Public     bool   // no sign-in
}

type router struct {
	c      *Console
	app    *fiber.App
	routes []Route
}

func (r *router) get(path string, a access, h fiber.Handler)  { r.add(http.MethodGet, path, a, h) }
func (r *router) post(path string, a access, h fiber.Handler) { r.add(http.MethodPost, path, a, h) }

// add registers a page behind the console's chain: security headers, the session, sign-in (303 to
// /login), CSRF on state-changing requests, then the permission. It refuses a page that declares no
// access, as the API router does.
func (r *router) add(method, path string, a access, h fiber.Handler) {
	if !a.Public && !a.AnyRole && a.Permission == "" {
		panic("console: " + method + " " + path + " declares no permission (set AnyRole or Public if intended)")
	}
	c := r.c
	chain := []fiber.Handler{c.headers, c.session}
	if !a.Public {
		chain = append(chain, c.requireLogin)
	}
	if method != http.MethodGet && method != http.MethodHead {
		chain = append(chain, c.verifyCSRF)
	}
	if a.Permission != "" {
		perm := a.Permission
		chain = append(chain, func(fc *fiber.Ctx) error {
			if err := c.d.Authorizer.Check(fc.UserContext(), perm); err != nil {
				return c.renderError(fc, err)
			}
			return fc.Next()
		})
	}
	chain = append(chain, func(fc *fiber.Ctx) error {
		if err := h(fc); err != nil {
			return c.renderError(fc, err)
		}
		return nil
	})
	r.app.Add(method, path, chain...)
	// Recorded for the route-walk test; the permission is forwarded, not declared, here (pages declare
	// theirs with the modules' Perm* constants in access{Permission: …}).
	rt := Route{Method: method, Path: path, AnyRole: a.AnyRole, Public: a.Public}
	rt.Permission = a.Permission
	r.routes = append(r.routes, rt)
}

// headers sets the console's security headers: a Content-Security-Policy that allows nothing from
// another host and no inline script, no framing, and a strict referrer policy.
func (c *Console) headers(fc *fiber.Ctx) error {
	setHeaders(fc)
	return fc.Next()
}

func setHeaders(fc *fiber.Ctx) {
	fc.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	fc.Set("X-Frame-Options", "DENY")
	fc.Set("X-Content-Type-Options", "nosniff")
	fc.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	fc.Set("Cache-Control", "no-store")
}

// renderError shows an error as a page: 401 goes to the login page, a rate limit or an unavailable
// database says so, anything else shows the status with the problem's message (never a cause).
func (c *Console) renderError(fc *fiber.Ctx, err error) error {
	p := httpx.ProblemFor(err)
	if p.Status == fiber.StatusUnauthorized {
		return redirectToLogin(fc)
	}
	if p.Status >= 500 {
		c.d.Log.ErrorContext(fc.UserContext(), "console: request failed", "path", fc.Path(), "err", err)
	}
	key := "error.generic"
	switch {
	case errors.Is(err, errBadCSRF):
		key = "error.csrf"
	case p.Status == fiber.StatusForbidden:
		key = "error.forbidden"
	case p.Status == fiber.StatusNotFound:
		key = "error.not_found"
	case p.Status == fiber.StatusTooManyRequests:
		key = "error.rate_limited"
	case p.Status == fiber.StatusServiceUnavailable:
		key = "error.unavailable"
	case p.Code == httpx.CodeInvalidCharacter:
		key = "error.invalid_character"
	case p.Status == fiber.StatusRequestEntityTooLarge:
		key = "error.too_large"
	}
	fc.Status(p.Status)
	return c.render(fc, "error", map[string]any{"Status": p.Status, "Key": key, "Code": p.Code})
}

// errBadCSRF refuses a state-changing request without a valid CSRF token.
var errBadCSRF = platform.E(platform.KindForbidden, "csrf", "the form has expired; reload the page and try again")

// ErrorPage answers, as the console's HTML error page with the same status, an error of a console
// request that no page handler answered: text or a body refused by the edge rules (a form posting a
// NUL byte or bytes that are not UTF-8), an unknown address, a panic. It reports false for the
// addresses that are not the console's (the API, well-known documents, health and metrics), which
// keep their problem+json, and when the page cannot be rendered.
func (c *Console) ErrorPage(fc *fiber.Ctx, err error) bool {
	path := fc.Path()
	if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/.well-known/") ||
		path == "/healthz" || path == "/readyz" || path == "/metrics" {
		return false
	}
	setHeaders(fc)
	c.resolveSession(fc)
	return c.renderError(fc, err) == nil
}
