package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
	"github.com/uptrace/bun"
)

// runAdmin carries out operator tasks against PostgreSQL, as the platform (audited like API calls).
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"admin needs a task: create-tenant, reset-password or disable-user"}
	}
	task, rest := args[0], args[1:]
	fs := flag.NewFlagSet("admin "+task, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	slug := fs.String("slug", "", "tenant slug")
	name := fs.String("name", "", "tenant name")
	kind := fs.String("kind", "", "enterprise, social_org, school or regulator")
	region := fs.String("region", "", "6-digit region code")
	credit := fs.String("credit-code", "", "unified social credit code")
	adminUser := fs.String("admin-username", "admin", "first administrator's username")
	adminPass := fs.String("admin-password", "", "first administrator's password")
	tenantSlug := fs.String("tenant", "", "tenant slug")
	username := fs.String("username", "", "username")
	password := fs.String("password", "", "new password")
	if err := fs.Parse(rest); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := platform.LoadConfig(getenv)
	if err != nil {
		return err
	}
	log := platform.NewLogger(stderr, "text", "warn")
	r, err := openProduction(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer r.Close()
	operator := tenants.Actor{Name: "system:operator"}
	switch task {
	case "create-tenant":
		pt, err := r.srv.Directory.EnsurePlatform(ctx)
		if err != nil {
			return err
		}
		pctx := tenants.WithActor(tenants.WithScope(ctx, scopeOf(pt)), operator)
		t, u, err := r.srv.Directory.Create(pctx, directory.NewTenant{Slug: *slug, Name: *name, Kind: tenants.Kind(*kind),
			RegionCode: *region, CreditCode: *credit}, directory.FirstAdmin{Username: *adminUser, Password: *adminPass, DisplayName: "Administrator"})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "created tenant %s (%s, %s) id %s with administrator %s\n", t.Slug, t.Kind, t.RegionCode, t.ID, u.Username)
	case "reset-password", "disable-user":
		t, err := r.srv.Directory.BySlug(ctx, *tenantSlug)
		if err != nil {
			return fmt.Errorf("no tenant %q", *tenantSlug)
		}
		tctx := tenants.WithActor(tenants.WithScope(ctx, scopeOf(t)), operator)
		if task == "reset-password" {
			if err := r.srv.Identity.ResetPassword(tctx, *username, *password); err != nil {
				return describe(err)
			}
			fmt.Fprintf(stdout, "password of %s/%s reset; their sessions are revoked\n", t.Slug, *username)
			return nil
		}
		u, err := r.srv.Identity.UserByUsername(tctx, *username)
		if err != nil {
			return describe(err)
		}
		if err := r.srv.Identity.DisableUser(tctx, u.ID); err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "user %s/%s disabled; their sessions are revoked\n", t.Slug, *username)
	default:
		return usageError{fmt.Sprintf("unknown admin task %q", task)}
	}
	return nil
}

// runAudit verifies audit chains: every tenant's, or one.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{"audit needs: verify [--tenant SLUG]"}
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	slug := fs.String("tenant", "", "verify one tenant only")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := platform.LoadConfig(getenv)
	if err != nil {
		return err
	}
	if err := cfg.RequireServices(false); err != nil {
		return err
	}
	db, err := platform.OpenPostgres(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	// Checkpoints are checked with the key derived from the master key; it is read, never created.
	svc := audit.NewService(db, audit.Deps{MasterKey: func() ([]byte, error) { return audit.ReadMasterKey(cfg.MasterKey, cfg.DataDir) }})
	return verifyAudit(ctx, db, svc, *slug, stdout, platform.NewLogger(stderr, "text", "warn"))
}

// verifyAudit checks the chain of each tenant (or the one named) against itself and its checkpoints,
// prints the checkpoint each chain is anchored to, and fails naming the first bad entry.
func verifyAudit(ctx context.Context, db *bun.DB, svc *audit.Service, slug string, stdout io.Writer, log *slog.Logger) error {
	dir := directory.NewService(db, nil)
	var list []tenants.Tenant
	if slug != "" {
		t, err := dir.BySlug(ctx, slug)
		if err != nil {
			return fmt.Errorf("no tenant %q", slug)
		}
		list = append(list, t)
	} else {
		req := platform.PageRequest{Limit: platform.MaxLimit}
		for {
			page, err := dir.List(ctx, req, directory.Filter{})
			if err != nil {
				return err
			}
			list = append(list, page.Items...)
			if page.NextCursor == "" {
				break
			}
			req.Cursor = page.NextCursor
		}
	}
	bad := 0
	for _, t := range list {
		res, err := svc.VerifyTenant(ctx, t.ID)
		if err != nil {
			return err
		}
		if res.OK {
			fmt.Fprintf(stdout, "ok   %-24s %6d entries  head %s  %s\n", t.Slug, res.Entries, res.Head, anchorText(res.Anchor))
			continue
		}
		bad++
		fmt.Fprintf(stdout, "FAIL %-24s first bad entry seq %d", t.Slug, *res.FirstBadSeq)
		if res.FirstBadID != nil {
			fmt.Fprintf(stdout, " id %s", res.FirstBadID)
		}
		fmt.Fprintf(stdout, ": %s; %s\n", res.Reason, anchorText(res.Anchor))
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d audit chains are broken", bad, len(list))
	}
	return nil
}

// anchorText describes the checkpoint a chain is anchored to.
func anchorText(a *audit.Anchor) string {
	if a == nil {
		return "not anchored (no agreeing checkpoint in a regulator's report store)"
	}
	return fmt.Sprintf("anchored at seq %d head %s (signed %s, kid %s, %s)", a.Seq, a.Head,
		a.SignedAt.UTC().Format(time.RFC3339), a.KID, a.Source)
}

func scopeOf(t tenants.Tenant) tenants.Scope {
	return tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}
}

// describe turns a validation error into one readable line for the terminal.
func describe(err error) error {
	if pe, ok := err.(*platform.Error); ok && len(pe.Fields) > 0 {
		msg := pe.Message
		for _, f := range pe.Fields {
			msg += fmt.Sprintf("; %s: %s", f.Field, f.Message)
		}
		return fmt.Errorf("%s", msg)
	}
	return err
}
