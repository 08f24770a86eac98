package console

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/tenants"
)

// Scoring is what the evaluator's 评分 pages need of the batches module (batches.Service): the batches
// one scores, the score sheet of one and saving its rows, declaring a recusal. Each page names its
// API twin (modules/batches/http.go).
type Scoring interface {
	MyEvaluations(ctx context.Context) ([]batches.EvaluatorBatch, error)
	ScoreSheet(ctx context.Context, batchID uuid.UUID) (batches.ScoreSheet, error)
	SetBatchScores(ctx context.Context, batchID uuid.UUID, items []batches.ScoreItem) ([]batches.Application, error)
	DeclareRecusal(ctx context.Context, batchID uuid.UUID, in batches.NewRecusal) (batches.Recusal, error)
}

// scoringPages registers 评分: the batches I score, the score entry grid and its form, the recusal form.
func (c *Console) scoringPages(r *router) {
	r.get("/scoring", access{Permission: batches.PermScoreWrite}, c.scoringList)             // GET /api/v1/me/evaluations
	r.get("/scoring/:id", access{Permission: batches.PermScoreWrite}, c.scoreSheetPage)      // GET /api/v1/batches/{id}/score-sheet
	r.post("/scoring/:id", access{Permission: batches.PermScoreWrite}, c.saveScores)         // PUT /api/v1/batches/{id}/scores
	r.post("/scoring/:id/recusals", access{Permission: batches.PermRecusalCreate}, c.recuse) // POST /api/v1/batches/{id}/recusals
	c.supervisionPages(r)
}

// scoringListPage lists the batches the evaluator scores.
type scoringListPage struct {
	Items []scoringListItem
}

type scoringListItem struct {
	Batch   batches.BatchView
	Methods []string
	Open    bool
	Locked  bool
}

func (c *Console) scoringList(fc *fiber.Ctx) error {
	if c.d.Scoring == nil {
		return fiber.ErrNotFound
	}
	bs, err := c.d.Scoring.MyEvaluations(fc.UserContext())
	if err != nil {
		return err
	}
	var p scoringListPage
	for _, b := range bs {
		it := scoringListItem{Batch: batches.NewBatchView(b.Batch), Open: b.Batch.Status == batches.StatusClosed,
			Locked: b.Batch.Status == batches.StatusPublicity || b.Batch.Status == batches.StatusFinalized}
		for _, m := range b.Methods {
			it.Methods = append(it.Methods, string(m))
		}
		p.Items = append(p.Items, it)
	}
	return c.render(fc, "scoring", p)
}

// scoreSheetPage is the score entry grid: one row per admitted application, a column per method the
// evaluator scores. The whole grid is one form (inputs named as the API's items[i].scores.<method>,
// with items[i].application_id beside them); the script saves a row at a time through the same route.
type scoreSheetPage struct {
	Batch     batches.BatchView
	BatchID   uuid.UUID
	Methods   []scoreMethod
	Rows      []scoreRow
	Open      bool // scores are taken now
	Locked    bool // results published: read-only
	Editable  bool
	Done      string // message id of what just happened
	Error     string // message id of a refusal of the whole form
	Invalid   int    // how many cells are refused
	Recusal   recusalForm
	CanRecuse bool
}

type scoreMethod struct {
	Method   string
	PassMark string
}

type scoreRow struct {
	Index       int
	ID          uuid.UUID
	CandidateID uuid.UUID
	Name        string
	IDNo        string
	Cells       []scoreCellForm
	Result      string // pass, fail, absent or ""
	Recused     bool
	Absent      bool
	Invalid     bool
}

// scoreCellForm is one cell: its input's name and id, the value shown (as typed, after a refusal), and
// what it is when it takes no input.
type scoreCellForm struct {
	Method   string
	Name     string // the input's name: items[i].scores.<method>
	InputID  string
	Value    string
	PassMark string
	Label    string // 张三 理论知识考试: the input's accessible name
	State    string // "" (an input), absent, exempt, recused, readonly
	Below    bool   // the score shown is under the pass mark
	Error    string // message id
}

// recusalForm is the 回避 form: the candidate and the relation.
type recusalForm struct {
	CandidateID string
	Relation    string
	Fields      map[string]string
}

func scoreKey(app uuid.UUID, m string) string { return app.String() + "/" + m }

