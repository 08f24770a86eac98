package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// maxCheckpointCopies bounds how many checkpoint copies a check reads: the latest ones. The newest
// agreeing checkpoint already vouches for every entry before it (each hash covers the previous one);
// older ones only narrow down where a rewrite happened.
const maxCheckpointCopies = 2000

// checkpointActor is who checkpoints are made by (they append no audit entry; see checkpoint.go).
var checkpointActor = tenants.Actor{Name: "system:audit:checkpoint"}

// errNoMasterKey is the cause when the service was built without a master key.
var errNoMasterKey = errors.New("no master key configured")

// Deps are what the audit service needs besides its database: both serve anchoring (checkpoint.go).
type Deps struct {
	// Directory finds the tenant a background checkpoint is made for (its region routes the report to
	// the regulators covering it). directory.Service satisfies it.
	Directory Directory
	// MasterKey returns the platform master key's 32 bytes (ReadMasterKey); the checkpoint key is
	// derived from it on first use. nil: no checkpoints are made, and a chain that has some fails to
	// verify (its anchor can't be checked).
	MasterKey func() ([]byte, error)
}

// Directory looks tenants up by id.
type Directory interface {
	ByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error)
}

// keySource derives the checkpoint key once, on first use (API replicas that never sign or verify a
// checkpoint never read the master key).
type keySource struct {
	load func() ([]byte, error)
	mu   sync.Mutex
	key  *CheckpointKey
}

func (k *keySource) get() (*CheckpointKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != nil {
		return k.key, nil
	}
	if k.load == nil {
		return nil, errNoMasterKey
	}
	raw, err := k.load()
	if err != nil {
		return nil, err
	}
	if k.key, err = NewCheckpointKey(raw); err != nil {
		return nil, err
	}
	return k.key, nil
}

// CheckpointKey returns the platform key that signs checkpoints; its public half is what
// /.well-known/skillcert/audit-keys publishes.
func (s *Service) CheckpointKey() (*CheckpointKey, error) {
	k, err := s.keys.get()
	if err != nil {
		return nil, platform.Wrap(platform.KindUnavailable, "unavailable", "the audit checkpoint key is not available", err)
	}
	return k, nil
}

// Checkpoint signs the current head of the chain of the institution in ctx and reports it (kind
// audit.checkpoint) in the same transaction, so the regulators covering it receive it like any report.
// made is false, with the latest checkpoint, when that head was signed already (or the chain is
// empty). It returns ErrChainRewritten when the chain disagrees with the previous checkpoint.
func (s *Service) Checkpoint(ctx context.Context) (cp Checkpoint, made bool, err error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Checkpoint{}, false, err
	}
	return s.checkpoint(ctx, scope, nil)
}

// errRaced rolls back a checkpoint another checkpointer made first.
var errRaced = errors.New("audit: checkpoint made concurrently")

func (s *Service) checkpoint(ctx context.Context, scope tenants.Scope, due *dueRow) (Checkpoint, bool, error) {
	key, err := s.CheckpointKey()
	if err != nil {
		return Checkpoint{}, false, err
	}
	var out Checkpoint
	made, rewritten := false, false
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if due != nil {
			// First, so that the head read below includes a reporting transaction that held the mark.
			if err := clearDue(ctx, tx, scope.TenantID, due.ReportSeq); err != nil {
				return fmt.Errorf("clearing the checkpoint mark: %w", err)
			}
		}
		head, err := loadHead(ctx, tx, scope.TenantID)
		if tenants.IsNoRows(err) {
			return nil // nothing to anchor yet
		}
		if err != nil {
			return err
		}
		last, err := latestCheckpoint(ctx, tx, scope.TenantID)
		switch {
		case tenants.IsNoRows(err):
		case err != nil:
			return err
		case last.Seq == head.Seq && last.Head == head.Hash:
			out = last.checkpoint()
			return nil
		default:
			// The previous checkpoint must still hold: a chain rewritten behind it is not signed again.
			h, err := entryHash(ctx, tx, scope.TenantID, last.Seq)
			if err != nil && !tenants.IsNoRows(err) {
				return err
			}
			if h != last.Head {
				rewritten = true
				return nil
			}
		}
		cp := Checkpoint{TenantID: scope.TenantID, Seq: head.Seq, Head: head.Hash, SignedAt: time.Now().UTC().Truncate(time.Microsecond)}
		key.sign(&cp)
		id, err := reports.Emit(ctx, tx, reports.AuditCheckpoint, "audit_chain", scope.TenantID.String(), cp)
		if err != nil {
			return err
		}
		ok, err := insertCheckpoint(ctx, tx, &checkpointRow{TenantID: cp.TenantID, Seq: cp.Seq, Head: cp.Head,
			SignedAt: cp.SignedAt, KID: cp.KID, Signature: cp.Signature, ReportID: id})
		if err != nil {
			return fmt.Errorf("recording the checkpoint: %w", err)
		}
		if !ok {
			return errRaced
		}
		out, made = cp, true
		return nil
	})
	switch {
	case errors.Is(err, errRaced):
		return Checkpoint{}, false, nil
	case err != nil:
		return Checkpoint{}, false, fmt.Errorf("audit: checkpoint of %s: %w", scope.TenantID, err)
	case rewritten:
		return Checkpoint{}, false, fmt.Errorf("audit: checkpoint of %s: %w", scope.TenantID, ErrChainRewritten)
	}
	return out, made, nil
}

