package supervision

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// Handler serves supervision: inspections, sampling, complaints, scores.
type Handler struct {
	svc     *Service
	limiter *ratelimit.Limiter
}

// NewHandler returns the handler of svc; limiter bounds public complaints per client address (nil or
// a zero limit: no limit).
func NewHandler(svc *Service, limiter *ratelimit.Limiter) *Handler {
	return &Handler{svc: svc, limiter: limiter}
}

// Request bodies.
type (
	inspectionRequest struct {
		InstitutionID uuid.UUID   `json:"institution_id" required:"true"`
		Kind          string      `json:"kind" required:"true" enum:"routine,special,annual"`
		Title         string      `json:"title" required:"true"`
		ScheduledOn   string      `json:"scheduled_on,omitempty" format:"date"`
		InspectorIDs  []uuid.UUID `json:"inspector_ids,omitempty"`
	}
	inspectionPatchRequest struct {
		Status       *string      `json:"status,omitempty" enum:"planned,in_progress,closed"`
		Title        *string      `json:"title,omitempty"`
		Conclusion   *string      `json:"conclusion,omitempty"`
		ScheduledOn  *string      `json:"scheduled_on,omitempty" format:"date"`
		InspectorIDs *[]uuid.UUID `json:"inspector_ids,omitempty"`
	}
	findingRequest struct {
		Severity    string `json:"severity" required:"true" enum:"minor,major,critical"`
		Description string `json:"description" required:"true"`
		Requirement string `json:"requirement,omitempty"`
		Deadline    string `json:"deadline,omitempty" format:"date"`
	}
	findingPatchRequest struct {
		Severity    *string `json:"severity,omitempty" enum:"minor,major,critical"`
		Description *string `json:"description,omitempty"`
		Requirement *string `json:"requirement,omitempty"`
		Deadline    *string `json:"deadline,omitempty" format:"date"`
		Resolved    *bool   `json:"resolved,omitempty"`
	}
	samplingRequest struct {
		Institutions int    `json:"institutions" required:"true"`
		Inspectors   int    `json:"inspectors" required:"true"`
		Seed         string `json:"seed,omitempty"`
		Method       string `json:"method,omitempty" enum:"random,risk_weighted"`
		Kind         string `json:"kind,omitempty" enum:"routine,special,annual"`
		Title        string `json:"title,omitempty"`
	}
	complaintPatchRequest struct {
		Status string `json:"status" required:"true" enum:"received,investigating,closed"`
		Note   string `json:"note,omitempty"`
	}
	complaintRequest struct {
		InstitutionSlug string `json:"institution_slug" required:"true"`
		Content         string `json:"content" required:"true"`
		Contact         string `json:"contact,omitempty"`
	}
)

// The lists, their sort keys and filters.
var (
	institutionFilter = httpx.Filter{Name: "institution_id", Description: "only this institution's", Format: "uuid"}
	scoreList         = &httpx.List{Sorts: []string{"score"}}
	inspectionList    = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{institutionFilter,
		{Name: "status", Description: "only inspections in this status", Enum: []string{InspectionPlanned, InspectionInProgress, InspectionClosed}},
		{Name: "kind", Description: "only inspections of this kind", Enum: []string{InspectionRoutine, InspectionSpecial, InspectionAnnual}}}}
	samplingList  = &httpx.List{Sorts: []string{"created_at"}}
	complaintList = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{
		{Name: "status", Description: "only complaints in this status", Enum: []string{ComplaintReceived, ComplaintInvestigating, ComplaintClosed}},
		institutionFilter}}
)

