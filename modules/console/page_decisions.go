package console

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/decisions"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Decisions is what the 监管决定 page needs of oversight: the regulators' decisions about the
// institution and its answers (陈述申辩, 复核申请). The API twins are GET /api/v1/decisions,
// POST /api/v1/decisions/{id}/statement and POST /api/v1/decisions/{id}/review-request.
type Decisions interface {
	ForInstitution(ctx context.Context, req platform.PageRequest) (platform.Page[decisions.Decision], error)
	Answer(ctx context.Context, id uuid.UUID, kind decisions.Answer, text string) (decisions.Decision, error)
}

// decisionPages registers the institution's page of regulators' decisions (hooked in pages()).
func (c *Console) decisionPages(r *router) {
	r.get("/decisions", access{Permission: oversight.PermDecisionList}, c.decisionsPage)
	r.post("/decisions/:id/statement", access{Permission: oversight.PermDecisionRespond}, c.answerDecision(decisions.AnswerStatement, "statement"))
	r.post("/decisions/:id/review-request", access{Permission: oversight.PermDecisionRespond}, c.answerDecision(decisions.AnswerReviewRequest, "reason"))
}

// decisionList is GET /api/v1/decisions's list: newest first.
var decisionList = &httpx.List{Sorts: []string{"decided_at"}}

// decisionsPage lists the decisions about the institution, newest first, each with its answers and,
// for those who may answer, the forms to state the case and to ask for review.
type decisionsPage struct {
	Decisions  []decisions.Decision
	List       listView
	CanRespond bool
	Done       string            // message id of what was just done
	Failed     uuid.UUID         // the decision whose form has Fields
	Fields     map[string]string // field → message id
	Text       string            // what was typed in the failed form
}

func (c *Console) decisionsPage(fc *fiber.Ctx) error {
	p := decisionsPage{}
	switch fc.Query("done") {
	case "statement":
		p.Done = "decisions.done_statement"
	case "review_request":
		p.Done = "decisions.done_review_request"
	}
	return c.renderDecisions(fc, p)
}

func (c *Console) renderDecisions(fc *fiber.Ctx, p decisionsPage) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, decisionList)
	if err != nil {
		return err
	}
	page, err := c.d.Decisions.ForInstitution(ctx, req)
	if err != nil {
		return err
	}
	p.Decisions, p.List = page.Items, lv.WithNext(page.NextCursor)
	p.CanRespond = c.d.Authorizer.Can(ctx, oversight.PermDecisionRespond)
	return c.render(fc, "decisions", p)
}

// answerDecision records a statement or a review request (field is the form's and the API's field).
func (c *Console) answerDecision(kind decisions.Answer, field string) fiber.Handler {
	return func(fc *fiber.Ctx) error {
		id, err := httpx.UUIDParam(fc, "id")
		if err != nil {
			return err
		}
		text := fc.FormValue(field)
		if _, err := c.d.Decisions.Answer(fc.UserContext(), id, kind, text); err != nil {
			var pe *platform.Error
			if !errors.As(err, &pe) || (pe.Kind != platform.KindUnprocessable && pe.Kind != platform.KindConflict) {
				return err
			}
			p := decisionsPage{Failed: id, Fields: map[string]string{}, Text: text}
			for _, f := range pe.Fields {
				p.Fields[f.Field] = fieldMessage(f.Code)
			}
			if len(pe.Fields) == 0 {
				p.Fields[field] = "decisions.already_answered"
			}
			fc.Status(httpx.ProblemFor(err).Status)
			return c.renderDecisions(fc, p)
		}
		return fc.Redirect("/decisions?done="+string(kind), fiber.StatusSeeOther)
	}
}
