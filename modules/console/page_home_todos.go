package console

import (
	"context"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/oversight"
)

// Todos are where the 工作台's counts come from: each a small interface the console owns, satisfied by
// the module that keeps the records (wired in modules/server). A nil one shows no to-dos of its kind.
type Todos struct {
	Batches      BatchTodos
	Certificates CertificateTodos
	Filings      FilingTodos
	Decisions    DecisionTodos
}

// BatchTodos counts what waits in the institution's batches (batches.Service).
type BatchTodos interface {
	Todos(ctx context.Context) (batches.Todos, error)
}

// CertificateTodos counts certificates whose issuance failed (certificates.Service).
type CertificateTodos interface {
	CountFailed(ctx context.Context) (int, error)
}

// FilingTodos counts filings near expiry that should be renewed (filings.Service).
type FilingTodos interface {
	CountRenewable(ctx context.Context) (int, error)
}

// DecisionTodos counts regulators' decisions the institution has not answered (oversight's decisions).
type DecisionTodos interface {
	CountUnanswered(ctx context.Context) (int, error)
}

// todoRule decides whether a to-do is shown: the user holds the permission of the page it links to
// and, when the to-do asks for an action, the permission of that action.
type todoRule struct{ page, action string }

// The to-dos' rules, by what they link to.
var (
	ruleReview      = todoRule{page: batches.PermApplicationList, action: batches.PermApplicationReview}
	ruleBatches     = todoRule{page: batches.PermBatchList}
	ruleFinalize    = todoRule{page: batches.PermBatchList, action: batches.PermBatchFinalize}
	ruleObjections  = todoRule{page: batches.PermBatchRead, action: batches.PermObjectionResolve}
	ruleCertificate = todoRule{page: certificates.PermCertificateList}
	ruleFilings     = todoRule{page: filings.PermFilingList, action: filings.PermFilingRenew}
	ruleDecisions   = todoRule{page: oversight.PermDecisionList}
)

func (c *Console) may(ctx context.Context, r todoRule) bool {
	return c.d.Authorizer.Can(ctx, r.page) && (r.action == "" || c.d.Authorizer.Can(ctx, r.action))
}

// todos gathers the signed-in user's to-dos, most pressing first. Counts of zero are left out; a count
// that fails is logged and left out too, so that one module's trouble doesn't take the 工作台 down.
func (c *Console) todos(fc *fiber.Ctx) []todo {
	ctx := fc.UserContext()
	if !actorIsInstitution(ctx) {
		return c.regulatorTodos(fc) // page_oversight_dash.go
	}
	t := c.d.Todos
	var out []todo
	add := func(key string, n int, path string, batch string) {
		if n > 0 {
			out = append(out, todo{Key: key, Count: n, Path: path, Batch: batch})
		}
	}
	failed := func(what string, err error) {
		c.d.Log.WarnContext(ctx, "console: counting to-dos failed", "todo", what, "err", err)
	}
	if t.Decisions != nil && c.may(ctx, ruleDecisions) {
		if n, err := t.Decisions.CountUnanswered(ctx); err != nil {
			failed("decisions", err)
		} else {
			add("todo.decisions", n, "/decisions", "")
		}
	}
	if t.Batches != nil && c.may(ctx, ruleBatches) {
		bt, err := t.Batches.Todos(ctx)
		if err != nil {
			failed("batches", err)
		} else {
			if c.may(ctx, ruleReview) {
				shown := 0
				for _, b := range bt.AwaitingReview {
					add("todo.review", b.Count, "/batches/"+b.BatchID.String()+"/applications?status="+url.QueryEscape(string(batches.AppPendingReview)),
						b.Title)
					shown += b.Count
				}
				add("todo.review_more", bt.ReviewTotal-shown, "/batches?status="+string(batches.StatusOpen), "")
			}
			if c.may(ctx, ruleObjections) {
				shown := 0
				for _, b := range bt.OpenObjections {
					add("todo.objections", b.Count, "/batches/"+b.BatchID.String(), b.Title)
					shown += b.Count
				}
				add("todo.objections_more", bt.ObjectionTotal-shown, "/batches?status="+string(batches.StatusPublicity), "")
			}
			if c.may(ctx, ruleFinalize) {
				add("todo.finalize", bt.PublicityOver, "/batches?status="+string(batches.StatusPublicity), "")
			}
			add("todo.scoring", bt.Scoring, "/batches?status="+string(batches.StatusClosed), "")
			add("todo.publicity", bt.InPublicity, "/batches?status="+string(batches.StatusPublicity), "")
		}
	}
	out = append(out, c.scoringTodos(ctx)...) // 评分 and 督导 (page_scoring_todos.go)
	if t.Certificates != nil && c.may(ctx, ruleCertificate) {
		if n, err := t.Certificates.CountFailed(ctx); err != nil {
			failed("certificates", err)
		} else {
			add("todo.certificates_failed", n, "/certificates?status=failed", "")
		}
	}
	if t.Filings != nil && c.may(ctx, ruleFilings) {
		if n, err := t.Filings.CountRenewable(ctx); err != nil {
			failed("filings", err)
		} else {
			add("todo.filings_expiring", n, "/filings", "")
		}
	}
	return out
}
