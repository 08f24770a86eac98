package batches

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// The evaluator's score sheet and the supervisor's record (scoring.go, supervision.go): the API twins
// of the console's 评分 and 督导 pages.

// EvaluatorBatchView is a batch the caller scores, with the methods they score.
type EvaluatorBatchView struct {
	Batch   BatchView `json:"batch"`
	Methods []Method  `json:"methods"`
}

// ScoreSheetView is an evaluator's score sheet of a batch.
type ScoreSheetView struct {
	Batch   BatchView      `json:"batch"`
	Methods []Method       `json:"methods"`
	Open    bool           `json:"open"`
	Locked  bool           `json:"locked"`
	Rows    []ScoreRowView `json:"rows"`
}

// ScoreRowView is one row of a score sheet.
type ScoreRowView struct {
	Application ApplicationView `json:"application"`
	Absent      []Method        `json:"absent"`
	Recused     bool            `json:"recused"`
}

// NewScoreSheetView converts a score sheet.
func NewScoreSheetView(s ScoreSheet) ScoreSheetView {
	v := ScoreSheetView{Batch: NewBatchView(s.Batch), Methods: s.Methods, Open: s.Open, Locked: s.Locked, Rows: []ScoreRowView{}}
	if v.Methods == nil {
		v.Methods = []Method{}
	}
	for _, r := range s.Rows {
		abs := r.Absent
		if abs == nil {
			abs = []Method{}
		}
		v.Rows = append(v.Rows, ScoreRowView{Application: NewApplicationView(r.Application, false), Absent: abs, Recused: r.Recused})
	}
	return v
}

