package tenants

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
)

// AppRole is the PostgreSQL role tenant work runs as: not the owner, no BYPASSRLS, so every
// row-level-security policy applies — also when the configured URL is a superuser's.
const AppRole = "skillcert_app"

// ErrNoScope is returned when a tenant transaction is asked for without a tenant in the context:
// a programming error, never a client's.
var ErrNoScope = platform.E(platform.KindInternal, "no_tenant_scope", "no tenant in context")

type txKey struct{}

// WithTx runs fn in a transaction scoped to the tenant in ctx: in PostgreSQL it switches to the
// application role and sets app.tenant_id for the transaction only (set_config(…, true)), so a pooled
// connection reused later carries nothing over. An outer transaction in ctx is reused (fn joins it).
// fn's ctx carries the transaction, so nested calls of WithTx join it too.
func WithTx(ctx context.Context, db *bun.DB, fn func(ctx context.Context, tx bun.Tx) error) error {
	s, ok := FromContext(ctx)
	if !ok {
		return ErrNoScope
	}
	if tx, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return fn(ctx, tx)
	}
	platform.NoteWrite(ctx) // the request's later lag-tolerant reads go to the primary (platform.Reads)
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := setScope(ctx, tx, s.TenantID.String(), ""); err != nil {
			return err
		}
		return fn(context.WithValue(ctx, txKey{}, tx), tx)
	})
}

// ReadTx is WithTx in a READ ONLY transaction, for reads that must never write.
func ReadTx(ctx context.Context, db *bun.DB, fn func(ctx context.Context, tx bun.Tx) error) error {
	s, ok := FromContext(ctx)
	if !ok {
		return ErrNoScope
	}
	if tx, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return fn(ctx, tx)
	}
	return db.RunInTx(ctx, &sql.TxOptions{ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		if err := setScope(ctx, tx, s.TenantID.String(), ""); err != nil {
			return err
		}
		return fn(context.WithValue(ctx, txKey{}, tx), tx)
	})
}

// OversightTx runs fn for a regulator in a READ ONLY transaction whose row-level-security context
// allows its own tenant and exactly the institutions listed (those in its jurisdiction). Tables opt in
// to oversight reads in their migration; users, sessions and keys never do.
func OversightTx(ctx context.Context, db *bun.DB, institutions []uuid.UUID, fn func(ctx context.Context, tx bun.Tx) error) error {
	s, ok := FromContext(ctx)
	if !ok {
		return ErrNoScope
	}
	if s.Kind != KindRegulator {
		return platform.Forbidden("oversight is for regulators")
	}
	ids := make([]string, len(institutions))
	for i, id := range institutions {
		ids[i] = id.String()
	}
	return db.RunInTx(ctx, &sql.TxOptions{ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		if err := setScope(ctx, tx, s.TenantID.String(), "{"+strings.Join(ids, ",")+"}"); err != nil {
			return err
		}
		return fn(context.WithValue(ctx, txKey{}, tx), tx)
	})
}

// SystemReadTx runs fn in a READ ONLY transaction that may read every tenant's rows: for the few
// lookups that precede knowing a tenant (the public certificate lookup by number, loading role
// assignments into the authorizer, schedulers finding due work). It can never write a tenant's row:
// the system policy is FOR SELECT only and the transaction is read-only.
func SystemReadTx(ctx context.Context, db *bun.DB, fn func(ctx context.Context, tx bun.Tx) error) error {
	return db.RunInTx(ctx, &sql.TxOptions{ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		if platform.IsPostgres(tx) {
			if _, err := tx.ExecContext(ctx,
				"SELECT set_config('role', ?, true), set_config('app.system', 'read', true)", AppRole); err != nil {
				return err
			}
		}
		return fn(ctx, tx)
	})
}

// As runs fn inside the current transaction tx acting for another tenant, then switches back.
// Only the platform's tenant administration uses it (creating a tenant and its first admin in one
// transaction); it is explicit so that a review finds every place that crosses tenants.
func As(ctx context.Context, tx bun.Tx, s Scope, fn func(ctx context.Context) error) error {
	prev, _ := FromContext(ctx)
	if err := setScope(ctx, tx, s.TenantID.String(), ""); err != nil {
		return err
	}
	err := fn(WithScope(context.WithValue(ctx, txKey{}, tx), s))
	if prev.TenantID != uuid.Nil {
		if rerr := setScope(ctx, tx, prev.TenantID.String(), ""); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// WithConnTx is WithTx on a dedicated connection that fn also receives, for work that needs the
// transaction's own session at the driver level (pgx COPY: database/sql offers no way from a *sql.Tx
// to its connection). The scope is set exactly as WithTx sets it.
func WithConnTx(ctx context.Context, db *bun.DB, fn func(ctx context.Context, conn bun.Conn, tx bun.Tx) error) error {
	s, ok := FromContext(ctx)
	if !ok {
		return ErrNoScope
	}
	platform.NoteWrite(ctx)
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := setScope(ctx, tx, s.TenantID.String(), ""); err != nil {
			return err
		}
		return fn(context.WithValue(ctx, txKey{}, tx), conn, tx)
	})
}

// ScopeStatement is the statement that scopes a PostgreSQL transaction to a tenant, with pgx-style
// parameters ($1 the application role, $2 the tenant id), for code that talks to pgx directly (a
// pipelined batch runs as one implicit transaction, so the local settings end with it).
const ScopeStatement = "SELECT set_config('role', $1, true), set_config('app.tenant_id', $2, true), set_config('app.oversight_tenants', '', true)"

// TxFrom returns the transaction a WithTx in ctx opened, if any.
func TxFrom(ctx context.Context) (bun.Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(bun.Tx)
	return tx, ok
}

func setScope(ctx context.Context, tx bun.Tx, tenantID, oversight string) error {
	if !platform.IsPostgres(tx) {
		return nil // SQLite (dev mode) has no RLS; stores' explicit tenant WHERE clauses still apply.
	}
	_, err := tx.ExecContext(ctx,
		"SELECT set_config('role', ?, true), set_config('app.tenant_id', ?, true), set_config('app.oversight_tenants', ?, true)",
		AppRole, tenantID, oversight)
	return err
}

// IsNoRows reports whether err says a query found nothing.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
