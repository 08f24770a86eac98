package directory

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/tenants"
)

// Handler serves the tenant register's HTTP API.
type Handler struct {
	svc *Service
}

// NewHandler returns the directory's HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

type adminRequest struct {
	Username    string `json:"username" required:"true"`
	Password    string `json:"password" required:"true"`
	DisplayName string `json:"display_name"`
}

type createTenantRequest struct {
	Slug       string       `json:"slug" required:"true"`
	Name       string       `json:"name" required:"true"`
	Kind       string       `json:"kind" required:"true" enum:"enterprise,social_org,school,regulator"`
	RegionCode string       `json:"region_code" required:"true"`
	CreditCode string       `json:"credit_code,omitempty"`
	Admin      adminRequest `json:"admin" required:"true"`
}

// tenantList is GET /tenants's query: its route documents it, its handler parses with it.
var tenantList = &httpx.List{Sorts: []string{SortCreatedAt}, Filters: []httpx.Filter{
	{Name: "kind", Description: "only tenants of this kind",
		Enum: []string{"enterprise", "social_org", "school", "regulator", "platform"}},
	{Name: "region_code", Description: "only tenants in this region (a province's or city's code covers its districts)"},
}}

type statusRequest struct {
	Reason string `json:"reason" required:"true"`
}

// Routes registers the register's operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Post("/tenants", httpx.Op{Summary: "Create a tenant with its first administrator", Tag: "tenants",
		Permission: PermTenantCreate, Request: new(createTenantRequest), Response: new(TenantView), Status: 201}, h.create)
	r.Get("/tenants", httpx.Op{Summary: "List tenants", Tag: "tenants", Permission: PermTenantList,
		List: tenantList, Response: new(platform.Page[TenantView])}, h.list)
	r.Post("/tenants/:id/suspend", httpx.Op{Summary: "Suspend a tenant (its users can no longer work in it), with a reason", Tag: "tenants",
		Permission: PermTenantStatus, Request: new(statusRequest), Response: new(TenantView)}, h.setStatus(tenants.StatusSuspended))
	r.Post("/tenants/:id/reinstate", httpx.Op{Summary: "Reinstate a suspended tenant, with a reason", Tag: "tenants",
		Permission: PermTenantStatus, Request: new(statusRequest), Response: new(TenantView)}, h.setStatus(tenants.StatusActive))
}

func (h *Handler) setStatus(status tenants.Status) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req statusRequest
		id, err := httpx.BindWithID(c, "id", &req)
		if err != nil {
			return err
		}
		t, err := h.svc.SetTenantStatus(c.UserContext(), id, status, req.Reason)
		if err != nil {
			return err
		}
		return c.JSON(NewTenantView(t))
	}
}

func (h *Handler) create(c *fiber.Ctx) error {
	var req createTenantRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	t, _, err := h.svc.Create(c.UserContext(), NewTenant{Slug: req.Slug, Name: req.Name, Kind: tenants.Kind(req.Kind),
		RegionCode: req.RegionCode, CreditCode: req.CreditCode},
		FirstAdmin{Username: req.Admin.Username, Password: req.Admin.Password, DisplayName: req.Admin.DisplayName})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewTenantView(t))
}

func (h *Handler) list(c *fiber.Ctx) error {
	req, err := tenantList.Parse(c)
	if err != nil {
		return err
	}
	page, err := h.svc.List(c.UserContext(), req, Filter{Kind: tenants.Kind(c.Query("kind")), RegionCode: c.Query("region_code")})
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewTenantView))
}