// SupervisionRecordView is a supervisor's record of a batch's exam.
type SupervisionRecordView struct {
	BatchID      uuid.UUID  `json:"batch_id"`
	SupervisorID uuid.UUID  `json:"supervisor_id"`
	Present      bool       `json:"present"`
	Findings     string     `json:"findings"`
	SignedOff    bool       `json:"signed_off"`
	SignedOffAt  *time.Time `json:"signed_off_at,omitempty"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
}

// NewSupervisionRecordView converts a record (updated_at absent while it is unwritten).
func NewSupervisionRecordView(r SupervisionRecord) SupervisionRecordView {
	v := SupervisionRecordView{BatchID: r.BatchID, SupervisorID: r.SupervisorID, Present: r.Present, Findings: r.Findings,
		SignedOff: r.SignedOff(), SignedOffAt: r.SignedOffAt}
	if !r.UpdatedAt.IsZero() {
		t := r.UpdatedAt
		v.UpdatedAt = &t
	}
	return v
}

// SupervisedBatchView is a batch the caller supervises, with their record.
type SupervisedBatchView struct {
	Batch  BatchView             `json:"batch"`
	Record SupervisionRecordView `json:"record"`
}

type (
	evaluationsResponse struct {
		Items []EvaluatorBatchView `json:"items"`
	}
	batchScoresRequest struct {
		Items []struct {
			ApplicationID uuid.UUID          `json:"application_id" required:"true"`
			Scores        map[string]float64 `json:"scores" required:"true"`
		} `json:"items" required:"true"`
	}
	batchScoresResponse struct {
		Items []ApplicationView `json:"items"`
	}
	supervisedResponse struct {
		Items []SupervisedBatchView `json:"items"`
	}
	supervisionResponse struct {
		Batch BatchView               `json:"batch"`
		Items []SupervisionRecordView `json:"items"`
	}
	supervisionRequest struct {
		Present  bool   `json:"present"`
		Findings string `json:"findings,omitempty"`
		SignOff  bool   `json:"sign_off,omitempty"`
	}
)

// scoringRoutes mounts the score sheet and supervision records (called from Routes).
func (h *Handler) scoringRoutes(r *httpx.Router) {
	const tag = "Scoring and supervision"
	r.Get("/me/evaluations", httpx.Op{Summary: "The batches the caller is assigned to score, with their methods", Tag: tag,
		Permission: PermScoreWrite, Response: new(evaluationsResponse)}, h.myEvaluations)
	r.Get("/batches/:id/score-sheet", httpx.Op{Summary: "The caller's score sheet of a batch (assigned evaluators; others 404)", Tag: tag,
		Permission: PermScoreWrite, Response: new(ScoreSheetView)}, h.scoreSheet)
	r.Put("/batches/:id/scores", httpx.Op{Summary: "Enter many rows of scores in one transaction (all or none)", Tag: tag,
		Permission: PermScoreWrite, Request: new(batchScoresRequest), Response: new(batchScoresResponse)}, h.batchScores)
	r.Get("/me/supervision", httpx.Op{Summary: "The batches the caller supervises (逢考必督), with their records", Tag: tag,
		Permission: PermSupervisionWrite, Response: new(supervisedResponse)}, h.mySupervision)
	r.Get("/batches/:id/supervision", httpx.Op{Summary: "A batch's supervision records, one per supervisor", Tag: tag,
		Permission: PermSupervisionRead, Response: new(supervisionResponse)}, h.supervision)
	r.Put("/batches/:id/supervision", httpx.Op{Summary: "Write the caller's supervision record; sign_off closes it", Tag: tag,
		Permission: PermSupervisionWrite, Request: new(supervisionRequest), Response: new(SupervisionRecordView)}, h.saveSupervision)
}

func (h *Handler) myEvaluations(c *fiber.Ctx) error {
	bs, err := h.svc.MyEvaluations(c.UserContext())
	if err != nil {
		return err
	}
	out := evaluationsResponse{Items: []EvaluatorBatchView{}}
	for _, b := range bs {
		out.Items = append(out.Items, EvaluatorBatchView{Batch: NewBatchView(b.Batch), Methods: b.Methods})
	}
	return c.JSON(out)
}

func (h *Handler) scoreSheet(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	s, err := h.svc.ScoreSheet(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(NewScoreSheetView(s))
}

func (h *Handler) batchScores(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req batchScoresRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	items := make([]ScoreItem, len(req.Items))
	for i, it := range req.Items {
		items[i] = ScoreItem{ApplicationID: it.ApplicationID, Scores: make(map[Method]float64, len(it.Scores))}
		for m, s := range it.Scores {
			items[i].Scores[Method(m)] = s
		}
	}
	apps, err := h.svc.SetBatchScores(c.UserContext(), id, items)
	if err != nil {
		return err
	}
	out := batchScoresResponse{Items: []ApplicationView{}}
	for _, a := range apps {
		out.Items = append(out.Items, NewApplicationView(a, false))
	}
	return c.JSON(out)
}

func (h *Handler) mySupervision(c *fiber.Ctx) error {
	bs, err := h.svc.MySupervision(c.UserContext())
	if err != nil {
		return err
	}
	out := supervisedResponse{Items: []SupervisedBatchView{}}
	for _, b := range bs {
		out.Items = append(out.Items, SupervisedBatchView{Batch: NewBatchView(b.Batch), Record: NewSupervisionRecordView(b.Record)})
	}
	return c.JSON(out)
}

func (h *Handler) supervision(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	b, recs, err := h.svc.Supervision(c.UserContext(), id)
	if err != nil {
		return err
	}
	out := supervisionResponse{Batch: NewBatchView(b), Items: []SupervisionRecordView{}}
	for _, r := range recs {
		out.Items = append(out.Items, NewSupervisionRecordView(r))
	}
	return c.JSON(out)
}

func (h *Handler) saveSupervision(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req supervisionRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	r, err := h.svc.SaveSupervision(c.UserContext(), id, SupervisionInput{Present: req.Present, Findings: req.Findings, SignOff: req.SignOff})
	if err != nil {
		return err
	}
	return c.JSON(NewSupervisionRecordView(r))
}
