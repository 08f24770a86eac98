package batches

import (
	"context"
	"database/sql"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Every exam is supervised (逢考必督): each internal quality supervisor (内部质量督导员) assigned to a
// batch keeps a record of its exam — whether they were present on site, what they found, and a
// sign-off that closes the record. The batch's people and the supervisors read the records; only the
// supervisor writes their own.

// SupervisionRecord is one supervisor's record of a batch's exam.
type SupervisionRecord struct {
	BatchID      uuid.UUID
	SupervisorID uuid.UUID
	Present      bool
	Findings     string
	SignedOffAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// SignedOff reports whether the record is signed off (and so closed).
func (r SupervisionRecord) SignedOff() bool { return r.SignedOffAt != nil }

// SupervisedBatch is a batch the acting user supervises, with their record of it (zero until written).
type SupervisedBatch struct {
	Batch  Batch
	Record SupervisionRecord
}

// SupervisionInput is a supervisor's record as they write it; SignOff closes it.
type SupervisionInput struct {
	Present  bool
	Findings string
	SignOff  bool
}

// MaxFindings bounds a record's findings, in characters.
const MaxFindings = 4000

// Errors of supervision records.
var (
	ErrNotSupervisor = platform.E(platform.KindForbidden, "not_assigned",
		"only a supervisor assigned to this batch keeps its supervision record")
	ErrSignedOff    = platform.Conflict("signed_off", "the supervision record is signed off and can no longer change")
	ErrExamNotBegun = platform.Unprocessable("exam_not_started", "the record is signed off once the exam has begun")
)

// Validate checks the input (field errors).
func (in SupervisionInput) Validate() error {
	var v platform.Validation
	v.Check(utf8.RuneCountInString(in.Findings) <= MaxFindings, "findings", "too_long", "findings are at most 4000 characters")
	v.Check(!in.SignOff || in.Present, "present", "required", "a supervisor signs off only an exam they were present at")
	return v.Err()
}

type supervisionRow struct {
	bun.BaseModel `bun:"table:batch_supervision_records"`

	TenantID     uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	BatchID      uuid.UUID  `bun:"batch_id,pk,type:uuid"`
	SupervisorID uuid.UUID  `bun:"supervisor_id,pk,type:uuid"`
	Present      bool       `bun:"present"`
	Findings     string     `bun:"findings"`
	SignedOffAt  *time.Time `bun:"signed_off_at"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
}

func (r *supervisionRow) record() SupervisionRecord {
	return SupervisionRecord{BatchID: r.BatchID, SupervisorID: r.SupervisorID, Present: r.Present, Findings: r.Findings,
		SignedOffAt: utcPtr(r.SignedOffAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// supervisorAssigned reports whether userID supervises batchID.
func supervisorAssigned(ctx context.Context, db bun.IDB, tenantID, batchID, userID uuid.UUID) (bool, error) {
	return db.NewSelect().Model((*supervisorRow)(nil)).
		Where("tenant_id = ? AND batch_id = ? AND user_id = ?", tenantID, batchID, userID).Exists(ctx)
}

// supervisorOnly reports whether the acting user reads as a supervisor only (no admin or staff role):
// such a reader sees the records of the batches they supervise only.
func supervisorOnly(ctx context.Context) (uuid.UUID, bool) {
	a := tenants.ActorFrom(ctx)
	return a.UserID, a.HasRole("supervisor") && !a.HasRole("admin") && !a.HasRole("staff")
}

// MySupervision lists the batches the acting user is assigned to supervise (any status but
// cancelled), soonest exam first, each with their record.
func (s *Service) MySupervision(ctx context.Context) ([]SupervisedBatch, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return nil, err
	}
	user := tenants.ActorFrom(ctx).UserID
	var out []SupervisedBatch
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var ids []uuid.UUID
		if err := tx.NewSelect().Model((*supervisorRow)(nil)).Column("batch_id").
			Where("tenant_id = ? AND user_id = ?", sc.TenantID, user).Scan(ctx, &ids); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		bs, err := batchesByID(ctx, tx, sc.TenantID, ids)
		if err != nil {
			return err
		}
		var rows []supervisionRow
		if err := tx.NewSelect().Model(&rows).Where("tenant_id = ? AND supervisor_id = ?", sc.TenantID, user).Scan(ctx); err != nil {
			return err
		}
		recs := map[uuid.UUID]SupervisionRecord{}
		for i := range rows {
			recs[rows[i].BatchID] = rows[i].record()
		}
		for _, b := range bs {
			if b.Status == StatusCancelled {
				continue
			}
			r, ok := recs[b.ID]
			if !ok {
				r = SupervisionRecord{BatchID: b.ID, SupervisorID: user}
			}
			out = append(out, SupervisedBatch{Batch: b, Record: r})
		}
		return nil
	})
	return out, err
}

// Supervision returns a batch with its supervision records, one per assigned supervisor (a record
// not yet written is zero but for its ids), in the order the supervisors were assigned. A
// supervisor-only reader not assigned to the batch gets 404.
func (s *Service) Supervision(ctx context.Context, batchID uuid.UUID) (Batch, []SupervisionRecord, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Batch{}, nil, err
	}
	var b Batch
	var out []SupervisionRecord
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if user, only := supervisorOnly(ctx); only {
			ok, err := supervisorAssigned(ctx, tx, sc.TenantID, batchID, user)
			if err != nil {
				return err
			}
			if !ok {
				return ErrBatchNotFound
			}
		}
		if b, err = getBatch(ctx, tx, sc.TenantID, batchID, false); err != nil {
			return err
		}
		var sups []supervisorRow
		if err := tx.NewSelect().Model(&sups).Where("tenant_id = ? AND batch_id = ?", sc.TenantID, batchID).
			OrderExpr("assigned_at, user_id").Scan(ctx); err != nil {
			return err
		}
		var rows []supervisionRow
		if err := tx.NewSelect().Model(&rows).Where("tenant_id = ? AND batch_id = ?", sc.TenantID, batchID).
			OrderExpr("supervisor_id").Scan(ctx); err != nil {
			return err
		}
		recs := map[uuid.UUID]SupervisionRecord{}
		for i := range rows {
			recs[rows[i].SupervisorID] = rows[i].record()
		}
		assigned := map[uuid.UUID]bool{}
		for _, sp := range sups {
			assigned[sp.UserID] = true
			r, ok := recs[sp.UserID]
			if !ok {
				r = SupervisionRecord{BatchID: batchID, SupervisorID: sp.UserID}
			}
			out = append(out, r)
		}
		for i := range rows {
			if !assigned[rows[i].SupervisorID] {
				out = append(out, rows[i].record()) // a supervisor since unassigned keeps their record
			}
		}
		return nil
	})
	return b, out, err
}

// SaveSupervision writes the acting supervisor's record of a batch: present and findings, and with
// SignOff the sign-off that closes it (only once the exam has begun, and only when present). A user not
// assigned to supervise the batch gets 403 not_assigned; a signed-off record 409 signed_off; a
// cancelled batch 409 invalid_state. Every write is audited with the record before and after.
func (s *Service) SaveSupervision(ctx context.Context, batchID uuid.UUID, in SupervisionInput) (SupervisionRecord, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return SupervisionRecord{}, err
	}
	user := tenants.ActorFrom(ctx).UserID
	var out SupervisionRecord
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, false)
		if err != nil {
			return err
		}
		ok, err := supervisorAssigned(ctx, tx, sc.TenantID, batchID, user)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotSupervisor
		}
		if b.Status == StatusCancelled || b.Status == StatusDraft {
			return invalidState(b.Status, "keep a supervision record")
		}
		if err := in.Validate(); err != nil {
			return err
		}
		now := s.now()
		row := supervisionRow{}
		err = lockRow(tx, tx.NewSelect().Model(&row).
			Where("tenant_id = ? AND batch_id = ? AND supervisor_id = ?", sc.TenantID, batchID, user), true).Scan(ctx)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var before any
		if exists {
			if row.SignedOffAt != nil {
				return ErrSignedOff
			}
			before = row.record()
		} else {
			row = supervisionRow{TenantID: sc.TenantID, BatchID: batchID, SupervisorID: user, CreatedAt: now}
		}
		if in.SignOff && now.Before(b.ExamStart) {
			return ErrExamNotBegun
		}
		row.Present, row.Findings, row.UpdatedAt = in.Present, in.Findings, now
		if in.SignOff {
			row.SignedOffAt = &now
		}
		if exists {
			_, err = tx.NewUpdate().Model(&row).WherePK().Exec(ctx)
		} else {
			_, err = tx.NewInsert().Model(&row).Exec(ctx)
		}
		if err != nil {
			return err
		}
		out = row.record()
		action := "batch.supervision"
		if in.SignOff {
			action = "batch.supervision_sign_off"
		}
		return audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "batch", TargetID: batchID.String(),
			Before: before, After: out})
	})
	return out, err
}
