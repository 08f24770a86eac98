package filings_test

import (
	"context"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func itoa(n int) string { return strconv.Itoa(n) }

func jobTask(period time.Time) jobs.Task {
	return jobs.Task{ID: "test", Type: filings.TaskExpiry, Period: period}
}

func TestNormMakesAnOccupationFileable(t *testing.T) {
	k := testkit.New(t)
	ent := k.Tenant(t, tenants.KindEnterprise, "110105")
	other := k.Tenant(t, tenants.KindEnterprise, "110105")
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	_, none := occupations(t)
	cat := k.Server.Lifecycle.Catalog
	ctx := ent.Ctx(context.Background())

	n, err := cat.CreateNorm(ctx, catalog.NewNorm{OccupationCode: none.Code, Title: "企业评价规范", Levels: []int{5, 4}})
	if err != nil {
		t.Fatal(err)
	}
	// A draft norm is not enough.
	k.Do(t, "POST", "/api/v1/filings", ent.Admin, map[string]any{"scope": []any{scope(none.Code, 5)}}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	if _, err := cat.FileNorm(ctx, n.ID, catalog.NormFiling{FilingRef: "备2026-7", FiledOn: time.Now().AddDate(0, 0, -1)}); err != nil {
		t.Fatal(err)
	}
	// Filed: evaluable at the norm's levels, by this enterprise only.
	k.Do(t, "POST", "/api/v1/filings", ent.Admin, map[string]any{"scope": []any{scope(none.Code, 3)}}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	k.Do(t, "POST", "/api/v1/filings", other.Admin, map[string]any{"scope": []any{scope(none.Code, 5)}}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	f := submit(t, k, ent, scope(none.Code, 5, 4))
	if f.Scope[0].NormID == nil || *f.Scope[0].NormID != n.ID {
		t.Fatalf("filing scope does not name the norm: %+v", f.Scope)
	}
	approve(t, k, reg, f.ID, today())
	if _, err := checkScope(t, k, ent, none.Code, 4, time.Now()); err != nil {
		t.Fatalf("norm-backed scope refused: %v", err)
	}
}

// TestLayering keeps model.go and service.go free of HTTP, queue and authorization libraries, so a
// console can call the service without them.
func TestLayering(t *testing.T) {
	for _, dir := range []string{".", "../catalog"} {
		for _, name := range []string{"model.go", "service.go"} {
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, banned := range []string{"gofiber", "asynq", "casbin", "/jobs"} {
					if strings.Contains(p, banned) {
						t.Errorf("%s/%s imports %s", dir, name, p)
					}
				}
			}
		}
	}
}

// TestMigrationTwins checks that every PostgreSQL migration of catalog and filings has its SQLite twin
// (dev mode runs on SQLite).
func TestMigrationTwins(t *testing.T) {
	pg, err := os.ReadDir("../../migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	lite, err := os.ReadDir("../../migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	var liteNames []string
	for _, e := range lite {
		liteNames = append(liteNames, e.Name())
	}
	mine := 0
	for _, e := range pg {
		if !strings.HasPrefix(e.Name(), "20261123001") {
			continue
		}
		mine++
		if !slices.Contains(liteNames, e.Name()) {
			t.Errorf("%s has no SQLite twin", e.Name())
		}
	}
	if mine < 4 {
		t.Fatalf("found %d catalog/filings migrations, want up and down of both", mine)
	}
}
