package oversight

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// Handler serves the oversight HTTP API.
type Handler struct {
	svc     *Service
	limiter *ratelimit.Limiter
}

// NewHandler returns the oversight HTTP handler; limiter bounds public complaints per client address
// (nil or a zero limit: no limit).
func NewHandler(svc *Service, limiter *ratelimit.Limiter) *Handler {
	return &Handler{svc: svc, limiter: limiter}
}

// Routes registers the oversight operations.
func (h *Handler) Routes(r *httpx.Router) {
	const tag = "oversight"
	r.Get("/oversight/institutions", httpx.Op{Summary: "Institutions in your jurisdiction", Tag: tag, Permission: PermRead,
		List: institutionList, Response: new(platform.Page[Institution])}, h.institutions)
	r.Get("/oversight/institutions/:tenant_id", httpx.Op{Summary: "An institution in your jurisdiction", Tag: tag, Permission: PermRead,
		Response: new(Institution)}, h.institution)
	r.Get("/oversight/institutions/:tenant_id/batches", httpx.Op{Summary: "An institution's batches (?status=)", Tag: tag,
		Permission: PermRead, List: batchList, Response: new(platform.Page[BatchRecord])}, h.batches)
	r.Get("/oversight/institutions/:tenant_id/certificates", httpx.Op{Summary: "An institution's certificates (?status=&batch_id=)",
		Tag: tag, Permission: PermRead, List: certificateList, Response: new(platform.Page[CertificateRecord])}, h.certificates)
	r.Get("/oversight/institutions/:tenant_id/audit", httpx.Op{Summary: "An institution's audit log (?since=RFC3339, oldest first)",
		Tag: tag, Permission: PermRead, List: auditList, Response: new(platform.Page[audit.Entry])}, h.audit)
	r.Get("/oversight/institutions/:tenant_id/score", httpx.Op{Summary: "An institution's monitoring score and star rating, explained",
		Tag: tag, Permission: PermRead, Response: new(Score)}, h.score)
	r.Get("/oversight/scores", httpx.Op{Summary: "Monitoring scores of every institution in your jurisdiction, worst first", Tag: tag,
		Permission: PermRead, List: scoreList, Response: new(platform.Page[Score])}, h.scores)

	r.Get("/oversight/reports", httpx.Op{Summary: "Reports received (?since=RFC3339&institution_id=&kind=), oldest first: immutable copies",
		Tag: tag, Permission: PermRead, List: reportList, Response: new(platform.Page[Report])}, h.reports)
	r.Get("/oversight/reports/verify", httpx.Op{Summary: "Check your report store's hash chain", Tag: tag, Permission: PermRead,
		Response: new(ChainCheck)}, h.verifyReports)
	r.Get("/oversight/reports/:id", httpx.Op{Summary: "One report as received", Tag: tag, Permission: PermRead, Response: new(Report)}, h.report)

	r.Get("/oversight/sync-endpoint", httpx.Op{Summary: "Delivery state of your external system", Tag: tag, Permission: PermRead,
		Response: new(SyncState)}, h.syncState)
	r.Put("/oversight/sync-endpoint", httpx.Op{Summary: "Set your external system (https URL and HMAC secret)", Tag: tag,
		Permission: PermSync, Request: new(endpointRequest), Response: new(SyncState)}, h.setEndpoint)
	r.Delete("/oversight/sync-endpoint", httpx.Op{Summary: "Remove your external system", Tag: tag, Permission: PermSync, Status: 204}, h.deleteEndpoint)
	r.Post("/oversight/sync-endpoint/pause", httpx.Op{Summary: "Pause deliveries", Tag: tag, Permission: PermSync,
		Response: new(SyncState)}, h.pause)
	r.Post("/oversight/sync-endpoint/resume", httpx.Op{Summary: "Resume deliveries (and retry dead-lettered reports)", Tag: tag,
		Permission: PermSync, Response: new(SyncState)}, h.resume)
	r.Post("/oversight/sync-endpoint/replay", httpx.Op{Summary: "Deliver again every report received since a time", Tag: tag,
		Permission: PermSync, Request: new(replayRequest), Response: new(ReplayResponse)}, h.replay)

	r.Get("/oversight/reconciliation", httpx.Op{Summary: "Differences between holdings and reports (?institution_id=&open=true)",
		Tag: tag, Permission: PermRead, List: diffList, Response: new(ReconciliationPage)}, h.reconciliation)
	r.Get("/oversight/flags", httpx.Op{Summary: "Cross-institution findings: one person, several certificates; repeat testing (?kind=&open=true)",
		Tag: tag, Permission: PermRead, List: flagList, Response: new(platform.Page[Flag])}, h.flags)
	r.Get("/oversight/stats", httpx.Op{Summary: "Statistics (?from=YYYY-MM&to=&occupation_code=&level=&institution_id=&format=json|csv|xlsx&table=certificates|pass_rates|late_results)",
		Tag: tag, Permission: PermRead, Response: new(Stats)}, h.stats)

	r.Get("/oversight/inspections", httpx.Op{Summary: "Inspections (?institution_id=&status=&kind=), newest first", Tag: tag,
		Permission: PermRead, List: inspectionList, Response: new(platform.Page[Inspection])}, h.inspections)
	r.Post("/oversight/inspections", httpx.Op{Summary: "Plan an inspection (routine, special, annual)", Tag: tag, Permission: PermInspect,
		Request: new(inspectionRequest), Response: new(Inspection), Status: 201}, h.createInspection)
	r.Get("/oversight/inspections/:id", httpx.Op{Summary: "An inspection with its findings", Tag: tag, Permission: PermRead,
		Response: new(Inspection)}, h.inspection)
	r.Patch("/oversight/inspections/:id", httpx.Op{Summary: "Change an inspection (status, conclusion, …)", Tag: tag, Permission: PermInspect,
		Request: new(inspectionPatchRequest), Response: new(Inspection)}, h.updateInspection)
	r.Delete("/oversight/inspections/:id", httpx.Op{Summary: "Delete a planned inspection without findings", Tag: tag, Permission: PermInspect,
		Status: 204}, h.deleteInspection)
	r.Post("/oversight/inspections/:id/findings", httpx.Op{Summary: "Record a finding", Tag: tag, Permission: PermInspect,
		Request: new(findingRequest), Response: new(Finding), Status: 201}, h.addFinding)
	r.Patch("/oversight/inspections/:id/findings/:finding_id", httpx.Op{Summary: "Change a finding (resolved, deadline, …)", Tag: tag,
		Permission: PermInspect, Request: new(findingPatchRequest), Response: new(Finding)}, h.updateFinding)
	r.Delete("/oversight/inspections/:id/findings/:finding_id", httpx.Op{Summary: "Delete a finding", Tag: tag, Permission: PermInspect,
		Status: 204}, h.deleteFinding)

	r.Post("/oversight/sampling", httpx.Op{Summary: "Double-random draw of institutions and inspectors from a recorded seed", Tag: tag,
		Permission: PermInspect, Request: new(samplingRequest), Response: new(Sampling), Status: 201}, h.sample)
	r.Get("/oversight/sampling", httpx.Op{Summary: "Your draws, newest first", Tag: tag, Permission: PermRead,
		List: samplingList, Response: new(platform.Page[Sampling])}, h.samplings)

	r.Get("/oversight/complaints", httpx.Op{Summary: "Public complaints about institutions in your jurisdiction (?status=&institution_id=)",
		Tag: tag, Permission: PermRead, List: complaintList, Response: new(platform.Page[Complaint])}, h.complaints)
	r.Patch("/oversight/complaints/:id", httpx.Op{Summary: "Handle a complaint (status, note)", Tag: tag, Permission: PermInspect,
		Request: new(complaintPatchRequest), Response: new(Complaint)}, h.updateComplaint)

	r.Post("/oversight/decisions", httpx.Op{Summary: "Decide about an institution: suspend, reinstate, invalidate a certificate, order rectification",
		Tag: tag, Permission: PermDecide, Request: new(decisionRequest), Response: new(Decision), Status: 201}, h.decide)
	r.Get("/oversight/decisions", httpx.Op{Summary: "Your decisions with the institutions' answers (?institution_id=&kind=&review_requested=true)",
		Tag: tag, Permission: PermRead, List: decisionList, Response: new(platform.Page[Decision])}, h.decisions)
	r.Get("/oversight/decisions/:id", httpx.Op{Summary: "A decision with the institution's answer", Tag: tag, Permission: PermRead,
		Response: new(Decision)}, h.decision)
	r.Post("/oversight/decisions/:id/review", httpx.Op{Summary: "Decide a review the institution asked for (upheld or withdrawn)", Tag: tag,
		Permission: PermDecide, Request: new(reviewRequest), Response: new(Decision)}, h.review)

	r.Get("/decisions", httpx.Op{Summary: "Regulators' decisions about your institution, with facts and reasons", Tag: "decisions",
		Permission: PermDecisionList, List: myDecisionList, Response: new(platform.Page[Decision])}, h.myDecisions)
	r.Get("/decisions/:id", httpx.Op{Summary: "A decision about your institution", Tag: "decisions", Permission: PermDecisionList,
		Response: new(Decision)}, h.myDecision)
	r.Post("/decisions/:id/statement", httpx.Op{Summary: "State your case on a decision (陈述申辩)", Tag: "decisions",
		Permission: PermDecisionRespond, Request: new(statementRequest), Response: new(Decision)}, h.statement)
	r.Post("/decisions/:id/review-request", httpx.Op{Summary: "Ask for a review of a decision (复核)", Tag: "decisions",
		Permission: PermDecisionRespond, Request: new(reviewRequestRequest), Response: new(Decision)}, h.reviewRequest)

	r.Post("/public/complaints", httpx.Op{Summary: "Complain about an institution; routed to the regulators of its region", Tag: "public",
		Access: httpx.Public, Request: new(complaintRequest), Response: new(ComplaintReceipt), Status: 201}, h.limiter.Wrap(h.complain))
	r.Get("/public/sampling/:id", httpx.Op{Summary: "A published double-random draw: seed, algorithm, populations, results", Tag: "public",
		Access: httpx.Public, Response: new(Sampling)}, h.publicSampling)
}

