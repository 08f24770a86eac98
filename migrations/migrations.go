// Package migrations holds SkillCert's versioned schema, embedded in the binary, one directory per
// dialect (postgres for serve/worker/tests, sqlite for the embedded dev mode), and the functions that
// apply it. Files are timestamped `*.tx.up.sql` / `*.tx.down.sql`, so each runs in a transaction.
//
// A module adds its tables with a migration in both directories; tenant tables in postgres call
// skillcert_tenant_rls(table, oversight) so that row-level security can't be forgotten.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/skillcert/skillcert/modules/platform"
)

//go:embed postgres/*.sql
var postgresFS embed.FS

//go:embed sqlite/*.sql
var sqliteFS embed.FS

//go:embed postgres/*.sql sqlite/*.sql
var allFS embed.FS

// FS returns both dialects' migration files (directories postgres/ and sqlite/), for tests and tools.
func FS() fs.FS { return allFS }

// Files returns the migration files of db's dialect.
func Files(db bun.IDB) fs.FS {
	if platform.IsPostgres(db) {
		sub, _ := fs.Sub(postgresFS, "postgres")
		return sub
	}
	sub, _ := fs.Sub(sqliteFS, "sqlite")
	return sub
}

func newMigrator(db *bun.DB) (*migrate.Migrator, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(Files(db)); err != nil {
		return nil, fmt.Errorf("reading embedded migrations: %w", err)
	}
	// Marking a migration applied only after it succeeded keeps a failed one re-runnable.
	return migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// Up applies every pending migration and returns the names applied (empty when up to date).
func Up(ctx context.Context, db *bun.DB) ([]string, error) {
	m, err := newMigrator(db)
	if err != nil {
		return nil, err
	}
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("creating migration tables: %w", err)
	}
	if err := m.Lock(ctx); err != nil {
		return nil, fmt.Errorf("another migration is running (lock held): %w", err)
	}
	defer m.Unlock(ctx) //nolint:errcheck // best effort; the lock table row is removed on success
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	return names(group.Migrations), nil
}

// Down rolls back the last applied group of migrations and returns their names.
func Down(ctx context.Context, db *bun.DB) ([]string, error) {
	m, err := newMigrator(db)
	if err != nil {
		return nil, err
	}
	if err := m.Init(ctx); err != nil {
		return nil, err
	}
	if err := m.Lock(ctx); err != nil {
		return nil, fmt.Errorf("another migration is running (lock held): %w", err)
	}
	defer m.Unlock(ctx) //nolint:errcheck
	group, err := m.Rollback(ctx)
	if err != nil {
		return nil, fmt.Errorf("rolling back: %w", err)
	}
	return names(group.Migrations), nil
}

// Status lists applied and pending migrations by name.
func Status(ctx context.Context, db *bun.DB) (applied, pending []string, err error) {
	m, err := newMigrator(db)
	if err != nil {
		return nil, nil, err
	}
	if err := m.Init(ctx); err != nil {
		return nil, nil, err
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, nil, err
	}
	return names(ms.Applied()), names(ms.Unapplied()), nil
}

// RequireCurrent fails when the schema is behind the binary: serve and worker refuse to start on it.
func RequireCurrent(ctx context.Context, db *bun.DB) error {
	_, pending, err := Status(ctx, db)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("database schema is behind this binary (%d pending: %s); run `skillcert migrate up` first",
			len(pending), strings.Join(pending, ", "))
	}
	return nil
}

func names(ms migrate.MigrationSlice) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Name+"_"+m.Comment)
	}
	return out
}
