package batches

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// Todos is what awaits the institution's people in its batches: the counts of the console's 工作台.
type Todos struct {
	// AwaitingReview are the batches with applications pending review (资格审核), most first, at
	// most TodoBatches of them; ReviewTotal counts the applications of every batch.
	AwaitingReview []BatchCount
	ReviewTotal    int
	// Scoring counts closed batches: the exam and its scores come next.
	Scoring int
	// InPublicity counts batches whose publicity period runs; PublicityOver those whose period is
	// over, ready to finalize.
	InPublicity   int
	PublicityOver int
	// OpenObjections are the batches with open objections, most first, at most TodoBatches of them;
	// ObjectionTotal counts the objections of every batch.
	OpenObjections []BatchCount
	ObjectionTotal int
}

// BatchCount is a number of things waiting in one batch.
type BatchCount struct {
	BatchID uuid.UUID `bun:"batch_id,type:uuid"`
	Title   string    `bun:"title"`
	Count   int       `bun:"n"`
}

// TodoBatches bounds the batches Todos names one by one.
const TodoBatches = 5

// Todos counts what awaits the institution in ctx in its batches, in one read transaction of a few
// aggregate queries (each served by an index on tenant and status). An evaluator-only reader counts
// only the batches they are assigned to evaluate, as List shows them.
func (s *Service) Todos(ctx context.Context) (Todos, error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return Todos{}, err
	}
	var out Todos
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		only := func(q *bun.SelectQuery, col string) *bun.SelectQuery {
			if user, ok := evaluatorOnly(ctx); ok {
				q = q.Where(col+" IN (?)", evaluatorBatches(tx, sc.TenantID, user))
			}
			return q
		}
		count := func(dst *int, status Status, where string, args ...any) error {
			q := tx.NewSelect().TableExpr("batches").Where("tenant_id = ? AND status = ?", sc.TenantID, string(status))
			if where != "" {
				q = q.Where(where, args...)
			}
			n, err := only(q, "id").Count(ctx)
			*dst = int(n)
			return err
		}
		if err := count(&out.Scoring, StatusClosed, ""); err != nil {
			return err
		}
		if err := count(&out.InPublicity, StatusPublicity, ""); err != nil {
			return err
		}
		if err := count(&out.PublicityOver, StatusPublicity, "publicity_ends_at <= ?", s.now()); err != nil {
			return err
		}
		var err error
		out.InPublicity -= out.PublicityOver
		// Applications pending review in batches that can still review them (open or closed).
		if out.AwaitingReview, out.ReviewTotal, err = countsByBatch(ctx, only(tx.NewSelect().TableExpr("applications AS x").
			Join("JOIN batches AS b ON b.tenant_id = x.tenant_id AND b.id = x.batch_id").
			Where("x.tenant_id = ? AND x.status = ?", sc.TenantID, string(AppPendingReview)).
			Where("b.status IN (?)", bun.In([]string{string(StatusOpen), string(StatusClosed)})), "x.batch_id")); err != nil {
			return err
		}
		out.OpenObjections, out.ObjectionTotal, err = countsByBatch(ctx, only(tx.NewSelect().TableExpr("objections AS x").
			Join("JOIN batches AS b ON b.tenant_id = x.tenant_id AND b.id = x.batch_id").
			Where("x.tenant_id = ? AND x.status = ?", sc.TenantID, string(ObjectionOpen)), "x.batch_id"))
		return err
	})
	return out, err
}

// countsByBatch groups the rows of q (aliased x, joined with its batch as b) by batch: the
// TodoBatches with most, and the total.
func countsByBatch(ctx context.Context, q *bun.SelectQuery) ([]BatchCount, int, error) {
	var rows []BatchCount
	if err := q.ColumnExpr("x.batch_id, b.title, count(*) AS n").GroupExpr("x.batch_id, b.title").
		OrderExpr("n DESC, b.title, x.batch_id").Scan(ctx, &rows); err != nil {
		return nil, 0, err
	}
	total := 0
	for _, r := range rows {
		total += r.Count
	}
	if len(rows) > TodoBatches {
		rows = rows[:TodoBatches]
	}
	return rows, total, nil
}
