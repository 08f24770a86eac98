package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/tenants"
)

// Cookie names. The session cookie carries the same opaque token as a bearer token: one server-side
// session store, one throttle, one expiry and revocation for both.
const (
	sessionCookie = "skillcert_session"
	csrfCookie    = "skillcert_csrf"
	langCookie    = "skillcert_lang"
	csrfField     = "_csrf"
)

const localsPrincipal = "console.principal"

// session resolves the session cookie, when there is one, into the request's scope and actor. An
// invalid or expired cookie is dropped; whether the page needs a session is requireLogin's call.
func (c *Console) session(fc *fiber.Ctx) error {
	c.resolveSession(fc)
	return fc.Next()
}

// resolveSession is session's work without passing the request on (the error page uses it too).
func (c *Console) resolveSession(fc *fiber.Ctx) {
	if _, ok := principal(fc); ok {
		return
	}
	if token := fc.Cookies(sessionCookie); token != "" {
		p, err := c.d.Identity.Authenticate(fc.UserContext(), token)
		if err == nil {
			fc.Locals(localsPrincipal, p)
			fc.SetUserContext(tenants.WithActor(tenants.WithScope(fc.UserContext(), p.Scope), p.Actor))
		} else {
			c.clearCookie(fc, sessionCookie)
		}
	}
	c.ensureCSRFCookie(fc)
}

// requireLogin sends a visitor without a session to the login page (303), remembering where to return.
func (c *Console) requireLogin(fc *fiber.Ctx) error {
	if _, ok := principal(fc); !ok {
		return redirectToLogin(fc)
	}
	return fc.Next()
}

func redirectToLogin(fc *fiber.Ctx) error {
	target := "/login"
	if fc.Method() == fiber.MethodGet && fc.Path() != "/" && fc.Path() != "/login" {
		target += "?next=" + url.QueryEscape(string(fc.Request().URI().RequestURI()))
	}
	return fc.Redirect(target, fiber.StatusSeeOther)
}

// principal is the signed-in person of the request.
func principal(fc *fiber.Ctx) (identity.Principal, bool) {
	p, ok := fc.Locals(localsPrincipal).(identity.Principal)
	return p, ok
}

// safeNext keeps a post-login redirect on this site: a path, never a scheme or host.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (c *Console) setCookie(fc *fiber.Ctx, name, value string, expires time.Time) {
	fc.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/", Expires: expires, HTTPOnly: true,
		Secure: c.secure, SameSite: fiber.CookieSameSiteLaxMode})
}

func (c *Console) clearCookie(fc *fiber.Ctx, name string) {
	fc.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1, HTTPOnly: true,
		Secure: c.secure, SameSite: fiber.CookieSameSiteLaxMode})
}

// CSRF: a signed double-submit token. Every browser holds a random csrf cookie; a form carries
// HMAC(key, cookie | session cookie) in its _csrf field. A cross-site page can neither read the cookie
// nor compute the HMAC, and the token changes with the session, so a token from before sign-in does
// not serve after it. Being stateless, it works across serve replicas (the key is shared).

func (c *Console) ensureCSRFCookie(fc *fiber.Ctx) {
	if v := fc.Cookies(csrfCookie); len(v) >= 32 {
		fc.Locals(csrfCookie, v)
		return
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	c.setCookie(fc, csrfCookie, v, time.Time{}) // a browser-session cookie
	fc.Locals(csrfCookie, v)
}

// csrfToken is the token the request's forms carry.
func (c *Console) csrfToken(fc *fiber.Ctx) string {
	v, _ := fc.Locals(csrfCookie).(string)
	return c.csrfFor(v, fc.Cookies(sessionCookie))
}

func (c *Console) csrfFor(cookie, session string) string {
	mac := hmac.New(sha256.New, c.csrfKey)
	mac.Write([]byte(cookie))
	mac.Write([]byte{'|'})
	mac.Write([]byte(session))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verifyCSRF refuses a state-changing request whose _csrf field (or X-CSRF-Token header, for the
// script's requests) does not match the browser's cookies.
func (c *Console) verifyCSRF(fc *fiber.Ctx) error {
	got := fc.FormValue(csrfField)
	if got == "" {
		got = fc.Get("X-CSRF-Token")
	}
	cookie := fc.Cookies(csrfCookie)
	want := c.csrfFor(cookie, fc.Cookies(sessionCookie))
	if cookie == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return c.renderError(fc, errBadCSRF)
	}
	return fc.Next()
}
