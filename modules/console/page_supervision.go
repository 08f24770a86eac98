package console

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/tenants"
)

// ExamSupervision is what the supervisor's 督导 pages need of the batches module (batches.Service): the
// batches one supervises, a batch's records, and writing one's own (逢考必督). API twins in
// modules/batches/http.go.
type ExamSupervision interface {
	MySupervision(ctx context.Context) ([]batches.SupervisedBatch, error)
	Supervision(ctx context.Context, batchID uuid.UUID) (batches.Batch, []batches.SupervisionRecord, error)
	SaveSupervision(ctx context.Context, batchID uuid.UUID, in batches.SupervisionInput) (batches.SupervisionRecord, error)
}

// supervisionPages registers 督导: the exams I supervise, the record of each with the batch's
// arrangement and attendance read-only.
func (c *Console) supervisionPages(r *router) {
	r.get("/supervision", access{Permission: batches.PermSupervisionWrite}, c.supervisionList)      // GET /api/v1/me/supervision
	r.get("/supervision/:id", access{Permission: batches.PermSupervisionRead}, c.supervisionPage)   // GET /api/v1/batches/{id}/supervision
	r.post("/supervision/:id", access{Permission: batches.PermSupervisionWrite}, c.saveSupervision) // PUT /api/v1/batches/{id}/supervision
}

type supervisionListPage struct {
	Items []supervisionListItem
}

type supervisionListItem struct {
	Batch  batches.BatchView
	Record batches.SupervisionRecordView
	State  string // new, draft, signed
}

func recordState(r batches.SupervisionRecord) string {
	switch {
	case r.SignedOff():
		return "signed"
	case !r.UpdatedAt.IsZero():
		return "draft"
	}
	return "new"
}

func (c *Console) supervisionList(fc *fiber.Ctx) error {
	if c.d.ExamSupervision == nil {
		return fiber.ErrNotFound
	}
	bs, err := c.d.ExamSupervision.MySupervision(fc.UserContext())
	if err != nil {
		return err
	}
	var p supervisionListPage
	for _, b := range bs {
		p.Items = append(p.Items, supervisionListItem{Batch: batches.NewBatchView(b.Batch),
			Record: batches.NewSupervisionRecordView(b.Record), State: recordState(b.Record)})
	}
	return c.render(fc, "supervision", p)
}

// supervisionPageData is one batch's supervision: my record (a form until signed off), the other
// supervisors' records, and the exam's sessions, seats and attendance read-only.
type supervisionPageData struct {
	Batch   batches.BatchView
	BatchID uuid.UUID
	Mine    *batches.SupervisionRecordView
	Others  []supervisorRecordLine
	Form    supervisionForm
	CanEdit bool
	Exam    *examPageData
	Done    string
	Error   string
}

type supervisorRecordLine struct {
	Name   string
	Record batches.SupervisionRecordView
	State  string
}

type supervisionForm struct {
	Present  bool
	Findings string
	Fields   map[string]string
}

func (c *Console) supervisionPage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	p, err := c.supervisionData(fc, id, nil)
	if err != nil {
		return err
	}
	p.Done = map[string]string{"saved": "superv.done_saved", "signed": "superv.done_signed"}[fc.Query("done")]
	return c.render(fc, "supervision_show", p)
}

// supervisionData loads the page; form, when set, is the form as posted (kept after a refusal).
func (c *Console) supervisionData(fc *fiber.Ctx, id uuid.UUID, form *supervisionForm) (*supervisionPageData, error) {
	if c.d.ExamSupervision == nil {
		return nil, fiber.ErrNotFound
	}
	ctx := fc.UserContext()
	b, recs, err := c.d.ExamSupervision.Supervision(ctx, id)
	if err != nil {
		return nil, err
	}
	me := tenants.ActorFrom(ctx).UserID
	p := &supervisionPageData{Batch: batches.NewBatchView(b), BatchID: id, Form: supervisionForm{Fields: map[string]string{}}}
	names := map[uuid.UUID]string{}
	if us, err := c.tenantUsers(ctx); err == nil {
		for _, u := range us {
			names[u.ID] = u.DisplayName
		}
	}
	for _, r := range recs {
		v := batches.NewSupervisionRecordView(r)
		if r.SupervisorID == me {
			p.Mine = &v
			p.Form.Present, p.Form.Findings = r.Present, r.Findings
			p.CanEdit = !r.SignedOff() && c.d.Authorizer.Can(ctx, batches.PermSupervisionWrite) &&
				b.Status != batches.StatusCancelled && b.Status != batches.StatusDraft
			continue
		}
		name := names[r.SupervisorID]
		if name == "" {
			name = shortID(r.SupervisorID)
		}
		p.Others = append(p.Others, supervisorRecordLine{Name: name, Record: v, State: recordState(r)})
	}
	if form != nil {
		p.Form = *form
	}
	if c.d.Exams != nil {
		if ex, err := c.examData(fc, id); err == nil {
			p.Exam = ex
		} else if _, ok := userError(err); !ok {
			return nil, err
		}
	}
	return p, nil
}

// saveSupervision writes the signed-in supervisor's record: 保存 keeps it open, 签字确认 (sign_off)
// closes it. Refusals show next to the fields with what was typed kept.
func (c *Console) saveSupervision(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if c.d.ExamSupervision == nil {
		return fiber.ErrNotFound
	}
	f := supervisionForm{Present: fc.FormValue("present") == "true", Findings: strings.TrimSpace(fc.FormValue("findings")),
		Fields: map[string]string{}}
	signOff := fc.FormValue("sign_off") == "true"
	_, err = c.d.ExamSupervision.SaveSupervision(fc.UserContext(), id, batches.SupervisionInput{Present: f.Present, Findings: f.Findings, SignOff: signOff})
	if err == nil {
		done := "saved"
		if signOff {
			done = "signed"
		}
		return fc.Redirect("/supervision/"+id.String()+"?done="+done, fiber.StatusSeeOther)
	}
	pe, ok := userError(err)
	if !ok {
		return err
	}
	p, perr := c.supervisionData(fc, id, &f)
	if perr != nil {
		return perr
	}
	for _, fe := range pe.Fields {
		if id := supervFieldMessage(fe.Field, fe.Code); id != "" {
			p.Form.Fields[fe.Field] = id
		}
	}
	if len(p.Form.Fields) == 0 {
		p.Error = supervErrorMessage(pe.Code)
	}
	fc.Status(httpx.ProblemFor(err).Status)
	return c.render(fc, "supervision_show", p)
}

// supervFieldMessage is the catalog id of a field error of the record form ("" for another field).
func supervFieldMessage(field, code string) (key string) {
	switch {
	case field == "present":
		key = "superv.field.present.required"
	case field == "findings" && code == "too_long":
		key = "superv.field.findings.too_long"
	}
	return key
}

// supervErrorMessage is the catalog id of a refusal of the record.
func supervErrorMessage(code string) (key string) {
	switch code {
	case "signed_off":
		key = "superv.error.signed_off"
	case "exam_not_started":
		key = "superv.error.exam_not_started"
	case "invalid_state":
		key = "superv.error.invalid_state"
	default:
		key = "superv.error.other"
	}
	return key
}
