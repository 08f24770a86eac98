package institutions

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the regulator's view of the institutions in its jurisdiction.
type Handler struct{ svc *Service }

// NewHandler returns the handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// The lists, their sort keys and filters.
var (
	institutionList = &httpx.List{Sorts: []string{"created_at"}}
	batchList       = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{
		{Name: "status", Description: "only batches in this status", Enum: []string{"draft", "open", "closed", "publicity", "finalized", "cancelled"}}}}
	certificateList = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{
		{Name: "status", Description: "only certificates in this status", Enum: []string{"pending", "issued", "revoked"}},
		{Name: "batch_id", Description: "only certificates of this batch", Format: "uuid"}}}
	auditList = &httpx.List{Sorts: []string{"seq"}, Filters: []httpx.Filter{
		{Name: "since", Description: "only entries at or after this time (RFC 3339)", Format: "date-time"}}}
)

// Routes registers the operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Get("/oversight/institutions", httpx.Op{Summary: "Institutions in your jurisdiction", Tag: core.Tag, Permission: core.PermRead,
		List: institutionList, Response: new(platform.Page[core.Institution])}, h.list)
	r.Get("/oversight/institutions/:tenant_id", httpx.Op{Summary: "An institution in your jurisdiction", Tag: core.Tag, Permission: core.PermRead,
		Response: new(core.Institution)}, h.get)
	r.Get("/oversight/institutions/:tenant_id/batches", httpx.Op{Summary: "An institution's batches (?status=)", Tag: core.Tag,
		Permission: core.PermRead, List: batchList, Response: new(platform.Page[BatchRecord])}, h.batches)
	r.Get("/oversight/institutions/:tenant_id/certificates", httpx.Op{Summary: "An institution's certificates (?status=&batch_id=)",
		Tag: core.Tag, Permission: core.PermRead, List: certificateList, Response: new(platform.Page[CertificateRecord])}, h.certificates)
	r.Get("/oversight/institutions/:tenant_id/audit", httpx.Op{Summary: "An institution's audit log (?since=RFC3339, oldest first)",
		Tag: core.Tag, Permission: core.PermRead, List: auditList, Response: new(platform.Page[audit.EntryView])}, h.audit)
	r.Get("/oversight/institutions/:tenant_id/audit/verify", httpx.Op{Summary: "An institution's audit chain checked, with its latest anchor",
		Tag: core.Tag, Permission: core.PermRead, Response: new(audit.VerifyView)}, h.verify)
	r.Get("/oversight/institutions/:tenant_id/batches/:id", httpx.Op{Summary: "An institution's batch with its applications and objections",
		Tag: core.Tag, Permission: core.PermRead, Response: new(BatchDetail)}, h.batch)
	r.Get("/oversight/institutions/:tenant_id/certificates/:id", httpx.Op{Summary: "One of an institution's certificates",
		Tag: core.Tag, Permission: core.PermRead, Response: new(CertificateRecord)}, h.certificate)
}

// ids reads the institution's id and a record's.
func ids(c *fiber.Ctx) (uuid.UUID, uuid.UUID, error) {
	inst, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return inst, uuid.Nil, err
	}
	id, err := httpx.UUIDParam(c, "id")
	return inst, id, err
}

func (h *Handler) batch(c *fiber.Ctx) error {
	inst, id, err := ids(c)
	if err != nil {
		return err
	}
	b, err := h.svc.Batch(c.UserContext(), inst, id)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (h *Handler) certificate(c *fiber.Ctx) error {
	inst, id, err := ids(c)
	if err != nil {
		return err
	}
	cert, err := h.svc.Certificate(c.UserContext(), inst, id)
	if err != nil {
		return err
	}
	return c.JSON(cert)
}

func (h *Handler) verify(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return err
	}
	res, err := h.svc.VerifyChain(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(audit.NewVerifyView(res))
}

func (h *Handler) list(c *fiber.Ctx) error {
	req, err := institutionList.Parse(c)
	if err != nil {
		return err
	}
	p, err := h.svc.List(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) get(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return err
	}
	in, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(in)
}

// records reads an institution's record listing: its id, the filter and the page.
func records(c *fiber.Ctx, list *httpx.List) (uuid.UUID, RecordFilter, platform.PageRequest, error) {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return id, RecordFilter{}, platform.PageRequest{}, err
	}
	req, err := list.Parse(c)
	if err != nil {
		return id, RecordFilter{}, req, err
	}
	batch, err := core.QueryUUID(c, "batch_id")
	return id, RecordFilter{Status: c.Query("status"), BatchID: batch}, req, err
}

func (h *Handler) batches(c *fiber.Ctx) error {
	id, f, req, err := records(c, batchList)
	if err != nil {
		return err
	}
	p, err := h.svc.Batches(c.UserContext(), id, f, req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) certificates(c *fiber.Ctx) error {
	id, f, req, err := records(c, certificateList)
	if err != nil {
		return err
	}
	p, err := h.svc.Certificates(c.UserContext(), id, f, req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) audit(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return err
	}
	req, err := auditList.Parse(c)
	if err != nil {
		return err
	}
	since, err := core.QuerySince(c)
	if err != nil {
		return err
	}
	p, err := h.svc.Audit(c.UserContext(), id, since, req)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(p, audit.NewEntryView))
}
