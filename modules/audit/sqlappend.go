package audit

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// AppendFunc is the PostgreSQL function that appends an entry to the tenant's chain in SQL, the way
// Record does in Go (migration 20261202001002_audit_append_sql): it takes the next sequence number under
// the head's row lock, hashes the entry with computeHash's encoding (server-side sha256, the before/after
// JSON canonicalised as canonical does), inserts it and moves the head. VerifyChain checks its entries
// like Record's. It is for a writer that sends its whole change as one pipelined statement
// (tenants.WritePG) and would otherwise pay three more round trips for Record: that statement calls
//
//	skillcert_audit_append(tenant, id, at, actor_id, actor_name, action, outcome, target_type, target_id,
//	                       before jsonb, after jsonb, request_id)
//
// where the caller's own columns may supply the target id and the before/after objects (built with
// jsonb_build_object), and SQLEntry supplies the rest from the context. It returns the entry's sequence
// number. Only PostgreSQL has it; on SQLite (dev mode) writers use Record.
const AppendFunc = "skillcert_audit_append"

// SQLEntry is what AppendFunc takes from the context of the change, as Record takes it: the tenant, a
// new entry id, the time, the actor and the request id.
type SQLEntry struct {
	TenantID  uuid.UUID
	ID        uuid.UUID
	At        time.Time // UTC, microseconds
	ActorID   *uuid.UUID
	ActorName string
	RequestID string
}

// NewSQLEntry fills an SQLEntry from ctx (tenant scope, actor, request id) for an entry at at
// (the zero time: now).
func NewSQLEntry(ctx context.Context, at time.Time) (SQLEntry, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return SQLEntry{}, tenants.ErrNoScope
	}
	if at.IsZero() {
		at = time.Now()
	}
	actor := tenants.ActorFrom(ctx)
	e := SQLEntry{TenantID: scope.TenantID, ID: uuid.New(), At: at.UTC().Truncate(time.Microsecond),
		ActorName: actor.Name, RequestID: platform.RequestID(ctx)}
	if actor.UserID != uuid.Nil {
		id := actor.UserID
		e.ActorID = &id
	}
	return e, nil
}