// Routes registers the operations.
func (h *Handler) Routes(r *httpx.Router) {
	tag := core.Tag
	r.Get("/oversight/institutions/:tenant_id/score", httpx.Op{Summary: "An institution's monitoring score and star rating, explained",
		Tag: tag, Permission: core.PermRead, Response: new(Score)}, h.score)
	r.Get("/oversight/scores", httpx.Op{Summary: "Monitoring scores of every institution in your jurisdiction, worst first", Tag: tag,
		Permission: core.PermRead, List: scoreList, Response: new(platform.Page[Score])}, h.scores)

	r.Get("/oversight/inspections", httpx.Op{Summary: "Inspections (?institution_id=&status=&kind=), newest first", Tag: tag,
		Permission: core.PermRead, List: inspectionList, Response: new(platform.Page[Inspection])}, h.inspections)
	r.Post("/oversight/inspections", httpx.Op{Summary: "Plan an inspection (routine, special, annual)", Tag: tag, Permission: core.PermInspect,
		Request: new(inspectionRequest), Response: new(Inspection), Status: 201}, h.createInspection)
	r.Get("/oversight/inspections/:id", httpx.Op{Summary: "An inspection with its findings", Tag: tag, Permission: core.PermRead,
		Response: new(Inspection)}, h.inspection)
	r.Patch("/oversight/inspections/:id", httpx.Op{Summary: "Change an inspection (status, conclusion, …)", Tag: tag, Permission: core.PermInspect,
		Request: new(inspectionPatchRequest), Response: new(Inspection)}, h.updateInspection)
	r.Delete("/oversight/inspections/:id", httpx.Op{Summary: "Delete a planned inspection without findings", Tag: tag, Permission: core.PermInspect,
		Status: 204}, h.deleteInspection)
	r.Post("/oversight/inspections/:id/findings", httpx.Op{Summary: "Record a finding", Tag: tag, Permission: core.PermInspect,
		Request: new(findingRequest), Response: new(Finding), Status: 201}, h.addFinding)
	r.Patch("/oversight/inspections/:id/findings/:finding_id", httpx.Op{Summary: "Change a finding (resolved, deadline, …)", Tag: tag,
		Permission: core.PermInspect, Request: new(findingPatchRequest), Response: new(Finding)}, h.updateFinding)
	r.Delete("/oversight/inspections/:id/findings/:finding_id", httpx.Op{Summary: "Delete a finding", Tag: tag, Permission: core.PermInspect,
		Status: 204}, h.deleteFinding)

	r.Post("/oversight/sampling", httpx.Op{Summary: "Double-random draw of institutions and inspectors from a recorded seed", Tag: tag,
		Permission: core.PermInspect, Request: new(samplingRequest), Response: new(Sampling), Status: 201}, h.sample)
	r.Get("/oversight/sampling", httpx.Op{Summary: "Your draws, newest first", Tag: tag, Permission: core.PermRead,
		List: samplingList, Response: new(platform.Page[Sampling])}, h.samplings)
	r.Get("/oversight/sampling/:id", httpx.Op{Summary: "One of your draws: seed, method, weights and the signals behind them, results", Tag: tag,
		Permission: core.PermRead, Response: new(Sampling)}, h.sampling)
	r.Get("/oversight/sampling/:id/reproduce", httpx.Op{Summary: "Repeat a draw from its recorded seed, weights and population and compare",
		Tag: tag, Permission: core.PermRead, Response: new(Reproduction)}, h.reproduce)

	r.Get("/oversight/complaints", httpx.Op{Summary: "Public complaints about institutions in your jurisdiction (?status=&institution_id=)",
		Tag: tag, Permission: core.PermRead, List: complaintList, Response: new(platform.Page[Complaint])}, h.complaints)
	r.Patch("/oversight/complaints/:id", httpx.Op{Summary: "Handle a complaint (status, note)", Tag: tag, Permission: core.PermInspect,
		Request: new(complaintPatchRequest), Response: new(Complaint)}, h.updateComplaint)

	r.Post("/public/complaints", httpx.Op{Summary: "Complain about an institution; routed to the regulators of its region", Tag: "public",
		Access: httpx.Public, Request: new(complaintRequest), Response: new(ComplaintReceipt), Status: 201}, h.limiter.Wrap(h.complain))
	r.Get("/public/sampling/:id", httpx.Op{Summary: "A published double-random draw: seed, algorithm, populations, results", Tag: "public",
		Access: httpx.Public, Response: new(Sampling)}, h.publicSampling)
}