// Request bodies.
type (
	endpointRequest struct {
		URL    string `json:"url" required:"true"`
		Secret string `json:"secret" required:"true"`
	}
	replayRequest struct {
		Since time.Time `json:"since" required:"true"`
	}
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
		Kind         string `json:"kind,omitempty" enum:"routine,special,annual"`
		Title        string `json:"title,omitempty"`
	}
	complaintPatchRequest struct {
		Status string `json:"status" required:"true" enum:"received,investigating,closed"`
		Note   string `json:"note,omitempty"`
	}
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
	complaintRequest struct {
		InstitutionSlug string `json:"institution_slug" required:"true"`
		Content         string `json:"content" required:"true"`
		Contact         string `json:"contact,omitempty"`
	}
)

// The lists of the API: the allow-list of sort keys each route documents and enforces, its filters.
var (
	institutionList = &httpx.List{Sorts: []string{"created_at"}}
	recordStatus    = httpx.Filter{Name: "status", Description: "only records in this status"}
	batchList       = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{recordStatus}}
	certificateList = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{
		{Name: "status", Description: "only certificates in this status", Enum: []string{"pending", "issued", "revoked"}},
		{Name: "batch_id", Description: "only certificates of this batch", Format: "uuid"}}}
	sinceFilter = httpx.Filter{Name: "since", Description: "only entries at or after this time (RFC 3339)", Format: "date-time"}
	auditList   = &httpx.List{Sorts: []string{"seq"}, Filters: []httpx.Filter{sinceFilter}}
	scoreList   = &httpx.List{Sorts: []string{"score"}}
	institution = httpx.Filter{Name: "institution_id", Description: "only this institution's", Format: "uuid"}
	reportList  = &httpx.List{Sorts: []string{"seq"}, Filters: []httpx.Filter{
		{Name: "since", Description: "only reports received at or after this time (RFC 3339)", Format: "date-time"},
		institution, {Name: "kind", Description: "only reports of this kind, e.g. certificate.issued"}}}
	openFilter = httpx.Filter{Name: "open", Description: "only unresolved findings", Format: "boolean"}
	diffList   = &httpx.List{Sorts: []string{"first_seen_at"}, Filters: []httpx.Filter{institution, openFilter}}
	flagList   = &httpx.List{Sorts: []string{"first_seen_at"}, Filters: []httpx.Filter{
		{Name: "kind", Description: "only flags of this kind", Enum: []string{FlagMultipleCertificates, FlagRepeatTesting}}, openFilter}}
	inspectionList = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{institution,
		{Name: "status", Description: "only inspections in this status", Enum: []string{InspectionPlanned, InspectionInProgress, InspectionClosed}},
		{Name: "kind", Description: "only inspections of this kind", Enum: []string{InspectionRoutine, InspectionSpecial, InspectionAnnual}}}}
	samplingList  = &httpx.List{Sorts: []string{"created_at"}}
	complaintList = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{
		{Name: "status", Description: "only complaints in this status", Enum: []string{ComplaintReceived, ComplaintInvestigating, ComplaintClosed}},
		institution}}
	decisionList = &httpx.List{Sorts: []string{"decided_at"}, Filters: []httpx.Filter{institution,
		{Name: "kind", Description: "only decisions of this kind", Enum: []string{string(DecisionSuspend), string(DecisionReinstate),
			string(DecisionInvalidateCertificate), string(DecisionRectify)}},
		{Name: "review_requested", Description: "only decisions whose review the institution asked for and that await it", Format: "boolean"}}}
	myDecisionList = &httpx.List{Sorts: []string{"decided_at"}}
)

