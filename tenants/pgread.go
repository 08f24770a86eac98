package tenants

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
)

// QueryPG runs one read-only SELECT in the tenant scope of ctx, on PostgreSQL, in a single round trip,
// and calls scan for each row. It is ReadTx for the hottest reads (a page of a list): ReadTx costs four
// round trips (BEGIN, scope, query, COMMIT) plus bun's reflective scan; QueryPG pipelines the scope
// statement and the query behind one Sync, so PostgreSQL runs them as one implicit transaction and the
// local settings (role, app.tenant_id) end with it, exactly as in ReadTx — row-level security applies the
// same way. The query is prepared once per pooled connection (pgx keeps it by its text), so it is planned
// once, its arguments go out and its rows come back in binary form.
//
// sql uses $n parameters and must be a single SELECT: a write would not be refused (the implicit
// transaction is not READ ONLY), so callers pass only constant query texts of their own. It cannot join
// an open transaction; callers check CanQueryPG and use ReadTx otherwise.
func QueryPG(ctx context.Context, db *bun.DB, sql string, args []any, scan func(pgx.Rows) error) error {
	return QueryPGMany(ctx, db, PGQuery{SQL: sql, Args: args, Scan: scan})
}

// PGQuery is one SELECT of QueryPGMany: its text ($n parameters), arguments and row callback.
type PGQuery struct {
	SQL  string
	Args []any
	Scan func(pgx.Rows) error
}

// QueryPGMany is QueryPG for several SELECTs pipelined behind the one scope statement and Sync: one
// round trip for a page that needs two reads (a batch and a page of its applications). The queries
// run in order in one implicit transaction, so they see the same snapshot.
func QueryPGMany(ctx context.Context, db *bun.DB, queries ...PGQuery) error {
	return pipelinePG(ctx, db, queries)
}

// WritePG is QueryPGMany for a change: statements that write (INSERT … RETURNING, a CTE that inserts
// and calls skillcert_audit_append, set_config of a transaction setting), pipelined behind the scope
// statement and one Sync, so the whole change is one round trip. PostgreSQL runs them as one implicit
// transaction under the tenant's row-level security, exactly as WithTx would: it commits at the Sync when
// every statement succeeded, and an error in any of them rolls all of them back (the ones after it are
// not run). A statement's Scan sees its RETURNING rows (Scan may be nil for a statement with no rows).
// Like QueryPG it cannot join an open transaction: callers check CanQueryPG and use WithTx otherwise.
func WritePG(ctx context.Context, db *bun.DB, statements ...PGQuery) error {
	return pipelinePG(ctx, db, statements)
}

func pipelinePG(ctx context.Context, db *bun.DB, queries []PGQuery) error {
	s, ok := FromContext(ctx)
	if !ok {
		return ErrNoScope
	}
	if !CanQueryPG(ctx, db) {
		return fmt.Errorf("tenants: QueryPG needs PostgreSQL and no open transaction")
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("tenants: unexpected driver connection %T", dc)
		}
		pc := sc.Conn()
		m := pc.TypeMap()
		b := &pgconn.Batch{}
		if err := queueScope(ctx, pc, b, s.TenantID); err != nil {
			return err
		}
		for _, q := range queries {
			sd, err := pc.Prepare(ctx, q.SQL, q.SQL)
			if err != nil {
				return err
			}
			if len(sd.ParamOIDs) != len(q.Args) {
				return fmt.Errorf("tenants: query takes %d arguments, got %d", len(sd.ParamOIDs), len(q.Args))
			}
			params := make([][]byte, len(q.Args))
			formats := make([]int16, len(q.Args))
			for i, a := range q.Args {
				oid := sd.ParamOIDs[i]
				formats[i] = m.FormatCodeForOID(oid)
				if params[i], err = m.Encode(oid, formats[i], a, nil); err != nil {
					return fmt.Errorf("tenants: argument %d: %w", i+1, err)
				}
			}
			b.ExecStatement(sd, params, formats, []int16{pgtype.BinaryFormatCode})
		}
		mrr := pc.PgConn().ExecBatch(ctx, b)
		if !mrr.NextResult() { // the scope statement
			return closeErr(mrr, fmt.Errorf("tenants: no result for the scope statement"))
		}
		if _, err := mrr.ResultReader().Close(); err != nil {
			return closeErr(mrr, err)
		}
		for _, q := range queries {
			if !mrr.NextResult() {
				return closeErr(mrr, fmt.Errorf("tenants: no result for the query"))
			}
			rows := pgx.RowsFromResultReader(m, mrr.ResultReader())
			if err := eachRow(rows, q.Scan); err != nil {
				return closeErr(mrr, err)
			}
		}
		return closeErr(mrr, nil)
	})
}

func eachRow(rows pgx.Rows, scan func(pgx.Rows) error) error {
	defer rows.Close()
	if scan == nil {
		scan = func(pgx.Rows) error { return nil }
	}
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// closeErr closes the batch's reader (reading what is left, up to the Sync) and returns the first error.
func closeErr(mrr *pgconn.MultiResultReader, err error) error {
	if cerr := mrr.Close(); err == nil {
		err = cerr
	}
	return err
}

// queueScope puts the tenant scope statement (ScopeStatement) first in QueryPG's batch, prepared once
// per connection like the query that follows it.
func queueScope(ctx context.Context, pc *pgx.Conn, b *pgconn.Batch, tenantID uuid.UUID) error {
	sd, err := pc.Prepare(ctx, ScopeStatement, ScopeStatement)
	if err != nil {
		return err
	}
	b.ExecStatement(sd, [][]byte{[]byte(AppRole), []byte(tenantID.String())}, nil, nil)
	return nil
}

// CanQueryPG reports whether QueryPG can serve a read in ctx: on PostgreSQL, outside any transaction.
// Elsewhere (SQLite in dev mode, or a read nested in an open transaction) the caller uses ReadTx.
func CanQueryPG(ctx context.Context, db *bun.DB) bool {
	_, inTx := TxFrom(ctx)
	return !inTx && platform.IsPostgres(db)
}
