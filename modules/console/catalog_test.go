package console

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/policies"
	"github.com/skillcert/skillcert/tenants"
)

// TestCatalogsAreComplete: both languages hold the same message ids, and every id the templates and
// the Go code name exists in both, so no page shows a raw key in either language.
func TestCatalogsAreComplete(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	zh, en := cat.keys["zh-CN"], cat.keys["en"]
	if diff := cmp.Diff(sorted(zh), sorted(en)); diff != "" {
		t.Errorf("zh-CN and en catalogs differ (-zh-CN +en):\n%s", diff)
	}
	used := map[string]string{}
	// Literal ids in templates: .L.T "id", .L.Tf "id".
	tmplID := regexp.MustCompile(`\.L\.Tf? "([a-z0-9_.]+)"`)
	_ = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFS, p)
		for _, m := range tmplID.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = p
		}
		return nil
	})
	// Ids in Go code: Key: "id", "form.required"-style literals assigned as message ids.
	goID := regexp.MustCompile(`(?:Key:\s*|key = |Error = |\] = )"([a-z0-9_]+\.[a-z0-9_.]+)"`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goID.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = f
		}
	}
	// Message ids built from values: every role, user status and audit outcome has its name.
	for _, kind := range []tenants.Kind{tenants.KindEnterprise, tenants.KindRegulator, tenants.KindPlatform} {
		for _, r := range policies.RolesFor(kind) {
			used["role."+r] = "policies.RolesFor"
		}
	}
	for _, v := range []string{"user_status.active", "user_status.disabled", "outcome.ok", "outcome.denied", "outcome.failed"} {
		used[v] = "values"
	}
	// Exam administration: method names and check-in refusals (page_exams.go).
	for _, m := range batches.Methods() {
		used["checkin.method."+string(m)] = "batches.Methods"
	}
	for _, c := range []string{"invalid_ticket", "check_in_closed", "not_found", "invalid"} {
		used["checkin.error."+c] = "checkInMessage"
	}
	if len(used) < 10 {
		t.Fatalf("found only %d message ids in use: the scan is broken", len(used))
	}
	for id, where := range used {
		if !zh[id] {
			t.Errorf("%s: message %q missing in zh-CN", where, id)
		}
		if !en[id] {
			t.Errorf("%s: message %q missing in en", where, id)
		}
	}
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
