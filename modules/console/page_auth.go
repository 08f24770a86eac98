package console

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
)

// pages registers every console page. Each names the access it needs; the route-walk test checks
// that a permission is one the policies grant.
func (c *Console) pages(r *router) {
	r.get("/login", access{Public: true}, c.loginPage)
	r.post("/login", access{Public: true}, c.login)
	r.post("/logout", access{AnyRole: true}, c.logout)
	r.post("/lang", access{Public: true}, c.setLanguage)
	r.get("/", access{AnyRole: true}, c.home)
	r.get("/users", access{Permission: identity.PermUserList}, c.usersPage)
	r.post("/users", access{Permission: identity.PermUserCreate}, c.createUser)
	r.post("/users/:id/disable", access{Permission: identity.PermUserDisable}, c.disableUser)
	r.get("/audit", access{Permission: audit.PermAuditList}, c.auditPage)
	// Each area registers its pages in its own file.
	c.accountPages(r)
	c.decisionPages(r)
	c.filingPages(r)
	c.batchPages(r)
	c.candidatePages(r)
	c.certificatePages(r)
	c.examPages(r)
	c.regulatorPages(r)
	c.operatorPages(r)
	c.publicPages(r)
	c.portalPages(r)
	c.scoringPages(r)
	c.oversightDashPages(r)
}

// loginForm is the login page's form; its fields are named as POST /api/v1/auth/login's body.
type loginForm struct {
	Tenant   string
	Username string
	Next     string
	Error    string            // message id of a form-level error
	Fields   map[string]string // field → message id
}

func (c *Console) loginPage(fc *fiber.Ctx) error {
	if _, ok := principal(fc); ok {
		return fc.Redirect(safeNext(fc.Query("next")), fiber.StatusSeeOther)
	}
	return c.render(fc, "login", loginForm{Tenant: fc.Query("tenant"), Next: safeNext(fc.Query("next"))})
}

// login signs in with the same service, throttle and audit as the API, and sets the session cookie.
func (c *Console) login(fc *fiber.Ctx) error {
	form := loginForm{Tenant: strings.TrimSpace(fc.FormValue("tenant")), Username: strings.TrimSpace(fc.FormValue("username")),
		Next: safeNext(fc.FormValue("next")), Fields: map[string]string{}}
	password := fc.FormValue("password")
	if form.Tenant == "" {
		form.Fields["tenant"] = "form.required"
	}
	if form.Username == "" {
		form.Fields["username"] = "form.required"
	}
	if password == "" {
		form.Fields["password"] = "form.required"
	}
	if len(form.Fields) > 0 {
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.render(fc, "login", form)
	}
	res, err := c.d.Identity.Login(fc.UserContext(), identity.LoginInput{Tenant: form.Tenant, Username: form.Username,
		Password: password, ClientIP: fc.IP()})
	switch {
	case err == nil:
	case errors.Is(err, identity.ErrInvalidCredentials):
		form.Error = "login.invalid"
		fc.Status(fiber.StatusUnauthorized)
		return c.render(fc, "login", form)
	case errors.Is(err, identity.ErrRateLimited):
		form.Error = "login.rate_limited"
		fc.Status(fiber.StatusTooManyRequests)
		return c.render(fc, "login", form)
	case platform.KindOf(err) == platform.KindUnavailable:
		form.Error = "error.unavailable"
		fc.Status(fiber.StatusServiceUnavailable)
		return c.render(fc, "login", form)
	default:
		return err
	}
	c.setCookie(fc, sessionCookie, res.Token, res.ExpiresAt)
	return fc.Redirect(form.Next, fiber.StatusSeeOther)
}

// logout revokes the session, as POST /api/v1/auth/logout does, and drops the cookie.
func (c *Console) logout(fc *fiber.Ctx) error {
	if token := fc.Cookies(sessionCookie); token != "" {
		if err := c.d.Identity.Logout(fc.UserContext(), token); err != nil && platform.KindOf(err) != platform.KindUnauthenticated {
			return err
		}
	}
	c.clearCookie(fc, sessionCookie)
	return fc.Redirect("/login", fiber.StatusSeeOther)
}

// setLanguage remembers the visitor's language for a year and returns to the page they were on.
func (c *Console) setLanguage(fc *fiber.Ctx) error {
	lang := fc.FormValue("lang")
	if lang != "en" && lang != "zh-CN" {
		return platform.E(platform.KindInvalid, "invalid_language", "language must be zh-CN or en")
	}
	c.setCookie(fc, langCookie, lang, c.d.Now().AddDate(1, 0, 0))
	return fc.Redirect(safeNext(fc.FormValue("next")), fiber.StatusSeeOther)
}
