package console

import (
	"context"

	"github.com/skillcert/skillcert/modules/batches"
)

// scoringTodos are the evaluator's and the supervisor's to-dos on the 工作台: the batches with
// candidates left to score, and the supervision records to write and sign off once the exam has begun.
func (c *Console) scoringTodos(ctx context.Context) []todo {
	var out []todo
	if c.d.Scoring != nil && c.d.Authorizer.Can(ctx, batches.PermScoreWrite) {
		bs, err := c.d.Scoring.MyEvaluations(ctx)
		if err != nil {
			c.d.Log.WarnContext(ctx, "console: counting to-dos failed", "todo", "scoring", "err", err)
		}
		for _, b := range bs {
			if b.Unscored > 0 {
				out = append(out, todo{Key: "todo.scoring_mine", Count: b.Unscored, Path: "/scoring/" + b.Batch.ID.String(), Batch: b.Batch.Title})
			}
		}
	}
	if c.d.ExamSupervision != nil && c.d.Authorizer.Can(ctx, batches.PermSupervisionWrite) {
		bs, err := c.d.ExamSupervision.MySupervision(ctx)
		if err != nil {
			c.d.Log.WarnContext(ctx, "console: counting to-dos failed", "todo", "supervision", "err", err)
		}
		now := c.d.Now()
		for _, b := range bs {
			st := b.Batch.Status
			if b.Record.SignedOff() || st == batches.StatusDraft || st == batches.StatusOpen || now.Before(b.Batch.ExamStart) {
				continue
			}
			out = append(out, todo{Key: "todo.supervision_sign", Count: 1, Path: "/supervision/" + b.Batch.ID.String(), Batch: b.Batch.Title})
		}
	}
	return out
}
