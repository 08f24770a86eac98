package server_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The rules of STYLE.md ("House habits" 1) that imports can show, checked on the source so that they
// stay true: what may import the HTTP framework, the queue and the authorization library, and which
// way dependencies point — between layers and between modules.

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

// goFile is one Go source file of the repository and what it imports.
type goFile struct {
	path    string // relative to the root, with forward slashes
	test    bool   // a _test.go file
	imports []string
}

// dir is the directory of the file, relative to the root.
func (f goFile) dir() string { return filepath.ToSlash(filepath.Dir(f.path)) }

// sourceFiles lists every Go file under dir (relative to the root; "." for all), tests included.
func sourceFiles(t *testing.T, root, dir string) []goFile {
	t.Helper()
	var out []goFile
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != filepath.Join(root, dir) && (strings.HasPrefix(n, ".") || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		gf := goFile{path: filepath.ToSlash(rel), test: strings.HasSuffix(path, "_test.go")}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			gf.imports = append(gf.imports, p)
		}
		out = append(out, gf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// underAny reports whether path is one of dirs or inside one.
func underAny(path string, dirs ...string) bool {
	for _, d := range dirs {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// httpFrameworks are the imports only HTTP code may use.
var httpFrameworks = []string{"github.com/gofiber/", "github.com/valyala/fasthttp"}

// httpPackages may import fiber anywhere: the HTTP plumbing (httpx, the rate limiter's middleware),
// the assembly that mounts the routes, and the HTML console.
var httpPackages = []string{"modules/platform/httpx", "modules/platform/ratelimit", "modules/server", "modules/console"}

// httpFiles may import fiber in any module: the JSON routes, the console's pages of a module, and its
// task handlers; plus the authorization middleware of policies.
func httpFile(path string) bool {
	base := filepath.Base(path)
	if path == "policies/middleware.go" {
		return true
	}
	return strings.HasPrefix(path, "modules/") &&
		(base == "http.go" || base == "tasks.go" || (strings.HasPrefix(base, "page") && strings.HasSuffix(base, ".go")))
}

// TestOnlyHTTPCodeImportsFiber: services, models and stores never see fiber, so the console and jobs
// call them without HTTP. Tests may use fiber to drive handlers.
func TestOnlyHTTPCodeImportsFiber(t *testing.T) {
	root := repoRoot(t)
	for _, f := range sourceFiles(t, root, ".") {
		if f.test || underAny(f.dir(), httpPackages...) || httpFile(f.path) {
			continue
		}
		for _, imp := range f.imports {
			if hasPrefixAny(imp, httpFrameworks...) {
				t.Errorf("%s imports %s: only http.go, page*.go and tasks.go files, %v and policies/middleware.go may",
					f.path, imp, httpPackages)
			}
		}
	}
}

// TestLibrariesStayInTheirPackage: only jobs knows asynq, only policies knows casbin — tests included,
// so that nothing outside depends on their types (jobs.Redis, jobs.Task and policies.Guard stand in).
func TestLibrariesStayInTheirPackage(t *testing.T) {
	root := repoRoot(t)
	rules := []struct {
		lib, owner string
	}{
		{"github.com/hibiken/asynq", "jobs"},
		{"github.com/casbin/", "policies"},
	}
	for _, f := range sourceFiles(t, root, ".") {
		for _, imp := range f.imports {
			for _, r := range rules {
				if hasPrefixAny(imp, r.lib) && !underAny(f.dir(), r.owner) {
					t.Errorf("%s imports %s: only %s may", f.path, imp, r.owner)
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
		for _, f := range sourceFiles(t, root, r.dir) {
			if f.test {
				continue
			}
			for _, imp := range f.imports {
				if !strings.HasPrefix(imp, modulePath) {
					continue
				}
				// A layer's own packages may import each other (jobs/jobstest imports jobs).
				if rel := strings.TrimPrefix(imp, modulePath); !underAny(rel, append([]string{r.dir}, r.allowed...)...) {
					t.Errorf("%s imports %s: %s may depend only on %v", f.path, rel, r.dir, r.allowed)
				}
			}
		}
	}
	// Nothing imports the binary, and only cmd and tests import the assembly.
	for _, f := range sourceFiles(t, root, "modules") {
		if f.test {
			continue
		}
		for _, imp := range f.imports {
			if strings.HasPrefix(imp, modulePath+"cmd/") {
				t.Errorf("%s imports %s", f.path, imp)
			}
			if imp == modulePath+"modules/server" && !underAny(f.dir(), "modules/testkit") {
				t.Errorf("%s imports the server assembly", f.path)
			}
		}
	}
}

// moduleOrder ranks the modules from the bottom up: a module may import only modules before it —
// for their value types (identity.User, reports.Kind, audit.Event) and the two append-in-your-own-
// transaction functions audit.Record and reports.Emit. Anything else a module needs of another — a
// lookup, a check, a side effect — it declares as a small interface of its own, which modules/server
// satisfies with the other module's service. A strict order also rules out every import cycle, so
// two modules that need each other (identity resolves tenants, the directory creates a tenant's first
// user) meet through such an interface: the lower one never names the higher.
//
// A new module goes where its imports put it; moving one means its dependants' imports allow it.
var moduleOrder = []string{
	"reports",      // the outbox of what institutions report to regulators
	"audit",        // the tamper-evident trail every write appends to; its checkpoints are reported
	"identity",     // users, sessions; resolves tenants through an interface
	"directory",    // the tenant register; creates first administrators through identity's types
	"catalog",      // occupations and evaluation norms
	"filings",      // an institution's scope, approved by its regulator
	"candidates",   // people who sit exams, self-registration logins
	"batches",      // exam batches, applications, results
	"certificates", // issued certificates and credentials
	"exams",        // exam administration: sites, sessions, arrangement, tickets, check-in
	"oversight",    // regulators' view, decisions and reports store
}

// assemblyPackages sit above every module and may import any: the assembly, the HTML console over
// every service, and the end-to-end test kit. Shared plumbing below every module is modules/platform.
var assemblyPackages = []string{"server", "console", "testkit"}

// TestModulesImportOnlyLowerModules enforces moduleOrder on non-test code (a module's tests may
// reach higher through the test kit).
func TestModulesImportOnlyLowerModules(t *testing.T) {
	root := repoRoot(t)
	rank := map[string]int{}
	for i, m := range moduleOrder {
		rank[m] = i
	}
	moduleOf := func(path string) string { // "modules/certificates/render" → "certificates"
		rest, ok := strings.CutPrefix(path, "modules/")
		if !ok {
			return ""
		}
		m, _, _ := strings.Cut(rest, "/")
		return m
	}
	files := sourceFiles(t, root, "modules")
	// A library is a module's sub-package that imports nothing of SkillCert but modules/platform
	// (certificates/credential, certificates/render, batches/eligibility): pure code with no service,
	// store or module behind it, which any module may use like platform.
	library := map[string]bool{}
	for _, f := range files {
		if f.test || strings.Count(f.dir(), "/") < 2 {
			continue
		}
		if _, seen := library[f.dir()]; !seen {
			library[f.dir()] = true
		}
		for _, imp := range f.imports {
			if strings.HasPrefix(imp, modulePath) && !strings.HasPrefix(imp, modulePath+"modules/platform") {
				library[f.dir()] = false
			}
		}
	}
	for _, f := range files {
		from := moduleOf(f.dir())
		if f.test || from == "platform" || slices.Contains(assemblyPackages, from) {
			continue
		}
		if _, ok := rank[from]; !ok {
			t.Errorf("%s: module %s is not in moduleOrder; place it there", f.path, from)
			continue
		}
		for _, imp := range f.imports {
			to := moduleOf(strings.TrimPrefix(imp, modulePath))
			if !strings.HasPrefix(imp, modulePath) || to == "" || to == from || to == "platform" || library[strings.TrimPrefix(imp, modulePath)] {
				continue
			}
			switch r, ok := rank[to]; {
			case slices.Contains(assemblyPackages, to):
				t.Errorf("%s imports %s: modules never import the assembly, the console or the test kit", f.path, imp)
			case !ok:
				t.Errorf("%s imports %s: module %s is not in moduleOrder", f.path, imp, to)
			case r > rank[from]:
				t.Errorf("%s imports %s: %s is above %s in moduleOrder; call it through an interface %s owns, wired in modules/server",
					f.path, imp, to, from, from)
			}
		}
	}
}

func hasPrefixAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
