package server_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/skillcert/skillcert/"

// repoRoot is the repository root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// imports lists the imports of every non-test Go file under dir (relative to the root), by file.
func imports(t *testing.T, root, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[rel] = append(out[rel], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDomainFilesImportNoFrameworks keeps model.go and service.go free of HTTP, queue and
// authorization frameworks, so the web console can use services without HTTP (STYLE.md).
func TestDomainFilesImportNoFrameworks(t *testing.T) {
	root := repoRoot(t)
	banned := []string{"github.com/gofiber/", "github.com/hibiken/asynq", "github.com/casbin/", "github.com/valyala/fasthttp"}
	for file, imps := range imports(t, root, "modules") {
		base := filepath.Base(file)
		if base != "model.go" && base != "service.go" {
			continue
		}
		for _, imp := range imps {
			for _, b := range banned {
				if strings.HasPrefix(imp, b) {
					t.Errorf("%s imports %s", file, imp)
				}
			}
		}
	}
}

// TestDependenciesPointInward: cmd → modules, jobs, policies → tenants → modules/platform.
func TestDependenciesPointInward(t *testing.T) {
	root := repoRoot(t)
	rules := []struct {
		dir     string
		allowed []string // SkillCert packages it may import (prefixes)
	}{
		{"modules/platform", []string{"modules/platform", "migrations"}},
		{"tenants", []string{"modules/platform"}},
		{"migrations", []string{"modules/platform"}},
		{"policies", []string{"modules/platform", "tenants"}},
		{"jobs", []string{"modules/platform", "tenants"}},
	}
	for _, r := range rules {
		for file, imps := range imports(t, root, r.dir) {
			for _, imp := range imps {
				if !strings.HasPrefix(imp, modulePath) {
					continue
				}
				rel := strings.TrimPrefix(imp, modulePath)
				ok := false
				for _, a := range r.allowed {
					ok = ok || rel == a || strings.HasPrefix(rel, a+"/")
				}
				if !ok {
					t.Errorf("%s imports %s: %s may depend only on %v", file, rel, r.dir, r.allowed)
				}
			}
		}
	}
	// Nothing imports the binary, and only cmd and tests import the assembly.
	for file, imps := range imports(t, root, "modules") {
		for _, imp := range imps {
			if strings.HasPrefix(imp, modulePath+"cmd/") {
				t.Errorf("%s imports %s", file, imp)
			}
			if imp == modulePath+"modules/server" && !strings.HasPrefix(file, "modules/testkit") {
				t.Errorf("%s imports the server assembly", file)
			}
		}
	}
}