func badParam(field, msg string) error {
	return &platform.Error{Kind: platform.KindInvalid, Code: "invalid_parameter", Message: msg,
		Fields: []platform.FieldError{{Field: field, Code: "format", Message: msg}}}
}

func queryUUID(c *fiber.Ctx, name string) (uuid.UUID, error) {
	v := c.Query(name)
	if v == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil, badParam(name, name+" must be a UUID")
	}
	return id, nil
}

func querySince(c *fiber.Ctx) (time.Time, error) {
	v := c.Query("since")
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badParam("since", "since must be an RFC 3339 time, e.g. 2026-11-01T00:00:00Z")
	}
	return t, nil
}

func queryBool(c *fiber.Ctx, name string) bool {
	b, _ := strconv.ParseBool(c.Query(name))
	return b
}

func (h *Handler) institutions(c *fiber.Ctx) error {
	req, err := institutionList.Parse(c)
	if err != nil {
		return err
	}
	p, err := h.svc.Institutions(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) institution(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return err
	}
	in, err := h.svc.Institution(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(in)
}

// records reads an institution's record listing: its id, the page and the filter.
func records(c *fiber.Ctx, list *httpx.List) (uuid.UUID, RecordFilter, platform.PageRequest, error) {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return id, RecordFilter{}, platform.PageRequest{}, err
	}
	req, err := list.Parse(c)
	if err != nil {
		return id, RecordFilter{}, req, err
	}
	batch, err := queryUUID(c, "batch_id")
	return id, RecordFilter{Status: c.Query("status"), BatchID: batch}, req, err
}