func (r *checkpointRow) checkpoint() Checkpoint {
	return Checkpoint{TenantID: r.TenantID, Seq: r.Seq, Head: r.Head, SignedAt: r.SignedAt.UTC(), KID: r.KID, Signature: r.Signature}
}

// checkpointTenant checkpoints one tenant from a background run; non-institutions are not
// checkpointed (their mark is only cleared).
func (s *Service) checkpointTenant(ctx context.Context, id uuid.UUID, due *dueRow) (bool, error) {
	if s.deps.Directory == nil {
		return false, errors.New("audit: no tenant directory to checkpoint with")
	}
	t, err := s.deps.Directory.ByID(ctx, id)
	if err != nil {
		return false, fmt.Errorf("audit: checkpoint of %s: %w", id, err)
	}
	scope := tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}
	tctx := tenants.WithActor(tenants.WithScope(ctx, scope), checkpointActor)
	if !t.Kind.IsInstitution() {
		if due == nil {
			return false, nil
		}
		return false, tenants.WithTx(tctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			return clearDue(ctx, tx, id, due.ReportSeq)
		})
	}
	_, made, err := s.checkpoint(tctx, scope, due)
	return made, err
}

// CheckpointReported makes a checkpoint for every tenant that reported since its last one (a trigger
// on report_outbox marks it), so that a signed head follows each report to the regulators within one
// run of TaskCheckpointReported. It returns how many checkpoints it made; a tenant that fails does not
// stop the others.
func (s *Service) CheckpointReported(ctx context.Context) (int, error) {
	var due []dueRow
	err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		due, err = listDue(ctx, tx, 1000)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("audit: finding tenants that reported: %w", err)
	}
	n := 0
	var errs []error
	for i := range due {
		made, err := s.checkpointTenant(ctx, due[i].TenantID, &due[i])
		if err != nil {
			errs = append(errs, err)
		}
		if made {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// CheckpointMoved makes a checkpoint for every institution whose head moved since its last one (the
// hourly run, TaskCheckpointMoved). It returns how many it made.
func (s *Service) CheckpointMoved(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	after := uuid.Nil
	for {
		var ids []uuid.UUID
		err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
			ids, err = listMoved(ctx, tx, after, 500)
			return err
		})
		if err != nil {
			return n, errors.Join(append(errs, fmt.Errorf("audit: finding heads that moved: %w", err))...)
		}
		for _, id := range ids {
			made, err := s.checkpointTenant(ctx, id, nil)
			if err != nil {
				errs = append(errs, err)
			}
			if made {
				n++
			}
		}
		if len(ids) < 500 || ctx.Err() != nil {
			break
		}
		after = ids[len(ids)-1]
	}
	return n, errors.Join(errs...)
}

// evidence reads the tenant's checkpoints from the regulators' report stores and checks each copy
// against the platform key. It must run before the chain is read: a checkpoint made in between would
// name entries the walk has not seen.
func (s *Service) evidence(ctx context.Context, tenantID uuid.UUID) (*Evidence, error) {
	var rows []copyRow
	err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		rows, err = listCheckpointCopies(ctx, tx, tenantID, maxCheckpointCopies)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: reading checkpoints: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	key, err := s.keys.get()
	if err != nil {
		return nil, platform.Wrap(platform.KindUnavailable, "unavailable",
			"the audit chain has checkpoints, but the platform key to check them is not available", err)
	}
	copies := make([]checkpointCopy, 0, len(rows))
	for _, r := range rows {
		c := checkpointCopy{source: "regulator:" + r.Slug, reportID: r.ID}
		switch err := json.Unmarshal(r.Payload, &c.cp); {
		case err != nil:
			c.problem = "the payload is not a checkpoint"
		case c.cp.KID != key.KID():
			continue // another key's (from before a master key change): not evidence either way
		case c.cp.TenantID != tenantID:
			c.problem = "it names another tenant"
		case c.cp.Verify(key.Public()) != nil:
			c.problem = "bad signature"
		}
		copies = append(copies, c)
	}
	return newEvidence(copies), nil
}

// VerifyTenant checks one tenant's chain against itself and its checkpoints, reading as the system
// (the command line's `skillcert audit verify`).
func (s *Service) VerifyTenant(ctx context.Context, tenantID uuid.UUID) (VerifyResult, error) {
	ev, err := s.evidence(ctx, tenantID)
	if err != nil {
		return VerifyResult{}, err
	}
	var res VerifyResult
	err = tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		res, err = VerifyChain(ctx, tx, tenantID, ev)
		return err
	})
	return res, err
}
