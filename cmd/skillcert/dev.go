package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// devAdminPassword is the platform administrator's password in dev mode when SKILLCERT_ADMIN_PASSWORD
// is not set: dev mode is for a newcomer's laptop, and it prints the password anyway. Like every password
// it passes identity.CheckPassword (no username, slug or service name in it).
const devAdminPassword = "local-dev-only-2026"

// demoPassword is every demo user's password (printed at start).
const demoPassword = "demo-pass-2026"

// demoTenant is one tenant of the demo data with the users it gets.
type demoTenant struct {
	slug, name, region, credit string
	kind                       tenants.Kind
	roles                      []string
}

var demoTenants = []demoTenant{
	{slug: "bj-hrss", name: "北京市职业技能鉴定管理中心", kind: tenants.KindRegulator, region: "110000",
		roles: []string{"admin", "inspector", "viewer"}},
	{slug: "acme", name: "北京示例电气设备有限公司", kind: tenants.KindEnterprise, region: "110105",
		roles: []string{"admin", "staff", "evaluator", "supervisor", "candidate"}},
	{slug: "skills-academy", name: "北京技能人才培训评价中心", kind: tenants.KindSocialOrg, region: "110108",
		roles: []string{"admin", "staff", "evaluator", "supervisor", "candidate"}},
}

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv, flag.NewFlagSet("dev", flag.ContinueOnError), args, "text")
	if err != nil {
		return err
	}
	if cfg.AdminPassword == "" {
		cfg.AdminPassword = devAdminPassword
	}
	log := platform.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	r, err := openDev(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.bootstrap(ctx, cfg.AdminPassword); err != nil {
		return err
	}
	created, err := seedDemo(ctx, r)
	if err != nil {
		return fmt.Errorf("seeding demo data: %w", err)
	}
	stop, err := r.startWorker(ctx)
	if err != nil {
		return err
	}
	defer stop()
	return r.serveHTTP(ctx, func(addr string) {
		printWelcome(stdout, cfg, addr, created)
	})
}

// seedDemo creates the demo tenants and one user per role, once: a restart finds them and keeps them.
func seedDemo(ctx context.Context, r *runtime) (bool, error) {
	if _, err := r.srv.Directory.BySlug(ctx, demoTenants[0].slug); err == nil {
		return false, nil
	} else if !errors.Is(err, directory.ErrNotFound) {
		return false, err
	}
	platformTenant, err := r.srv.Directory.BySlug(ctx, tenants.PlatformSlug)
	if err != nil {
		return false, err
	}
	pctx := tenants.WithActor(tenants.WithScope(ctx, tenants.Scope{TenantID: platformTenant.ID, Kind: tenants.KindPlatform,
		Slug: platformTenant.Slug}), tenants.Actor{Name: "system:dev-seed"})
	for _, d := range demoTenants {
		t, _, err := r.srv.Directory.Create(pctx, directory.NewTenant{Slug: d.slug, Name: d.name, Kind: d.kind, RegionCode: d.region},
			directory.FirstAdmin{Username: "admin", Password: demoPassword, DisplayName: "管理员"})
		if err != nil {
			return false, fmt.Errorf("tenant %s: %w", d.slug, err)
		}
		tctx := tenants.WithActor(tenants.WithScope(ctx, tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode,
			Slug: t.Slug}), tenants.Actor{Name: "system:dev-seed"})
		for _, role := range d.roles {
			if role == "admin" {
				continue
			}
			if _, err := r.srv.Identity.CreateUser(tctx, identity.NewUser{Username: role, Password: demoPassword,
				DisplayName: role, Roles: []string{role}}); err != nil {
				return false, fmt.Errorf("user %s/%s: %w", d.slug, role, err)
			}
		}
	}
	if err := seedDemoLifecycle(ctx, r); err != nil {
		return false, err
	}
	if err := seedDemoExams(ctx, r); err != nil {
		return false, err
	}
	return true, nil
}

func printWelcome(w io.Writer, cfg platform.Config, addr string, created bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nSkillCert is running (dev mode: SQLite at %s, in-process Redis).\n\n", cfg.DataDir)
	fmt.Fprintf(&b, "  Console    http://%s/   ← open this in a browser\n", addr)
	fmt.Fprintf(&b, "  API        http://%s/api/v1   (OpenAPI: http://%s/api/v1/openapi.json)\n", addr, addr)
	fmt.Fprintf(&b, "  Health     http://%s/healthz   Metrics http://%s/metrics\n\n", addr, addr)
	fmt.Fprintf(&b, "  Sign in with an institution code (tenant), username and password:\n")
	fmt.Fprintf(&b, "    %-16s %-12s %s\n", "tenant", "username", "password")
	fmt.Fprintf(&b, "    %-16s %-12s %s\n", tenants.PlatformSlug, "admin", cfg.AdminPassword)
	for _, d := range demoTenants {
		for _, role := range d.roles {
			fmt.Fprintf(&b, "    %-16s %-12s %s   (%s, %s)\n", d.slug, role, demoPassword, d.kind, role)
		}
	}
	if created {
		b.WriteString("\n  Demo data was created now; restarts keep it.\n")
	}
	fmt.Fprintf(&b, "\n  API: curl -s http://%s/api/v1/auth/login -d '{\"tenant\":\"acme\",\"username\":\"admin\",\"password\":\"%s\"}' -H 'Content-Type: application/json'\n\n", addr, demoPassword)
	fmt.Fprint(w, b.String())
}
