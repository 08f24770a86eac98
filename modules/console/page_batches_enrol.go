package console

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// 添加考生: staff enrol the tenant's own candidates (an enterprise's employees, a school's students) in an
// open batch. The page searches the 考生 list as /candidates does; each candidate found has a button
// that posts candidate_id to POST /batches/{id}/applications — the form of the API's
// POST /api/v1/batches/{id}/applications, whose service decides eligibility at once. The clerk stays on
// the page, sees the result of the last enrolment and goes on with the next name.

// enrolPage is the page's model.
type enrolPage struct {
	Batch    batches.BatchView
	Open     bool   // the batch takes applications
	Q        string // the search
	Searched bool
	Rows     []enrolRow
	More     bool // more candidates match than are shown
	Added    *enrolAdded
	Error    string // message id of a refusal
	Detail   string // the service's words for it
}

type enrolRow struct {
	ID                        uuid.UUID
	Name, MaskedID, Education string
}

// enrolAdded is the application just made, shown above the search.
type enrolAdded struct {
	ID         uuid.UUID
	Name       string
	Status     string
	StatusWord string
	Reasons    []string
}

// enrolLimit is how many candidates a search shows; a narrower search finds the rest.
const enrolLimit = 20

func (c *Console) enrolPage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	var added uuid.UUID
	if v := fc.Query("added"); v != "" {
		if added, err = uuid.Parse(v); err != nil {
			added = uuid.Nil
		}
	}
	return c.renderEnrol(fc, id, strings.TrimSpace(fc.Query("q")), added, nil)
}

func (c *Console) enrol(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	q := strings.TrimSpace(fc.FormValue("q"))
	cid, perr := uuid.Parse(fc.FormValue("candidate_id"))
	if perr != nil {
		return c.renderEnrol(fc, id, q, uuid.Nil, platform.E(platform.KindInvalid, "invalid", "candidate_id must be a candidate's id"))
	}
	a, err := c.d.Batches.Apply(fc.UserContext(), id, batches.NewApplication{CandidateID: cid})
	if err != nil {
		return c.renderEnrol(fc, id, q, uuid.Nil, err)
	}
	back := "/batches/" + id.String() + "/applications/new?added=" + a.ID.String()
	if q != "" {
		back += "&q=" + url.QueryEscape(q)
	}
	return fc.Redirect(back, fiber.StatusSeeOther)
}

func (c *Console) renderEnrol(fc *fiber.Ctx, id uuid.UUID, q string, added uuid.UUID, refusal error) error {
	ctx := fc.UserContext()
	b, err := c.d.Batches.Get(ctx, id)
	if err != nil {
		return err
	}
	p := enrolPage{Batch: batches.NewBatchView(b), Open: b.Status == batches.StatusOpen, Q: q}
	l := c.loc(fc)
	if added != uuid.Nil {
		if a, err := c.d.Batches.GetApplication(ctx, added); err == nil && a.BatchID == id {
			v := &enrolAdded{ID: a.ID, Name: a.CandidateName, Status: string(a.Status), StatusWord: l.T("app_status." + string(a.Status))}
			if a.Decision.Outcome == eligibility.OutcomeIneligible {
				ev := batches.NewEligibilityView(a.Decision, false)
				v.Reasons = ev.Reasons
				if l.tag != langZH {
					v.Reasons = ev.ReasonsEN
				}
			}
			p.Added = v
		}
	}
	if q != "" {
		p.Searched = true
		f, err := candidates.ParseListFilter(q, "", "")
		if err != nil {
			return err
		}
		page, err := c.d.Candidates.List(ctx, platform.PageRequest{Limit: enrolLimit}, f)
		if err != nil {
			return err
		}
		p.More = page.NextCursor != ""
		for _, it := range page.Items {
			p.Rows = append(p.Rows, enrolRow{ID: it.ID, Name: it.Name, MaskedID: candidates.MaskIDNumber(it.IDNumber),
				Education: l.T("cand.education." + it.Education)})
		}
	}
	if refusal != nil {
		var pe *platform.Error
		if !errors.As(refusal, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable ||
			pe.Kind == platform.KindForbidden {
			return refusal
		}
		p.Error, p.Detail = enrolErrorMessage(pe.Code), pe.Message
		fc.Status(httpx.ProblemFor(refusal).Status)
	}
	return c.render(fc, "batches_enrol", p)
}

// enrolErrorMessage is the catalog id of a refused enrolment by its code.
func enrolErrorMessage(code string) string {
	switch code {
	case "duplicate", "not_found", "invalid":
		return "enrol_error." + code
	}
	return batchErrorMessage(code)
}
