package identity

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/tenants"
)

// Handler serves identity's HTTP API.
type Handler struct {
	svc *Service
}

// NewHandler returns identity's HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

type loginRequest struct {
	Tenant   string `json:"tenant" required:"true"`
	Username string `json:"username" required:"true"`
	Password string `json:"password" required:"true"`
}

type createUserRequest struct {
	Username    string   `json:"username" required:"true"`
	Password    string   `json:"password" required:"true"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles" required:"true"`
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password" required:"true"`
	NewPassword     string `json:"new_password" required:"true"`
}

type setRolesRequest struct {
	Roles []string `json:"roles" required:"true"`
}

type setPasswordRequest struct {
	Password string `json:"password" required:"true"`
}

// userList is GET /users's query: its route documents it, its handler parses with it.
var userList = &httpx.List{Sorts: []string{SortCreatedAt, SortUsername}}

// Routes registers identity's operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Post("/auth/login", httpx.Op{Summary: "Log in and receive a bearer token", Tag: "identity", Access: httpx.Public,
		Request: new(loginRequest), Response: new(LoginView)}, h.login)
	r.Post("/auth/logout", httpx.Op{Summary: "Revoke the current token", Tag: "identity", AnyRole: true, Status: 204}, h.logout)
	r.Get("/me", httpx.Op{Summary: "The authenticated user", Tag: "identity", AnyRole: true, Response: new(UserView)}, h.me)
	r.Post("/users", httpx.Op{Summary: "Create a user in your tenant", Tag: "identity", Permission: PermUserCreate,
		Request: new(createUserRequest), Response: new(UserView), Status: 201}, h.createUser)
	r.Get("/users", httpx.Op{Summary: "List users of your tenant", Tag: "identity", Permission: PermUserList,
		List: userList, Response: new(platform.Page[UserView])}, h.listUsers)
	r.Get("/users/:id", httpx.Op{Summary: "A user of your tenant", Tag: "identity", Permission: PermUserList,
		Response: new(UserView)}, h.getUser)
	r.Post("/users/:id/disable", httpx.Op{Summary: "Disable a user and revoke their sessions", Tag: "identity",
		Permission: PermUserDisable, Status: 204}, h.disableUser)
	r.Put("/me/password", httpx.Op{Summary: "Change your own password; your other sessions are revoked, this one is kept",
		Tag: "identity", AnyRole: true, Request: new(changePasswordRequest), Status: 204}, h.changePassword)
	r.Put("/users/:id/roles", httpx.Op{Summary: "Replace a user's roles", Tag: "identity", Permission: PermUserManage,
		Request: new(setRolesRequest), Response: new(UserView)}, h.setRoles)
	r.Put("/users/:id/password", httpx.Op{Summary: "Reset a user's password and revoke their sessions", Tag: "identity",
		Permission: PermUserManage, Request: new(setPasswordRequest), Status: 204}, h.setPassword)
	r.Post("/users/:id/enable", httpx.Op{Summary: "Enable a disabled user again", Tag: "identity", Permission: PermUserManage,
		Status: 204}, h.enableUser)
}

const localsPrincipal = "principal"

// Authenticate is the middleware that turns a bearer token into the request's tenant scope and actor.
// Everything tenant-private runs behind it; the tenant comes from the token, never from the request.
func (h *Handler) Authenticate(c *fiber.Ctx) error {
	token, ok := bearer(c)
	if !ok {
		return ErrUnauthenticated
	}
	p, err := h.svc.Authenticate(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.Locals(localsPrincipal, p)
	c.SetUserContext(tenants.WithActor(tenants.WithScope(c.UserContext(), p.Scope), p.Actor))
	return c.Next()
}

func bearer(c *fiber.Ctx) (string, bool) {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func (h *Handler) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	res, err := h.svc.Login(c.UserContext(), LoginInput{Tenant: req.Tenant, Username: req.Username, Password: req.Password, ClientIP: c.IP()})
	if err != nil {
		return err
	}
	return c.JSON(NewLoginView(res))
}

func (h *Handler) logout(c *fiber.Ctx) error {
	token, _ := bearer(c)
	if err := h.svc.Logout(c.UserContext(), token); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) me(c *fiber.Ctx) error {
	p, _ := c.Locals(localsPrincipal).(Principal)
	return c.JSON(NewUserView(p.User))
}

func (h *Handler) createUser(c *fiber.Ctx) error {
	var req createUserRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	u, err := h.svc.CreateUser(c.UserContext(), NewUser{Username: req.Username, Password: req.Password,
		DisplayName: req.DisplayName, Roles: req.Roles})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewUserView(u))
}

func (h *Handler) listUsers(c *fiber.Ctx) error {
	req, err := userList.Parse(c)
	if err != nil {
		return err
	}
	page, err := h.svc.ListUsers(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewUserView))
}

func (h *Handler) getUser(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	u, err := h.svc.GetUser(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(NewUserView(u))
}

func (h *Handler) disableUser(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DisableUser(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) changePassword(c *fiber.Ctx) error {
	var req changePasswordRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	token, _ := bearer(c)
	if err := h.svc.ChangePassword(c.UserContext(), PasswordChange{Current: req.CurrentPassword, New: req.NewPassword,
		Token: token, ClientIP: c.IP()}); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) setRoles(c *fiber.Ctx) error {
	var req setRolesRequest
	id, err := httpx.BindWithID(c, "id", &req)
	if err != nil {
		return err
	}
	u, err := h.svc.SetUserRoles(c.UserContext(), id, req.Roles)
	if err != nil {
		return err
	}
	return c.JSON(NewUserView(u))
}

func (h *Handler) setPassword(c *fiber.Ctx) error {
	var req setPasswordRequest
	id, err := httpx.BindWithID(c, "id", &req)
	if err != nil {
		return err
	}
	if err := h.svc.SetUserPassword(c.UserContext(), id, req.Password); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) enableUser(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.EnableUser(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
