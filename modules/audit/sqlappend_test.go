package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// sqlAppendStatement appends through audit.AppendFunc with the before/after given as JSON text.
const sqlAppendStatement = `SELECT ` + audit.AppendFunc + `($1, $2, $3, $4, $5, $6, 'ok', 'thing', $7, $8::jsonb, $9::jsonb, $10)`

// appendSQL appends one entry in SQL, in one pipelined round trip (tenants.WritePG), and returns its seq.
func appendSQL(ctx context.Context, db *bun.DB, at time.Time, action, target string, before, after any) (int64, error) {
	e, err := audit.NewSQLEntry(ctx, at)
	if err != nil {
		return 0, err
	}
	enc := func(v any) any {
		if v == nil {
			return nil
		}
		if s, ok := v.(string); ok { // JSON text as is
			return s
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	var seq int64
	err = tenants.WritePG(ctx, db, tenants.PGQuery{SQL: sqlAppendStatement,
		Args: []any{e.TenantID, e.ID, e.At, e.ActorID, e.ActorName, action, target, enc(before), enc(after), e.RequestID},
		Scan: func(r pgx.Rows) error { return r.Scan(&seq) }})
	return seq, err
}

// TestAppendFuncKeepsTheChain: entries appended in SQL (skillcert_audit_append) and by Record, one after
// the other and concurrently, form one chain that VerifyChain accepts: the server-side hash is Go's,
// including the JSON canonicalisation of awkward content and times with and without a fraction.
func TestAppendFuncKeepsTheChain(t *testing.T) {
	k := testkit.New(t)
	o := k.Tenant(t, tenants.KindEnterprise, "110105")
	ctx := tenants.WithActor(o.Ctx(context.Background()), tenants.Actor{UserID: uuid.New(), Name: "门口 <operator> & co"})
	base := time.Date(2026, 12, 2, 8, 30, 0, 0, time.UTC)
	values := []struct {
		at            time.Time
		before, after any
	}{
		{base, nil, map[string]any{"seat": 12, "room_id": uuid.New(), "via": "ticket", "checked_in_at": base}},
		{base.Add(120 * time.Millisecond), `{"B": 1, "a": [1, 2.50, -3e2, true, false, null, {}, []], "é": "x", "_": {"z": {"y": null}}}`, `null`},
		{base.Add(123456 * time.Microsecond), map[string]any{"s": "<tag> & \"quoted\" \\ back\u2028line\u2029para\x01\b\f\n\r\t\x7f 张三 🎓"}, nil},
		{base.Add(time.Second + time.Microsecond), `{}`, `[]`},
		{base.Add(2 * time.Second), `"just a string"`, `12345678901234567890`},
		{time.Time{}, map[string]any{"n": 1}, map[string]any{"n": 2}},
	}
	for i, v := range values {
		if _, err := appendSQL(ctx, k.DB, v.at, "test.sql", fmt.Sprint("t", i), v.before, v.after); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		record(t, k, o, 1)
	}
	if res := verify(t, k, o); !res.OK || res.Entries < int64(2*len(values)) {
		t.Fatalf("chain with SQL appends: %+v", res)
	}

	// Concurrent writers of both kinds: the head's row lock serialises them, no gaps, no forks.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if w%2 == 0 {
					_, err := appendSQL(ctx, k.DB, time.Time{}, "test.sql", fmt.Sprint("w", w), nil, map[string]any{"i": i})
					if err != nil {
						errs <- err
						return
					}
					continue
				}
				if err := tenants.WithTx(ctx, k.DB, func(ctx context.Context, tx bun.Tx) error {
					return audit.Record(ctx, tx, audit.Event{Action: "test.go", TargetType: "thing", TargetID: fmt.Sprint("w", w), After: map[string]any{"i": i}})
				}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if res := verify(t, k, o); !res.OK {
		t.Fatalf("chain after concurrent appends: %+v", res)
	}

	// A failed statement after the append rolls the entry back with it (one implicit transaction).
	var head int64
	if err := k.DB.NewSelect().Table("audit_heads").Column("seq").Where("tenant_id = ?", o.Tenant.ID).Scan(context.Background(), &head); err != nil {
		t.Fatal(err)
	}
	e, _ := audit.NewSQLEntry(ctx, time.Time{})
	err := tenants.WritePG(ctx, k.DB,
		tenants.PGQuery{SQL: sqlAppendStatement, Args: []any{e.TenantID, e.ID, e.At, e.ActorID, e.ActorName, "test.sql", "x", nil, nil, e.RequestID}},
		tenants.PGQuery{SQL: "SELECT 1/0"})
	if err == nil {
		t.Fatal("division by zero succeeded")
	}
	var after int64
	if err := k.DB.NewSelect().Table("audit_heads").Column("seq").Where("tenant_id = ?", o.Tenant.ID).Scan(context.Background(), &after); err != nil {
		t.Fatal(err)
	}
	if after != head {
		t.Fatalf("head moved from %d to %d by a rolled-back append", head, after)
	}

	// Row-level security holds: an entry for another tenant is refused under this tenant's scope.
	other := k.Tenant(t, tenants.KindEnterprise, "110105")
	e, _ = audit.NewSQLEntry(ctx, time.Time{})
	if err := tenants.WritePG(ctx, k.DB, tenants.PGQuery{SQL: sqlAppendStatement,
		Args: []any{other.Tenant.ID, e.ID, e.At, e.ActorID, e.ActorName, "test.sql", "x", nil, nil, e.RequestID}}); err == nil {
		t.Fatal("appended to another tenant's chain")
	}
	if res := verify(t, k, o); !res.OK {
		t.Fatalf("chain at the end: %+v", res)
	}

	// A tenant's first entry appended in SQL starts the chain from the genesis hash.
	fresh := uuid.New()
	if _, err := k.DB.NewRaw("INSERT INTO tenants (id, slug, name, kind) VALUES (?, ?, 'fresh', 'enterprise')",
		fresh, testkit.Slug("fresh")).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	fctx := tenants.WithScope(context.Background(), tenants.Scope{TenantID: fresh, Kind: tenants.KindEnterprise})
	for i := range 3 {
		if seq, err := appendSQL(fctx, k.DB, time.Time{}, "test.sql", "f", nil, map[string]any{"i": i}); err != nil || seq != int64(i+1) {
			t.Fatalf("fresh chain append %d: seq %d, %v", i, seq, err)
		}
	}
	if err := tenants.ReadTx(fctx, k.DB, func(ctx context.Context, tx bun.Tx) error {
		res, err := audit.VerifyChain(ctx, tx, fresh, nil)
		if err == nil && (!res.OK || res.Entries != 3) {
			err = fmt.Errorf("fresh chain: %+v", res)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
