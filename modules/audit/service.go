package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Record appends ev to the chain of the tenant in ctx, inside tx — the transaction of the change it
// records, so the change and its trace commit or vanish together.
func Record(ctx context.Context, tx bun.IDB, ev Event) error {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return tenants.ErrNoScope
	}
	actor := tenants.ActorFrom(ctx)
	before, err := toJSON(ev.Before)
	if err != nil {
		return fmt.Errorf("audit: encoding before: %w", err)
	}
	after, err := toJSON(ev.After)
	if err != nil {
		return fmt.Errorf("audit: encoding after: %w", err)
	}
	outcome := ev.Outcome
	if outcome == "" {
		outcome = OutcomeOK
	}
	seq, prev, err := advanceHead(ctx, tx, scope.TenantID)
	if err != nil {
		return err
	}
	e := &Entry{
		TenantID: scope.TenantID, Seq: seq, ID: uuid.New(), At: time.Now().UTC().Truncate(time.Microsecond),
		ActorName: actor.Name, Action: ev.Action, Outcome: outcome, TargetType: ev.TargetType, TargetID: ev.TargetID,
		Before: before, After: after, RequestID: platform.RequestID(ctx), PrevHash: prev,
	}
	if actor.UserID != uuid.Nil {
		id := actor.UserID
		e.ActorID = &id
	}
	e.Hash = computeHash(e)
	if err := insertEntry(ctx, tx, e); err != nil {
		return fmt.Errorf("audit: appending: %w", err)
	}
	return setHead(ctx, tx, scope.TenantID, e.Hash)
}

// Service reads and checks audit chains, and anchors them with signed checkpoints (checkpoints.go).
type Service struct {
	db   *bun.DB
	deps Deps
	keys *keySource
}

// NewService returns the audit service on db.
func NewService(db *bun.DB, deps Deps) *Service {
	return &Service{db: db, deps: deps, keys: &keySource{load: deps.MasterKey}}
}

// RecordAlone appends ev in a transaction of its own: for events with no change to join, such as a
// denied attempt or a failed login.
func (s *Service) RecordAlone(ctx context.Context, ev Event) error {
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		return Record(ctx, tx, ev)
	})
}

// List pages the entries of the tenant in ctx, oldest first (Entries).
func (s *Service) List(ctx context.Context, req platform.PageRequest, f Filter) (platform.Page[Entry], error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return platform.Page[Entry]{}, tenants.ErrNoScope
	}
	var page platform.Page[Entry]
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		page, err = Entries(ctx, tx, scope.TenantID, req, f)
		return err
	})
	return page, err
}

// Entries pages one tenant's chain through db (a tenant or system read transaction) in the order it
// was written: what List shows a tenant of itself, and what a regulator's oversight reads of an
// institution. Asking newest first is ErrNewestFirst; a cursor not made for it, platform.ErrBadCursor.
func Entries(ctx context.Context, db bun.IDB, tenantID uuid.UUID, req platform.PageRequest, f Filter) (platform.Page[Entry], error) {
	if req.Desc {
		return platform.Page[Entry]{}, ErrNewestFirst
	}
	var after int64
	if _, err := platform.DecodeCursor(req.Cursor, &after); err != nil {
		return platform.Page[Entry]{}, err
	}
	rows, err := listEntries(ctx, db, tenantID, after, f.Since, req.Fetch())
	if err != nil {
		return platform.Page[Entry]{}, err
	}
	return platform.CutPage(rows, req, func(e Entry) string { return platform.EncodeCursor(e.Seq) }), nil
}

// Verify walks the chain of the tenant in ctx, checks it against the tenant's checkpoints held by
// its regulators, and names the first entry that does not fit.
func (s *Service) Verify(ctx context.Context) (VerifyResult, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return VerifyResult{}, tenants.ErrNoScope
	}
	ev, err := s.evidence(ctx, scope.TenantID)
	if err != nil {
		return VerifyResult{}, err
	}
	var res VerifyResult
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		res, err = VerifyChain(ctx, tx, scope.TenantID, ev)
		return err
	})
	return res, err
}

// VerifyChain checks one tenant's chain through db (a tenant or system read transaction): each entry's
// hash, its link to the previous one, gap-free sequence numbers, and that the head matches the last
// entry (so a removed tail is caught too); then, with ev (nil: none), that each checkpoint's entry has
// the checkpoint's head (so a chain rewritten and recomputed is caught), reporting the latest agreeing
// checkpoint as res.Anchor.
func VerifyChain(ctx context.Context, db bun.IDB, tenantID uuid.UUID, ev *Evidence) (VerifyResult, error) {
	res := VerifyResult{OK: true, Head: GenesisHash}
	prev, last := GenesisHash, int64(0)
	fail := func(e *Entry, seq int64, reason string) {
		res.OK, res.Reason = false, reason
		res.FirstBadSeq = &seq
		if e != nil {
			id := e.ID
			res.FirstBadID = &id
		}
	}
	for {
		batch, err := listEntries(ctx, db, tenantID, last, time.Time{}, 1000)
		if err != nil {
			return res, err
		}
		for i := range batch {
			e := &batch[i]
			res.Entries++
			switch {
			case e.Seq != last+1:
				fail(e, last+1, fmt.Sprintf("entry %d is missing", last+1))
			case e.PrevHash != prev:
				fail(e, e.Seq, "entry does not link to the previous entry")
			case computeHash(e) != e.Hash:
				fail(e, e.Seq, "entry content does not match its hash (altered)")
			default:
				if reason := ev.check(e); reason != "" {
					fail(e, e.Seq, reason)
				}
			}
			if !res.OK {
				res.Anchor = ev.anchor()
				return res, nil
			}
			prev, last = e.Hash, e.Seq
		}
		if len(batch) < 1000 {
			break
		}
	}
	res.Head = prev
	head, err := loadHead(ctx, db, tenantID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if last != 0 {
			fail(nil, last, "chain head is missing")
		}
	case err != nil:
		return res, err
	case head.Seq != last || head.Hash != prev:
		fail(nil, last+1, fmt.Sprintf("chain head says %d entries, found %d (entries removed from the end)", head.Seq, last))
	}
	if seq, reason := ev.finish(last); res.OK && reason != "" {
		fail(nil, seq, reason)
	}
	res.Anchor = ev.anchor()
	return res, nil
}
