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
}}

// Routes registers the register's operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Post("/tenants", httpx.Op{Summary: "Create a tenant with its first administrator", Tag: "tenants",
		Permission: PermTenantCreate, Request: new(createTenantRequest), Response: new(TenantView), Status: 201}, h.create)
	r.Get("/tenants", httpx.Op{Summary: "List tenants", Tag: "tenants", Permission: PermTenantList,
		List: tenantList, Response: new(platform.Page[TenantView])}, h.list)
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
	page, err := h.svc.List(c.UserContext(), req, Filter{Kind: tenants.Kind(c.Query("kind"))})
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewTenantView))
}