func (h *Handler) score(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return err
	}
	sc, err := h.svc.Score(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

func (h *Handler) scores(c *fiber.Ctx) error {
	req, err := scoreList.Parse(c)
	if err != nil {
		return err
	}
	p, err := h.svc.Scores(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) inspections(c *fiber.Ctx) error {
	req, err := inspectionList.Parse(c)
	if err != nil {
		return err
	}
	inst, err := core.QueryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	p, err := h.svc.Inspections(c.UserContext(), InspectionFilter{InstitutionID: inst, Status: c.Query("status"), Kind: c.Query("kind")}, req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) createInspection(c *fiber.Ctx) error {
	var req inspectionRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	var v platform.Validation
	sched := httpx.DateField(&v, "scheduled_on", req.ScheduledOn)
	if err := v.Err(); err != nil {
		return err
	}
	in, err := h.svc.CreateInspection(c.UserContext(), InspectionInput{InstitutionID: req.InstitutionID, Kind: req.Kind, Title: req.Title,
		ScheduledOn: sched, InspectorIDs: req.InspectorIDs})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(in)
}

func (h *Handler) inspection(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	in, err := h.svc.Inspection(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(in)
}

func (h *Handler) updateInspection(c *fiber.Ctx) error {
	var req inspectionPatchRequest
	id, err := httpx.BindWithID(c, "id", &req)
	if err != nil {
		return err
	}
	p := InspectionPatch{Status: req.Status, Title: req.Title, Conclusion: req.Conclusion, InspectorIDs: req.InspectorIDs}
	if req.ScheduledOn != nil {
		var v platform.Validation
		p.ScheduledOn = httpx.DateField(&v, "scheduled_on", *req.ScheduledOn)
		if err := v.Err(); err != nil {
			return err
		}
	}
	in, err := h.svc.UpdateInspection(c.UserContext(), id, p)
	if err != nil {
		return err
	}
	return c.JSON(in)
}

func (h *Handler) deleteInspection(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteInspection(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) addFinding(c *fiber.Ctx) error {
	var req findingRequest
	id, err := httpx.BindWithID(c, "id", &req)
	if err != nil {
		return err
	}
	var v platform.Validation
	dl := httpx.DateField(&v, "deadline", req.Deadline)
	if err := v.Err(); err != nil {
		return err
	}
	f, err := h.svc.AddFinding(c.UserContext(), id, FindingInput{Severity: req.Severity, Description: req.Description,
		Requirement: req.Requirement, Deadline: dl})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(f)
}

func (h *Handler) findingIDs(c *fiber.Ctx) (uuid.UUID, uuid.UUID, error) {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return id, id, err
	}
	fid, err := httpx.UUIDParam(c, "finding_id")
	return id, fid, err
}

func (h *Handler) updateFinding(c *fiber.Ctx) error {
	id, fid, err := h.findingIDs(c)
	if err != nil {
		return err
	}
	var req findingPatchRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	p := FindingPatch{Severity: req.Severity, Description: req.Description, Requirement: req.Requirement, Resolved: req.Resolved}
	if req.Deadline != nil {
		var v platform.Validation
		p.Deadline = httpx.DateField(&v, "deadline", *req.Deadline)
		if err := v.Err(); err != nil {
			return err
		}
	}
	f, err := h.svc.UpdateFinding(c.UserContext(), id, fid, p)
	if err != nil {
		return err
	}
	return c.JSON(f)
}

func (h *Handler) deleteFinding(c *fiber.Ctx) error {
	id, fid, err := h.findingIDs(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteFinding(c.UserContext(), id, fid); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) sample(c *fiber.Ctx) error {
	var req samplingRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	s, err := h.svc.Sample(c.UserContext(), SamplingInput{Institutions: req.Institutions, Inspectors: req.Inspectors, Seed: req.Seed,
		Method: req.Method, Kind: req.Kind, Title: req.Title})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s)
}

func (h *Handler) samplings(c *fiber.Ctx) error {
	req, err := samplingList.Parse(c)
	if err != nil {
		return err
	}
	p, err := h.svc.Samplings(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) complaints(c *fiber.Ctx) error {
	req, err := complaintList.Parse(c)
	if err != nil {
		return err
	}
	inst, err := core.QueryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	p, err := h.svc.Complaints(c.UserContext(), ComplaintFilter{InstitutionID: inst, Status: c.Query("status")}, req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) updateComplaint(c *fiber.Ctx) error {
	var req complaintPatchRequest
	id, err := httpx.BindWithID(c, "id", &req)
	if err != nil {
		return err
	}
	out, err := h.svc.UpdateComplaint(c.UserContext(), id, req.Status, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (h *Handler) complain(c *fiber.Ctx) error {
	var req complaintRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	rec, err := h.svc.Complain(c.UserContext(), ComplaintInput{InstitutionSlug: req.InstitutionSlug, Content: req.Content, Contact: req.Contact})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(rec)
}

func (h *Handler) publicSampling(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	s, err := h.svc.PublicSampling(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(s)
}

func (h *Handler) sampling(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	s, err := h.svc.Sampling(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(s)
}

func (h *Handler) reproduce(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	r, err := h.svc.Reproduce(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}