func formatScore(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (c *Console) scoreSheetPage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	p, err := c.scoreSheet(fc, id, nil, nil)
	if err != nil {
		return err
	}
	p.Done = map[string]string{"saved": "scoring.done_saved", "recused": "scoring.done_recused"}[fc.Query("done")]
	return c.render(fc, "scoring_sheet", p)
}

// scoreSheet builds the grid from the service's sheet; typed holds the values as posted (kept after a
// refusal) and errs the cells' message ids, both by scoreKey.
func (c *Console) scoreSheet(fc *fiber.Ctx, id uuid.UUID, typed, errs map[string]string) (*scoreSheetPage, error) {
	if c.d.Scoring == nil {
		return nil, fiber.ErrNotFound
	}
	ctx := fc.UserContext()
	s, err := c.d.Scoring.ScoreSheet(ctx, id)
	if err != nil {
		return nil, err
	}
	l := c.loc(fc)
	p := &scoreSheetPage{Batch: batches.NewBatchView(s.Batch), BatchID: id, Open: s.Open, Locked: s.Locked, Editable: s.Open,
		CanRecuse: c.d.Authorizer.Can(ctx, batches.PermRecusalCreate) && !s.Locked &&
			s.Batch.Status != batches.StatusCancelled && s.Batch.Status != batches.StatusFinalized,
		Recusal: recusalForm{Fields: map[string]string{}}}
	for _, m := range s.Methods {
		p.Methods = append(p.Methods, scoreMethod{Method: string(m), PassMark: formatScore(s.Batch.PassMarks[m])})
	}
	for i, r := range s.Rows {
		a := r.Application
		row := scoreRow{Index: i, ID: a.ID, CandidateID: a.CandidateID, Name: a.CandidateName, IDNo: a.IDNumber, Result: string(a.Result), Recused: r.Recused,
			Absent: a.Result == batches.ResultAbsent}
		for _, m := range s.Methods {
			key := scoreKey(a.ID, string(m))
			cell := scoreCellForm{Method: string(m), Name: fmt.Sprintf("items[%d].scores.%s", i, m),
				InputID: fmt.Sprintf("score-%d-%s", i, m), PassMark: formatScore(s.Batch.PassMarks[m]),
				Label: a.CandidateName + " " + l.T("batch_method."+string(m))}
			if v, ok := a.Scores[m]; ok {
				cell.Value = formatScore(v)
			}
			switch {
			case r.Recused:
				cell.State = "recused"
			case hasMethod(r.Absent, m):
				cell.State = "absent"
			case m == batches.MethodTheory && a.Decision.TheoryExempt:
				cell.State = "exempt"
			case !s.Open:
				cell.State = "readonly"
			}
			if v, ok := typed[key]; ok && cell.State == "" {
				cell.Value = v
			}
			if f, err := strconv.ParseFloat(cell.Value, 64); err == nil && f < s.Batch.PassMarks[m] {
				cell.Below = true
			}
			if e := errs[key]; e != "" {
				cell.Error = e
				row.Invalid = true
				p.Invalid++
			}
			row.Cells = append(row.Cells, cell)
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}

func hasMethod(ms []batches.Method, m batches.Method) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

// postedRow is one row of the posted grid: its application and its cells as typed.
type postedRow struct {
	ID    uuid.UUID
	Cells map[string]string // method → value as typed
}

// readScoreForm reads the posted grid: items[i].application_id and items[i].scores.<method>, in row order.
func readScoreForm(fc *fiber.Ctx) []postedRow {
	byIndex := map[int]*postedRow{}
	var order []int
	fc.Request().PostArgs().VisitAll(func(k, v []byte) {
		key := string(k)
		if !strings.HasPrefix(key, "items[") {
			return
		}
		end := strings.Index(key, "]")
		if end < 0 {
			return
		}
		i, err := strconv.Atoi(key[len("items["):end])
		if err != nil || i < 0 || i > batches.MaxScoreItems {
			return
		}
		r := byIndex[i]
		if r == nil {
			r = &postedRow{Cells: map[string]string{}}
			byIndex[i] = r
			order = append(order, i)
		}
		rest := key[end+1:]
		switch {
		case rest == ".application_id":
			r.ID, _ = uuid.Parse(strings.TrimSpace(string(v)))
		case strings.HasPrefix(rest, ".scores."):
			r.Cells[strings.TrimPrefix(rest, ".scores.")] = strings.TrimSpace(string(v))
		}
	})
	out := make([]postedRow, 0, len(order))
	for _, i := range order {
		if byIndex[i].ID != uuid.Nil {
			out = append(out, *byIndex[i])
		}
	}
	return out
}

// scoreReply is the script's answer to a row it saved (Accept: application/json).
type scoreReply struct {
	Saved []scoreReplyRow  `json:"saved"`
	Cells []scoreReplyCell `json:"errors"`
	Error string           `json:"error,omitempty"`
}

type scoreReplyRow struct {
	ID         uuid.UUID         `json:"id"`
	Result     string            `json:"result"`
	ResultText string            `json:"result_text"`
	Scores     map[string]string `json:"scores"`
}

type scoreReplyCell struct {
	ID      uuid.UUID `json:"id"`
	Method  string    `json:"method"`
	Message string    `json:"message"`
}

// saveScores takes the posted grid (or, from the script, one row of it): every non-empty cell is sent
// to SetBatchScores in one call, all saved or none. A cell that is not a number is refused here; the
// service refuses the rest (out of range, absent, …). Refused cells are shown with their message and
// every typed value kept; the script gets the same as JSON.
func (c *Console) saveScores(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if c.d.Scoring == nil {
		return fiber.ErrNotFound
	}
	wantsJSON := strings.Contains(fc.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON)
	rows := readScoreForm(fc)
	typed := map[string]string{}
	errs := map[string]string{}
	var items []batches.ScoreItem
	var itemRows []postedRow
	for _, r := range rows {
		it := batches.ScoreItem{ApplicationID: r.ID, Scores: map[batches.Method]float64{}}
		for m, raw := range r.Cells {
			typed[scoreKey(r.ID, m)] = raw
			if raw == "" {
				continue
			}
			f, err := strconv.ParseFloat(strings.ReplaceAll(raw, "，", "."), 64)
			if err != nil || f != f {
				errs[scoreKey(r.ID, m)] = "scoring.field.not_a_number"
				continue
			}
			it.Scores[batches.Method(m)] = f
		}
		if len(it.Scores) > 0 {
			items = append(items, it)
			itemRows = append(itemRows, r)
		}
	}
	var saved []batches.Application
	var refusal error
	if len(errs) == 0 && len(items) > 0 {
		saved, err = c.d.Scoring.SetBatchScores(fc.UserContext(), id, items)
		if err != nil {
			pe, ok := userError(err)
			if !ok {
				if !wantsJSON {
					return err
				}
				refusal = err
			} else if len(pe.Fields) > 0 {
				for _, f := range pe.Fields {
					app, m, ok := scoreFieldOf(f.Field, itemRows)
					if ok {
						errs[scoreKey(app, m)] = scoreFieldMessage(f.Code)
					}
				}
				if len(errs) == 0 {
					refusal = err
				}
			} else {
				refusal = err
			}
		}
	}
	if wantsJSON {
		return c.scoreJSON(fc, saved, errs, refusal)
	}
	if len(errs) == 0 && refusal == nil {
		return fc.Redirect("/scoring/"+id.String()+"?done=saved", fiber.StatusSeeOther)
	}
	p, err := c.scoreSheet(fc, id, typed, errs)
	if err != nil {
		return err
	}
	if refusal != nil {
		p.Error = scoreErrorMessage(refusal)
		fc.Status(httpx.ProblemFor(refusal).Status)
	} else {
		fc.Status(fiber.StatusUnprocessableEntity)
	}
	return c.render(fc, "scoring_sheet", p)
}

// scoreFieldOf maps a service field (items[3].theory) to the cell of the posted row it names; a
// row-level field (items[3].application_id, items[3].scores) to the row's first cell.
func scoreFieldOf(field string, rows []postedRow) (uuid.UUID, string, bool) {
	rest, ok := strings.CutPrefix(field, "items[")
	if !ok {
		return uuid.Nil, "", false
	}
	idx, m, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(idx)
	if !ok || err != nil || i < 0 || i >= len(rows) {
		return uuid.Nil, "", false
	}
	m = strings.TrimPrefix(m, ".")
	if _, ok := rows[i].Cells[m]; !ok {
		keys := slices.Sorted(maps.Keys(rows[i].Cells))
		if len(keys) == 0 {
			return uuid.Nil, "", false
		}
		m = keys[0]
	}
	return rows[i].ID, m, true
}

func (c *Console) scoreJSON(fc *fiber.Ctx, saved []batches.Application, errs map[string]string, refusal error) error {
	l := c.loc(fc)
	out := scoreReply{Saved: []scoreReplyRow{}, Cells: []scoreReplyCell{}}
	for _, a := range saved {
		r := scoreReplyRow{ID: a.ID, Result: string(a.Result), Scores: map[string]string{}}
		if a.Result != batches.ResultNone {
			r.ResultText = l.T("scoring.result." + string(a.Result))
		}
		for m, s := range a.Scores {
			r.Scores[string(m)] = formatScore(s)
		}
		out.Saved = append(out.Saved, r)
	}
	for k, msg := range errs {
		app, m, _ := strings.Cut(k, "/")
		id, _ := uuid.Parse(app)
		out.Cells = append(out.Cells, scoreReplyCell{ID: id, Method: m, Message: l.T(msg)})
	}
	switch {
	case refusal != nil:
		out.Error = l.T(scoreErrorMessage(refusal))
		fc.Status(httpx.ProblemFor(refusal).Status)
	case len(errs) > 0:
		fc.Status(fiber.StatusUnprocessableEntity)
	}
	return fc.JSON(out)
}

// scoreFieldMessage is the catalog id of a cell's error code.
func scoreFieldMessage(code string) (key string) {
	switch code {
	case "out_of_range":
		key = "scoring.field.out_of_range"
	case "absent":
		key = "scoring.field.absent"
	case "exempt":
		key = "scoring.field.exempt"
	case "unknown_method":
		key = "scoring.field.unknown_method"
	case "not_found":
		key = "scoring.field.not_found"
	case "duplicate":
		key = "scoring.field.duplicate"
	case "required":
		key = "scoring.field.required"
	default:
		key = "scoring.field.invalid"
	}
	return key
}

// scoreErrorMessage is the catalog id of a refusal of the whole grid.
func scoreErrorMessage(err error) (key string) {
	var pe *platform.Error
	code := ""
	if errors.As(err, &pe) {
		code = pe.Code
	}
	switch code {
	case "scores_locked":
		key = "scoring.error.scores_locked"
	case "not_assigned":
		key = "scoring.error.not_assigned"
	case "recused":
		key = "scoring.error.recused"
	case "invalid_state":
		key = "scoring.error.invalid_state"
	case "absent":
		key = "scoring.error.absent"
	case "too_many_items":
		key = "scoring.error.too_many_items"
	default:
		key = "scoring.error.other"
	}
	return key
}

// recuse serves the 回避 form: the signed-in evaluator declares their relation to a candidate of the
// batch (an evaluator declares for themselves only, as the API's DeclareRecusal enforces).
func (c *Console) recuse(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if c.d.Scoring == nil {
		return fiber.ErrNotFound
	}
	f := recusalForm{CandidateID: strings.TrimSpace(fc.FormValue("candidate_id")), Relation: strings.TrimSpace(fc.FormValue("relation")),
		Fields: map[string]string{}}
	cand, _ := uuid.Parse(f.CandidateID)
	me := tenants.ActorFrom(fc.UserContext()).UserID
	_, err = c.d.Scoring.DeclareRecusal(fc.UserContext(), id, batches.NewRecusal{EvaluatorID: me, CandidateID: cand, Relation: f.Relation})
	if err == nil {
		return fc.Redirect("/scoring/"+id.String()+"?done=recused", fiber.StatusSeeOther)
	}
	pe, ok := userError(err)
	if !ok {
		return err
	}
	p, perr := c.scoreSheet(fc, id, nil, nil)
	if perr != nil {
		return perr
	}
	for _, fe := range pe.Fields {
		var key string
		switch fe.Field {
		case "candidate_id":
			key = "scoring.recusal_field.candidate_id"
		case "relation":
			key = "scoring.recusal_field.relation"
		default:
			continue
		}
		f.Fields[fe.Field] = key
	}
	if len(f.Fields) == 0 {
		if pe.Code == "duplicate" {
			f.Fields["candidate_id"] = "scoring.recusal_field.duplicate"
		} else {
			p.Error = scoreErrorMessage(err)
		}
	}
	p.Recusal = f
	fc.Status(httpx.ProblemFor(err).Status)
	if fc.Response().StatusCode() == http.StatusOK {
		fc.Status(fiber.StatusUnprocessableEntity)
	}
	return c.render(fc, "scoring_sheet", p)
}
