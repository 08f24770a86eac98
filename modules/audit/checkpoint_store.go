package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// checkpointRow is the tenant's own record of the checkpoints made of its chain. It is not evidence
// (it is the tenant's data, as rewritable as the chain): it tells the checkpointer what it signed last.
type checkpointRow struct {
	bun.BaseModel `bun:"table:audit_checkpoints"`

	TenantID  uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	Seq       int64     `bun:"seq,pk"`
	Head      string    `bun:"head"`
	SignedAt  time.Time `bun:"signed_at"`
	KID       string    `bun:"kid"`
	Signature string    `bun:"signature"`
	ReportID  uuid.UUID `bun:"report_id,type:uuid"`
}

// dueRow marks a tenant that reported since its last checkpoint. A trigger on report_outbox writes it
// (migration 20261124000100_audit_anchoring): report_seq is the outbox seq of the latest report.
type dueRow struct {
	bun.BaseModel `bun:"table:audit_checkpoint_due"`

	TenantID  uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ReportSeq int64     `bun:"report_seq"`
}

// copyRow is a checkpoint as a regulator's report store holds it (table oversight_reports, written by
// modules/oversight; TestReportStoreSchema pins the columns read here).
type copyRow struct {
	RegulatorID uuid.UUID       `bun:"tenant_id,type:uuid"`
	ID          uuid.UUID       `bun:"id,type:uuid"`
	Payload     json.RawMessage `bun:"payload"`
	Slug        string          `bun:"slug"`
}

func latestCheckpoint(ctx context.Context, db bun.IDB, tenantID uuid.UUID) (checkpointRow, error) {
	var r checkpointRow
	err := db.NewSelect().Model(&r).Where("tenant_id = ?", tenantID).OrderExpr("seq DESC").Limit(1).Scan(ctx)
	return r, err
}

// insertCheckpoint records a checkpoint; false when one of that seq exists (another checkpointer was first).
func insertCheckpoint(ctx context.Context, db bun.IDB, r *checkpointRow) (bool, error) {
	res, err := db.NewInsert().Model(r).On("CONFLICT (tenant_id, seq) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func entryHash(ctx context.Context, db bun.IDB, tenantID uuid.UUID, seq int64) (string, error) {
	var hash string
	err := db.NewSelect().Model((*entryRow)(nil)).Column("hash").Where("tenant_id = ?", tenantID).
		Where("seq = ?", seq).Scan(ctx, &hash)
	return hash, err
}

func listDue(ctx context.Context, db bun.IDB, limit int) ([]dueRow, error) {
	var rows []dueRow
	err := db.NewSelect().Model(&rows).OrderExpr("tenant_id").Limit(int64(limit)).Scan(ctx)
	return rows, err
}

// clearDue removes the mark unless a report arrived after it was read (the trigger then changed
// report_seq). It waits for a reporting transaction holding the mark to finish, so a head read after
// it includes that transaction's entries.
func clearDue(ctx context.Context, db bun.IDB, tenantID uuid.UUID, reportSeq int64) error {
	_, err := db.NewDelete().Model((*dueRow)(nil)).Where("tenant_id = ?", tenantID).Where("report_seq = ?", reportSeq).Exec(ctx)
	return err
}

// listMoved returns institutions after afterID whose head has no checkpoint yet.
func listMoved(ctx context.Context, db bun.IDB, afterID uuid.UUID, limit int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := db.NewSelect().TableExpr("audit_heads AS h").Column("h.tenant_id").
		Join("JOIN tenants AS t ON t.id = h.tenant_id").
		Where("t.kind IN (?)", bun.In([]tenants.Kind{tenants.KindEnterprise, tenants.KindSocialOrg, tenants.KindSchool})).
		Where("h.tenant_id > ?", afterID).
		Where("NOT EXISTS (SELECT 1 FROM audit_checkpoints AS c WHERE c.tenant_id = h.tenant_id AND c.seq = h.seq)").
		OrderExpr("h.tenant_id").Limit(int64(limit)).Scan(ctx, &ids)
	return ids, err
}

// listCheckpointCopies reads the latest copies of the tenant's checkpoints from every regulator's
// report store, newest first (a system read: the copies are the regulators' rows).
func listCheckpointCopies(ctx context.Context, db bun.IDB, tenantID uuid.UUID, limit int) ([]copyRow, error) {
	var rows []copyRow
	err := db.NewSelect().TableExpr("oversight_reports AS r").ColumnExpr("r.tenant_id, r.id, r.payload, t.slug").
		Join("JOIN tenants AS t ON t.id = r.tenant_id").
		Where("r.institution_id = ?", tenantID).Where("r.kind = ?", string(reports.AuditCheckpoint)).
		OrderExpr("r.reported_at DESC, r.id, t.slug").Limit(int64(limit)).Scan(ctx, &rows)
	return rows, err
}
