package console

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// accountPages registers 我的账户 (own password; the API twin is PUT /api/v1/me/password) and the
// user page of 用户与角色 (roles, password reset, enabling; the API twins are PUT /api/v1/users/{id}/roles,
// PUT /api/v1/users/{id}/password and POST /api/v1/users/{id}/enable).
func (c *Console) accountPages(r *router) {
	r.get("/account", access{AnyRole: true}, c.accountPage)
	r.post("/account/password", access{AnyRole: true}, c.changePassword)
	r.get("/users/:id", access{Permission: identity.PermUserList}, c.userPage)
	r.post("/users/:id/roles", access{Permission: identity.PermUserManage}, c.setUserRoles)
	r.post("/users/:id/password", access{Permission: identity.PermUserManage}, c.setUserPassword)
	r.post("/users/:id/enable", access{Permission: identity.PermUserManage}, c.enableUser)
}

// accountPage is 我的账户: who the person is, and the form to change their password.
type accountPage struct {
	Changed bool
	Fields  map[string]string // field → message id
}

func (c *Console) accountPage(fc *fiber.Ctx) error {
	return c.render(fc, "account", accountPage{Changed: fc.Query("changed") != ""})
}

// changePassword changes the person's own password through the identity service (its rules, the
// login throttle against guessing, the audit). The session of this browser is kept; every other
// session of the person ends. The confirmation is the console's own check (the API takes the new
// password once).
func (c *Console) changePassword(fc *fiber.Ctx) error {
	form := accountPage{Fields: map[string]string{}}
	next := fc.FormValue("new_password")
	if fc.FormValue("new_password_confirm") != next {
		form.Fields["new_password_confirm"] = "field.password_mismatch"
	}
	if fc.FormValue("current_password") == "" {
		form.Fields["current_password"] = "field.required"
	}
	if len(form.Fields) > 0 {
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.render(fc, "account", form)
	}
	err := c.d.Identity.ChangePassword(fc.UserContext(), identity.PasswordChange{Current: fc.FormValue("current_password"),
		New: next, Token: fc.Cookies(sessionCookie), ClientIP: fc.IP()})
	if err != nil {
		var pe *platform.Error
		if !errors.As(err, &pe) || len(pe.Fields) == 0 {
			return err
		}
		for _, f := range pe.Fields {
			form.Fields[f.Field] = fieldMessage(f.Code)
		}
		fc.Status(httpx.ProblemFor(err).Status)
		return c.render(fc, "account", form)
	}
	return fc.Redirect("/account?changed=1", fiber.StatusSeeOther)
}
