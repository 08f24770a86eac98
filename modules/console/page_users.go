package console

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/tenants"
)

// usersPage is 用户与角色: the tenant's users, a form to add one, and disabling.
type usersPage struct {
	Users      []identity.UserView
	List       listView
	Roles      []string // the roles this tenant hands out
	CanCreate  bool
	CanDisable bool
	CanManage  bool // change roles, reset passwords, enable again
	Form       userForm
	Created    string // username of a user just created
}

// userForm is the new-user form; fields are named as POST /api/v1/users's body.
type userForm struct {
	Username    string
	DisplayName string
	Roles       map[string]bool
	Fields      map[string]string // field → message id
}

// userList is the API's list of users (GET /api/v1/users): the same sorts, the same default.
var userList = &httpx.List{Sorts: []string{identity.SortCreatedAt, identity.SortUsername}}

// userColumns are the columns of the users export.
var userColumns = []column[identity.User]{
	{Key: "users.username", Cell: func(u identity.User) any { return u.Username }},
	{Key: "users.display_name", Cell: func(u identity.User) any { return u.DisplayName }},
	{Key: "users.roles", Cell: func(u identity.User) any { return strings.Join(u.Roles, ",") }},
	{Key: "users.status", Cell: func(u identity.User) any { return u.Status }},
	{Key: "users.created_at", Cell: func(u identity.User) any { return u.CreatedAt }},
}

func (c *Console) usersPage(fc *fiber.Ctx) error {
	return c.renderUsers(fc, userForm{}, fc.Query("created"))
}

func (c *Console) renderUsers(fc *fiber.Ctx, form userForm, created string) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, userList)
	if err != nil {
		return err
	}
	if lv.Exporting() {
		return exportXLSX(fc, c.loc(fc), "users", userColumns, req, c.d.Users.ListUsers)
	}
	page, err := c.d.Users.ListUsers(ctx, req)
	if err != nil {
		return err
	}
	scope, _ := tenants.FromContext(ctx)
	return c.render(fc, "users", usersPage{
		Users: platform.MapPage(page, identity.NewUserView).Items, List: lv.WithNext(page.NextCursor),
		Roles: c.d.RolesFor(scope.Kind), CanCreate: c.d.Authorizer.Can(ctx, identity.PermUserCreate),
		CanDisable: c.d.Authorizer.Can(ctx, identity.PermUserDisable), CanManage: c.d.Authorizer.Can(ctx, identity.PermUserManage),
		Form: form, Created: created,
	})
}

// createUser adds a user through the identity service (its rules, password policy and audit); field
// errors come back next to the fields, with what was typed kept (never the password).
func (c *Console) createUser(fc *fiber.Ctx) error {
	form := userForm{Username: strings.TrimSpace(fc.FormValue("username")), DisplayName: strings.TrimSpace(fc.FormValue("display_name")),
		Roles: map[string]bool{}, Fields: map[string]string{}}
	in := identity.NewUser{Username: form.Username, DisplayName: form.DisplayName, Password: fc.FormValue("password")}
	args := fc.Request().PostArgs()
	for _, v := range args.PeekMulti("roles") {
		form.Roles[string(v)] = true
		in.Roles = append(in.Roles, string(v))
	}
	u, err := c.d.Users.CreateUser(fc.UserContext(), in)
	if err != nil {
		return c.userFormError(fc, form, err)
	}
	return fc.Redirect("/users?created="+u.Username, fiber.StatusSeeOther)
}

// userFormError shows a service's refusal on the form: field errors by their codes, anything else
// (a taken username is a 409) as a form-level message.
func (c *Console) userFormError(fc *fiber.Ctx, form userForm, err error) error {
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable {
		return err
	}
	for _, f := range pe.Fields {
		form.Fields[f.Field] = fieldMessage(f.Code)
	}
	if len(pe.Fields) == 0 {
		form.Fields["username"] = fieldMessage(pe.Code)
	}
	fc.Status(httpx.ProblemFor(err).Status)
	return c.renderUsers(fc, form, "")
}

// fieldMessage is the catalog id of a field error code; unknown codes get a generic message.
func fieldMessage(code string) string {
	switch code {
	case "required", "format", "too_long", "length", "duplicate", "invalid_role", "password_common",
		"password_contains_username", "password_contains_tenant", "conflict", "invalid_character",
		"wrong_password", "same_as_current", "own_admin_role", "password_mismatch", "nul_character", "invalid_utf8":
		return "field." + code
	}
	return "field.invalid"
}