func (h *Handler) batches(c *fiber.Ctx) error {
	id, f, req, err := records(c, batchList)
	if err != nil {
		return err
	}
	p, err := h.svc.InstitutionBatches(c.UserContext(), id, f, req)
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
	p, err := h.svc.InstitutionCertificates(c.UserContext(), id, f, req)
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
	since, err := querySince(c)
	if err != nil {
		return err
	}
	p, err := h.svc.InstitutionAudit(c.UserContext(), id, since, req)
	if err != nil {
		return err
	}
	return c.JSON(p)
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

func (h *Handler) reports(c *fiber.Ctx) error {
	req, err := reportList.Parse(c)
	if err != nil {
		return err
	}
	since, err := querySince(c)
	if err != nil {
		return err
	}
	inst, err := queryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	p, err := h.svc.Reports(c.UserContext(), ReportFilter{Since: since, InstitutionID: inst, Kind: c.Query("kind")}, req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) report(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	r, err := h.svc.Report(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (h *Handler) verifyReports(c *fiber.Ctx) error {
	res, err := h.svc.VerifyReports(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (h *Handler) syncState(c *fiber.Ctx) error {
	st, err := h.svc.SyncState(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) setEndpoint(c *fiber.Ctx) error {
	var req endpointRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	st, err := h.svc.SetEndpoint(c.UserContext(), EndpointInput{URL: req.URL, Secret: req.Secret})
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) deleteEndpoint(c *fiber.Ctx) error {
	if err := h.svc.DeleteEndpoint(c.UserContext()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) pause(c *fiber.Ctx) error {
	st, err := h.svc.Pause(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) resume(c *fiber.Ctx) error {
	st, err := h.svc.Resume(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) replay(c *fiber.Ctx) error {
	var req replayRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	n, err := h.svc.Replay(c.UserContext(), req.Since)
	if err != nil {
		return err
	}
	return c.JSON(ReplayResponse{Queued: n})
}

func (h *Handler) reconciliation(c *fiber.Ctx) error {
	req, err := diffList.Parse(c)
	if err != nil {
		return err
	}
	inst, err := queryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	p, last, err := h.svc.Reconciliation(c.UserContext(), DiffFilter{InstitutionID: inst, Open: queryBool(c, "open")}, req)
	if err != nil {
		return err
	}
	return c.JSON(ReconciliationPage{Items: p.Items, NextCursor: p.NextCursor, LastRun: last})
}

func (h *Handler) flags(c *fiber.Ctx) error {
	req, err := flagList.Parse(c)
	if err != nil {
		return err
	}
	p, err := h.svc.Flags(c.UserContext(), FlagFilter{Kind: c.Query("kind"), Open: queryBool(c, "open")}, req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) stats(c *fiber.Ctx) error {
	var f StatsFilter
	var err error
	if v := c.Query("from"); v != "" {
		if f.From, err = ParseMonth(v); err != nil {
			return err
		}
	}
	if v := c.Query("to"); v != "" {
		if f.To, err = ParseMonth(v); err != nil {
			return err
		}
	}
	if v := c.Query("level"); v != "" {
		if f.Level, err = strconv.Atoi(v); err != nil || f.Level < 1 || f.Level > 5 {
			return badParam("level", "level must be 1 to 5")
		}
	}
	f.OccupationCode = c.Query("occupation_code")
	if f.InstitutionID, err = queryUUID(c, "institution_id"); err != nil {
		return err
	}
	format := strings.ToLower(c.Query("format", "json"))
	if format != "json" && format != "csv" && format != "xlsx" {
		return badParam("format", "format must be json, csv or xlsx")
	}
	st, err := h.svc.Stats(c.UserContext(), f, format != "json")
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		table := c.Query("table", "certificates")
		b, err := StatsCSV(st, table)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="skillcert-stats-`+table+`.csv"`)
		return c.Send(b)
	case "xlsx":
		b, err := StatsXLSX(st)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="skillcert-stats.xlsx"`)
		return c.Send(b)
	}
	return c.JSON(st)
}

func (h *Handler) inspections(c *fiber.Ctx) error {
	req, err := inspectionList.Parse(c)
	if err != nil {
		return err
	}
	inst, err := queryUUID(c, "institution_id")
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
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req inspectionPatchRequest
	if err := httpx.Bind(c, &req); err != nil {
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
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req findingRequest
	if err := httpx.Bind(c, &req); err != nil {
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
		Kind: req.Kind, Title: req.Title})
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
	inst, err := queryUUID(c, "institution_id")
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
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req complaintPatchRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	out, err := h.svc.UpdateComplaint(c.UserContext(), id, req.Status, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(out)
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
	d, err := h.svc.Decide(c.UserContext(), DecisionInput{InstitutionID: req.InstitutionID, Kind: DecisionKind(req.Kind),
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
	inst, err := queryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	p, err := h.svc.Decisions(c.UserContext(), DecisionFilter{InstitutionID: inst, Kind: c.Query("kind"),
		ReviewRequested: queryBool(c, "review_requested")}, req)
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
	d, err := h.svc.Decision(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) review(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req reviewRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	d, err := h.svc.ReviewDecision(c.UserContext(), id, req.Outcome, req.Note)
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
	p, err := h.svc.InstitutionDecisions(c.UserContext(), req)
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
	d, err := h.svc.InstitutionDecision(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) statement(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req statementRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	d, err := h.svc.AnswerDecision(c.UserContext(), id, AnswerStatement, req.Statement)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) reviewRequest(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req reviewRequestRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	d, err := h.svc.AnswerDecision(c.UserContext(), id, AnswerReviewRequest, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(d)
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
