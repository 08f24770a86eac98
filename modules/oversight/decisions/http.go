package decisions

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves decisions: the regulator's, and the institution's answers.
type Handler struct{ svc *Service }

// NewHandler returns the handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Request bodies.
type (
	decisionRequest struct {
		InstitutionID     uuid.UUID `json:"institution_id" required:"true"`
		Kind              string    `json:"kind" required:"true" enum:"suspend,reinstate,invalidate_certificate,rectify"`
		CertificateNumber string    `json:"certificate_number,omitempty"`
		Facts             string    `json:"facts,omitempty"`
		Reason            string    `json:"reason" required:"true"`
		Deadline          string    `json:"deadline,omitempty" format:"date"`
	}
	reviewRequest struct {
		Outcome string `json:"outcome" required:"true" enum:"upheld,withdrawn"`
		Note    string `json:"note" required:"true"`
	}
	statementRequest struct {
		Statement string `json:"statement" required:"true"`
	}
	reviewRequestRequest struct {
		Reason string `json:"reason" required:"true"`
	}
)

// The lists, their sort keys and filters.
var (
	decisionList = &httpx.List{Sorts: []string{"decided_at"}, Filters: []httpx.Filter{
		{Name: "institution_id", Description: "only decisions about this institution", Format: "uuid"},
		{Name: "kind", Description: "only decisions of this kind", Enum: []string{string(KindSuspend), string(KindReinstate),
			string(KindInvalidateCertificate), string(KindRectify)}},
		{Name: "review_requested", Description: "only decisions whose review the institution asked for and that await it", Format: "boolean"}}}
	myDecisionList = &httpx.List{Sorts: []string{"decided_at"}}
)

// Routes registers the operations.
func (h *Handler) Routes(r *httpx.Router) {
	tag := core.Tag
	r.Post("/oversight/decisions", httpx.Op{Summary: "Decide about an institution: suspend, reinstate, invalidate a certificate, order rectification",
		Tag: tag, Permission: core.PermDecide, Request: new(decisionRequest), Response: new(Decision), Status: 201}, h.decide)
	r.Get("/oversight/decisions", httpx.Op{Summary: "Your decisions with the institutions' answers (?institution_id=&kind=&review_requested=true)",
		Tag: tag, Permission: core.PermRead, List: decisionList, Response: new(platform.Page[Decision])}, h.decisions)
	r.Get("/oversight/decisions/:id", httpx.Op{Summary: "A decision with the institution's answer", Tag: tag, Permission: core.PermRead,
		Response: new(Decision)}, h.decision)
	r.Post("/oversight/decisions/:id/review", httpx.Op{Summary: "Decide a review the institution asked for (upheld or withdrawn)", Tag: tag,
		Permission: core.PermDecide, Request: new(reviewRequest), Response: new(Decision)}, h.review)

	r.Get("/decisions", httpx.Op{Summary: "Regulators' decisions about your institution, with facts and reasons", Tag: "decisions",
		Permission: core.PermDecisionList, List: myDecisionList, Response: new(platform.Page[Decision])}, h.myDecisions)
	r.Get("/decisions/:id", httpx.Op{Summary: "A decision about your institution", Tag: "decisions", Permission: core.PermDecisionList,
		Response: new(Decision)}, h.myDecision)
	r.Post("/decisions/:id/statement", httpx.Op{Summary: "State your case on a decision (陈述申辩)", Tag: "decisions",
		Permission: core.PermDecisionRespond, Request: new(statementRequest), Response: new(Decision)}, h.statement)
	r.Post("/decisions/:id/review-request", httpx.Op{Summary: "Ask for a review of a decision (复核)", Tag: "decisions",
		Permission: core.PermDecisionRespond, Request: new(reviewRequestRequest), Response: new(Decision)}, h.reviewRequest)
}

func (h *Handler) decide(c *fiber.Ctx) error {
	var req decisionRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	var v platform.Validation
	dl := httpx.DateField(&v, "deadline", req.Deadline)
	if err := v.Err(); err != nil {
		return err
	}
	d, err := h.svc.Decide(c.UserContext(), Input{InstitutionID: req.InstitutionID, Kind: Kind(req.Kind),
		CertificateNumber: req.CertificateNumber, Facts: req.Facts, Reason: req.Reason, Deadline: dl})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (h *Handler) decisions(c *fiber.Ctx) error {
	req, err := decisionList.Parse(c)
	if err != nil {
		return err
	}
	inst, err := core.QueryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	p, err := h.svc.List(c.UserContext(), Filter{InstitutionID: inst, Kind: c.Query("kind"),
		ReviewRequested: core.QueryBool(c, "review_requested")}, req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) decision(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	d, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) review(c *fiber.Ctx) error {
	var req reviewRequest
	id, err := httpx.BindWithID(c, "id", &req)
	if err != nil {
		return err
	}
	d, err := h.svc.Review(c.UserContext(), id, req.Outcome, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) myDecisions(c *fiber.Ctx) error {
	req, err := myDecisionList.Parse(c)
	if err != nil {
		return err
	}
	p, err := h.svc.ForInstitution(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) myDecision(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	d, err := h.svc.GetForInstitution(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) statement(c *fiber.Ctx) error {
	var req statementRequest
	id, err := httpx.BindWithID(c, "id", &req)
	if err != nil {
		return err
	}
	d, err := h.svc.Answer(c.UserContext(), id, AnswerStatement, req.Statement)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) reviewRequest(c *fiber.Ctx) error {
	var req reviewRequestRequest
	id, err := httpx.BindWithID(c, "id", &req)
	if err != nil {
		return err
	}
	d, err := h.svc.Answer(c.UserContext(), id, AnswerReviewRequest, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(d)
}