func (c *Console) disableUser(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if err := c.d.Users.DisableUser(fc.UserContext(), id); err != nil {
		return err
	}
	return fc.Redirect("/users", fiber.StatusSeeOther)
}

// userPage is one user of 用户与角色: their roles (editable by an administrator), a password reset,
// and enabling or disabling them.
type userPage struct {
	User       identity.UserView
	Roles      []string        // the roles this tenant hands out
	Held       map[string]bool // roles checked on the form
	Self       bool            // the signed-in person's own record (their password is changed under 我的账户)
	CanManage  bool
	CanDisable bool
	Done       string            // message id of what was just done
	Fields     map[string]string // field → message id
}

// userDone are the notices a user page shows after a change (?done=…).
var userDone = map[string]string{"roles": "user.done_roles", "password": "user.done_password", "enabled": "user.done_enabled"}

func (c *Console) userPage(fc *fiber.Ctx) error {
	return c.renderUser(fc, nil, userDone[fc.Query("done")], nil)
}

// renderUser shows the user of the :id parameter; held overrides the checked roles (what was typed).
func (c *Console) renderUser(fc *fiber.Ctx, held map[string]bool, done string, fields map[string]string) error {
	ctx := fc.UserContext()
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	u, err := c.d.Users.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if held == nil {
		held = map[string]bool{}
		for _, r := range u.Roles {
			held[r] = true
		}
	}
	scope, _ := tenants.FromContext(ctx)
	p, _ := principal(fc)
	return c.render(fc, "user", userPage{User: identity.NewUserView(u), Roles: c.d.RolesFor(scope.Kind), Held: held,
		Self: p.User.ID == u.ID, CanManage: c.d.Authorizer.Can(ctx, identity.PermUserManage),
		CanDisable: c.d.Authorizer.Can(ctx, identity.PermUserDisable), Done: done, Fields: fields})
}

// setUserRoles replaces a user's roles, as PUT /api/v1/users/{id}/roles does.
func (c *Console) setUserRoles(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	held := map[string]bool{}
	var roles []string
	for _, v := range fc.Request().PostArgs().PeekMulti("roles") {
		held[string(v)] = true
		roles = append(roles, string(v))
	}
	if _, err := c.d.Users.SetUserRoles(fc.UserContext(), id, roles); err != nil {
		return c.userPageError(fc, held, "roles", err)
	}
	return fc.Redirect("/users/"+id.String()+"?done=roles", fiber.StatusSeeOther)
}

// setUserPassword is an administrator's reset of a user's password, as PUT
// /api/v1/users/{id}/password does; the confirmation is the console's own check.
func (c *Console) setUserPassword(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	password := fc.FormValue("password")
	if fc.FormValue("password_confirm") != password {
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.renderUser(fc, nil, "", map[string]string{"password_confirm": "field.password_mismatch"})
	}
	if err := c.d.Users.SetUserPassword(fc.UserContext(), id, password); err != nil {
		return c.userPageError(fc, nil, "password", err)
	}
	return fc.Redirect("/users/"+id.String()+"?done=password", fiber.StatusSeeOther)
}

func (c *Console) enableUser(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if err := c.d.Users.EnableUser(fc.UserContext(), id); err != nil {
		return err
	}
	return fc.Redirect("/users/"+id.String()+"?done=enabled", fiber.StatusSeeOther)
}

// userPageError shows a refusal with field errors next to its fields on the user page (field is where
// an error without fields goes); anything else is the error page.
func (c *Console) userPageError(fc *fiber.Ctx, held map[string]bool, field string, err error) error {
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable ||
		pe.Kind == platform.KindNotFound || pe.Kind == platform.KindForbidden {
		return err
	}
	fields := map[string]string{}
	for _, f := range pe.Fields {
		fields[f.Field] = fieldMessage(f.Code)
	}
	if len(pe.Fields) == 0 {
		fields[field] = fieldMessage(pe.Code)
	}
	fc.Status(httpx.ProblemFor(err).Status)
	return c.renderUser(fc, held, "", fields)
}
