package oversight_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/policies"
	"github.com/skillcert/skillcert/tenants"
)

// listIDs returns the institution ids a regulator token sees.
func listIDs(t *testing.T, k *testkit.Kit, token string) map[uuid.UUID]bool {
	t.Helper()
	out := map[uuid.UUID]bool{}
	cursor := ""
	for {
		var page struct {
			Items      []core.Institution `json:"items"`
			NextCursor string             `json:"next_cursor"`
		}
		k.Do(t, "GET", "/api/v1/oversight/institutions?limit=500&cursor="+cursor, token, nil).Want(t, http.StatusOK).Decode(t, &page)
		for _, it := range page.Items {
			out[it.ID] = true
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

func TestJurisdictionByRegionCode(t *testing.T) {
	k := testkit.New(t)
	province := k.Tenant(t, tenants.KindRegulator, "330000", "viewer")
	city := k.Tenant(t, tenants.KindRegulator, "330100", "viewer")
	district := k.Tenant(t, tenants.KindRegulator, "330106", "viewer")
	xihu := k.Tenant(t, tenants.KindEnterprise, "330106")
	gongshu := k.Tenant(t, tenants.KindSchool, "330105")
	ningbo := k.Tenant(t, tenants.KindSocialOrg, "330203")
	beijing := k.Tenant(t, tenants.KindEnterprise, "110105")
	otherReg := k.Tenant(t, tenants.KindRegulator, "330106")

	cases := []struct {
		name    string
		reg     *testkit.Org
		sees    []*testkit.Org
		notSees []*testkit.Org
	}{
		{"province 330000 sees every institution starting 33", province, []*testkit.Org{xihu, gongshu, ningbo}, []*testkit.Org{beijing, otherReg}},
		{"city 330100 sees Hangzhou only", city, []*testkit.Org{xihu, gongshu}, []*testkit.Org{ningbo, beijing, otherReg}},
		{"district 330106 sees Xihu only", district, []*testkit.Org{xihu}, []*testkit.Org{gongshu, ningbo, beijing, otherReg}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, role := range []string{"admin", "viewer"} {
				ids := listIDs(t, k, c.reg.Tokens[role])
				for _, o := range c.sees {
					if !ids[o.Tenant.ID] {
						t.Errorf("%s does not see %s (%s)", role, o.Tenant.Slug, o.Tenant.RegionCode)
					}
					k.Do(t, "GET", "/api/v1/oversight/institutions/"+o.Tenant.ID.String(), c.reg.Tokens[role], nil).Want(t, http.StatusOK)
				}
				for _, o := range c.notSees {
					if ids[o.Tenant.ID] {
						t.Errorf("%s sees %s (%s) outside its jurisdiction", role, o.Tenant.Slug, o.Tenant.RegionCode)
					}
					for _, sub := range []string{"", "/audit", "/batches", "/certificates", "/score"} {
						k.Do(t, "GET", "/api/v1/oversight/institutions/"+o.Tenant.ID.String()+sub, c.reg.Tokens[role], nil).
							WantProblem(t, http.StatusNotFound, "not_found")
					}
				}
			}
		})
	}
	// Institutions have no oversight.
	k.Do(t, "GET", "/api/v1/oversight/institutions", xihu.Admin, nil).WantProblem(t, http.StatusForbidden, "forbidden")

	// The audit log of an institution in jurisdiction is readable through oversight.
	var entries struct {
		Items []struct {
			TenantID uuid.UUID `json:"tenant_id"`
			Action   string    `json:"action"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/oversight/institutions/"+xihu.Tenant.ID.String()+"/audit", district.Admin, nil).Want(t, http.StatusOK).Decode(t, &entries)
	if len(entries.Items) == 0 || entries.Items[0].TenantID != xihu.Tenant.ID {
		t.Fatalf("audit through oversight = %+v", entries)
	}
}

// TestDatabaseRefusesOutsideJurisdiction shows the second line of defence: a handler that forgot its
// WHERE clause, running in the regulator's oversight transaction, still gets only its jurisdiction's
// rows from the database, and cannot write at all.
func TestDatabaseRefusesOutsideJurisdiction(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "110108")
	inside := k.Tenant(t, tenants.KindEnterprise, "110108")
	outside := k.Tenant(t, tenants.KindEnterprise, "110105")
	ctx := reg.Ctx(context.Background())
	ids, err := k.Server.Oversight.Oversight.Institutions.Jurisdiction(ctx)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[uuid.UUID]bool{reg.Tenant.ID: true}
	for _, id := range ids {
		allowed[id] = true
	}
	if !allowed[inside.Tenant.ID] || allowed[outside.Tenant.ID] {
		t.Fatalf("jurisdiction %v", ids)
	}

	err = tenants.OversightTx(ctx, k.DB, ids, func(ctx context.Context, tx bun.Tx) error {
		// The buggy handler: no tenant condition at all.
		var seen []uuid.UUID
		if err := tx.NewRaw("SELECT DISTINCT tenant_id FROM audit_log").Scan(ctx, &seen); err != nil {
			return err
		}
		got := map[uuid.UUID]bool{}
		for _, id := range seen {
			got[id] = true
			if !allowed[id] {
				t.Errorf("the database returned audit rows of %s, outside the jurisdiction", id)
			}
		}
		if !got[inside.Tenant.ID] || !got[reg.Tenant.ID] {
			t.Errorf("own and in-jurisdiction rows missing: %v", seen)
		}
		// Tables that did not opt in to oversight (users) show only the regulator's own rows.
		var users []uuid.UUID
		if err := tx.NewRaw("SELECT DISTINCT tenant_id FROM users").Scan(ctx, &users); err != nil {
			return err
		}
		if len(users) != 1 || users[0] != reg.Tenant.ID {
			t.Errorf("users visible in oversight: %v", users)
		}
		// Asking for the outside institution by id finds nothing either.
		n, err := tx.NewSelect().TableExpr("audit_log").Where("tenant_id = ?", outside.Tenant.ID).Count(ctx)
		if err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("%d audit rows of an institution outside the jurisdiction", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	writes := []struct{ name, sql string }{
		{"update an institution's audit", "UPDATE audit_log SET actor_name = 'x' WHERE tenant_id = '" + inside.Tenant.ID.String() + "'"},
		{"rename an institution", "UPDATE tenants SET name = 'x' WHERE id = '" + inside.Tenant.ID.String() + "'"},
		{"write the regulator's own table", "DELETE FROM oversight_complaints"},
		{"insert a decision copy", "INSERT INTO institution_decisions (tenant_id, id, regulator_id, regulator_name, kind, reason, decided_at) VALUES ('" +
			inside.Tenant.ID.String() + "', '" + uuid.NewString() + "', '" + reg.Tenant.ID.String() + "', 'r', 'rectify', 'r', now())"},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			err := tenants.OversightTx(ctx, k.DB, ids, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, w.sql)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "read-only transaction") {
				t.Fatalf("write in the oversight transaction: %v, want a read-only refusal", err)
			}
		})
	}
}

// institutionWrites lists every route that writes institution data: POST/PUT/PATCH/DELETE under
// /api/v1 that is not oversight's own, authentication, public, a tenant's own user administration, or a
// person's own password.
func institutionWrites(k *testkit.Kit) []struct{ method, path, permission string } {
	var out []struct{ method, path, permission string }
	own := regexp.MustCompile(`^/api/v1/(oversight|auth|public)/|^/api/v1/users(/|$)|^/api/v1/me/password$`)
	for _, r := range k.Server.Spec.Routes() {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || !strings.HasPrefix(r.Path, "/api/v1/") || own.MatchString(r.Path) {
			continue
		}
		out = append(out, struct{ method, path, permission string }{r.Method, r.Path, r.Op.Permission})
	}
	return out
}

var pathParam = regexp.MustCompile(`:[A-Za-z_]+`)

// TestEveryInstitutionWriteRefusesRegulators walks the server's route table and calls every
// institution write endpoint with each regulator role's token: 403, whatever the body.
func TestEveryInstitutionWriteRefusesRegulators(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "440000", "inspector", "viewer")
	routes := institutionWrites(k)
	if len(routes) < 20 {
		t.Fatalf("only %d institution write routes found; is the route table complete?", len(routes))
	}
	for _, r := range routes {
		path := pathParam.ReplaceAllStringFunc(r.path, func(p string) string {
			if p == ":year" {
				return "2026"
			}
			return uuid.NewString()
		})
		for _, role := range []string{"admin", "inspector", "viewer"} {
			res := k.Do(t, r.method, path, reg.Tokens[role], map[string]any{})
			if res.Status != http.StatusForbidden {
				t.Errorf("%s %s as regulator %s: %d %s, want 403", r.method, r.path, role, res.Status, res.Code())
			}
		}
	}
}

// TestRegulatorRolesHoldNoWritePermission checks the role templates: a regulator role holds only
// oversight actions, read verbs, and the administration of its own users — and none of the
// permissions the institution write routes require.
func TestRegulatorRolesHoldNoWritePermission(t *testing.T) {
	k := testkit.New(t)
	rules, err := policies.Templates()
	if err != nil {
		t.Fatal(err)
	}
	readVerbs := map[string]bool{"list": true, "read": true, "export": true, "verify": true}
	ownTenant := map[string]bool{"user": true, "audit": true} // the regulator's own staff and trail
	held := map[string]bool{}
	regulatorRules := 0
	for _, r := range rules {
		if !strings.HasPrefix(r.Role, "role:regulator:") {
			continue
		}
		regulatorRules++
		held[r.Action] = true
		resource, verb, _ := strings.Cut(r.Action, ":")
		if resource != "oversight" && !readVerbs[verb] && !ownTenant[resource] {
			t.Errorf("%s holds %s: a write on institution data", r.Role, r.Action)
		}
	}
	if regulatorRules == 0 || !held[oversight.PermRead] {
		t.Fatal("no regulator role templates found")
	}
	for _, r := range institutionWrites(k) {
		if r.permission == "" || held[r.permission] {
			t.Errorf("%s %s requires %q, which a regulator role holds", r.method, r.path, r.permission)
		}
	}
}
