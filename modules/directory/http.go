package directory

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

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

// TenantDTO is a tenant as the API shows it.
type TenantDTO struct {
	ID         uuid.UUID `json:"id"`
	Slug       string    `json:"slug"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	RegionCode string    `json:"region_code"`
	CreditCode string    `json:"credit_code,omitempty"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}

// ToDTO converts a tenant for the API.
func ToDTO(t tenants.Tenant) TenantDTO {
	return TenantDTO{ID: t.ID, Slug: t.Slug, Name: t.Name, Kind: string(t.Kind), RegionCode: t.RegionCode,
		CreditCode: t.CreditCode, Status: string(t.Status), CreatedAt: t.CreatedAt}
}

// Routes registers the register's operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Post("/tenants", httpx.Op{Summary: "Create a tenant with its first administrator", Tag: "tenants",
		Permission: "tenant:create", Request: new(createTenantRequest), Response: new(TenantDTO), Status: 201}, h.create)
	r.Get("/tenants", httpx.Op{Summary: "List tenants (?kind=)", Tag: "tenants", Permission: "tenant:list",
		Response: new(httpx.Page[TenantDTO])}, h.list)
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
	return c.Status(fiber.StatusCreated).JSON(ToDTO(t))
}

func (h *Handler) list(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return err
	}
	var after time.Time
	var afterID uuid.UUID
	if _, err := httpx.DecodeCursor(lp.Cursor, &after, &afterID); err != nil {
		return err
	}
	ts, err := h.svc.List(c.UserContext(), c.Query("kind"), after, afterID, lp.Limit+1)
	if err != nil {
		return err
	}
	page := httpx.Page[TenantDTO]{Items: []TenantDTO{}}
	for i, t := range ts {
		if i == lp.Limit {
			last := ts[i-1]
			page.NextCursor = httpx.EncodeCursor(last.CreatedAt, last.ID)
			break
		}
		page.Items = append(page.Items, ToDTO(t))
	}
	return c.JSON(page)
}
