package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/server"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/policies"
)

// Authorization a console cannot forget: every action a person can take is checked against the same
// permission whichever entry point it arrives through. Entry points don't check permissions in their
// handlers; each route declares one (httpx.Op.Permission, an exported constant of the module's
// model.go that policies/roles/*.csv grants) and the router puts the check in front of the handler.
// The tests below walk every registered route and fail on one that declares nothing, declares a
// permission no role holds, or is open (AnyRole, Public) without being on an allow-list below, so
// opening a route takes a conscious edit here.
//
// Every entry point registers its routes through an httpx.Router, which records each one in a route
// table. The JSON API's table is Server.Spec. The HTML console (modules/console) registers its routes
// the same way, through an httpx.Router (or a router of its own that records httpx.Routes) into a
// table of its own — it is not part of the OpenAPI document, so e.g. Server.ConsoleSpec — and adds it
// to routeTables below; its routes' keys carry its own prefix (e.g. "GET /console/users"), so both
// allow-lists cover both tables.

// routeTables lists every route table of the assembled server, by entry point.
func routeTables(s *server.Server) map[string][]httpx.Route {
	return map[string][]httpx.Route{
		"api":     s.Spec.Routes(),
		"console": consoleRoutes(s),
	}
}

// consoleRoutes are the console's pages in the shape of API routes, so one walk checks both.
func consoleRoutes(s *server.Server) []httpx.Route {
	var out []httpx.Route
	for _, r := range s.Console.Routes() {
		op := httpx.Op{Access: httpx.Authenticated, Permission: r.Permission, AnyRole: r.AnyRole}
		if r.Public {
			op = httpx.Op{Access: httpx.Public}
		}
		out = append(out, httpx.Route{Method: r.Method, Path: r.Path, Op: op})
	}
	return out
}

// anyRoleRoutes are the authenticated routes open to any logged-in user of any tenant: the ones about
// the caller's own session, and reference data every role reads.
var anyRoleRoutes = []string{
	"GET /api/v1/me",
	"POST /api/v1/auth/logout",
	"GET /api/v1/calendar/holidays/:year", // the working-day calendar every schedule is computed on
	"GET /",                               // the console's 工作台: each user's own to-dos
	"POST /logout",                        // the console's sign-out
	"PUT /api/v1/me/password",             // one's own password
	"GET /account",                        // the console's 我的账户
	"POST /account/password",              // and its password form
}

// publicRoutes need no token at all: logging in, and what the public is entitled to see or send —
// announcements and self-registration, results publicity and objections, certificate look-up and
// credential verification, the occupation catalog, complaints and published sampling draws.
var publicRoutes = []string{
	"POST /api/v1/auth/login",
	"GET /login",  // the console's login page
	"POST /login", // and its form
	"POST /lang",  // the console's language choice (a cookie)
	"GET /api/v1/occupations",
	"GET /api/v1/occupations/:code",
	"GET /api/v1/public/institutions/:slug/batches",
	"POST /api/v1/public/institutions/:slug/batches/:id/applications",
	"GET /api/v1/public/batches/:id/results",
	"POST /api/v1/public/batches/:id/objections",
	"GET /api/v1/public/certificates/:number",
	"POST /api/v1/public/credentials/verify",
	"GET /api/v1/public/status-lists/:id",
	"POST /api/v1/public/complaints",
	"GET /api/v1/public/sampling/:id",
	// The console's public pages (page_public.go), twins of the public API above.
	"GET /i/:slug", "GET /i/:slug/batches/:id", "GET /i/:slug/batches/:id/publicity", "POST /i/:slug/batches/:id/publicity",
	"GET /complaints", "POST /complaints", "GET /verify", "POST /verify/credential", "GET /verify/:number",
	"GET /i/:slug/batches/:id/apply",  // the candidates' portal: self-registration to an open batch
	"POST /i/:slug/batches/:id/apply", // and its form (the console twin of the public applications)
}

func routeKey(r httpx.Route) string { return r.Method + " " + r.Path }

func TestEveryRouteDeclaresItsAuthorization(t *testing.T) {
	k := testkit.New(t)
	rules, err := policies.Templates()
	if err != nil {
		t.Fatal(err)
	}
	granted := map[string]bool{}
	for _, r := range rules {
		granted[r.Action] = true
	}
	seen := map[string]bool{}
	for table, routes := range routeTables(k.Server) {
		if len(routes) == 0 {
			t.Errorf("route table %s is empty", table)
		}
		for _, r := range routes {
			key := routeKey(r)
			seen[key] = true
			op := r.Op
			switch {
			case op.Access == httpx.Public:
				if op.Permission != "" || op.AnyRole {
					t.Errorf("%s: %s is public but declares Permission %q / AnyRole %v", table, key, op.Permission, op.AnyRole)
				}
				if !slices.Contains(publicRoutes, key) {
					t.Errorf("%s: %s is public; add it to publicRoutes if it must be", table, key)
				}
			case op.Access != httpx.Authenticated:
				t.Errorf("%s: %s has an unknown Access %d", table, key, op.Access)
			case op.Permission == "" && !op.AnyRole:
				t.Errorf("%s: %s is authenticated but declares no Permission", table, key)
			case op.Permission != "" && op.AnyRole:
				t.Errorf("%s: %s declares both Permission %q and AnyRole", table, key, op.Permission)
			case op.AnyRole:
				if !slices.Contains(anyRoleRoutes, key) {
					t.Errorf("%s: %s is open to any role; add it to anyRoleRoutes if it must be", table, key)
				}
			case !granted[op.Permission]:
				t.Errorf("%s: %s requires %q, which no role template in policies/roles grants", table, key, op.Permission)
			}
		}
	}
	// The allow-lists name only routes that exist, so that they stay the exact list of open routes.
	for _, key := range append(append([]string(nil), anyRoleRoutes...), publicRoutes...) {
		if !seen[key] {
			t.Errorf("%s is allow-listed but not registered: remove it from the list", key)
		}
	}
}

// permissionLiteralExceptions are route tables allowed to give Permission a string literal or a
// constant declared outside model.go: none. A new entry needs a reason written beside it.
var permissionLiteralExceptions = []string{}

// TestPermissionsAreModelConstants reads the source: every `Permission:` field of a composite
// literal in modules (route tables of the API today, of the console later) names an exported
// constant declared in a model.go — of its own module or one it imports — never a string literal,
// so a permission is spelled once and a typo does not compile.
func TestPermissionsAreModelConstants(t *testing.T) {
	root := repoRoot(t)
	consts := modelConstants(t, root)
	violators := map[string][]string{}
	err := filepath.WalkDir(filepath.Join(root, "modules"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		imports := map[string]string{} // local name → directory relative to the root
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, modulePath) {
				continue
			}
			name := filepath.Base(p)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			imports[name] = strings.TrimPrefix(p, modulePath)
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		ast.Inspect(f, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			if key, ok := kv.Key.(*ast.Ident); !ok || key.Name != "Permission" {
				return true
			}
			pos := fset.Position(kv.Value.Pos())
			where := rel + ":" + strconv.Itoa(pos.Line)
			switch v := kv.Value.(type) {
			case *ast.Ident:
				if !consts[dir][v.Name] {
					violators[rel] = append(violators[rel], where+": "+v.Name+" is not a constant of "+dir+"/model.go")
				}
			case *ast.SelectorExpr:
				pkg, ok := v.X.(*ast.Ident)
				if !ok || !consts[imports[pkg.Name]][v.Sel.Name] {
					violators[rel] = append(violators[rel], where+": "+exprString(v)+" is not a model.go constant")
				}
			default:
				violators[rel] = append(violators[rel], where+": Permission is "+exprString(kv.Value)+", not a constant")
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files := make([]string, 0, len(violators))
	for f := range violators {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		if slices.Contains(permissionLiteralExceptions, f) {
			continue
		}
		for _, v := range violators[f] {
			t.Error(v)
		}
	}
	for _, f := range permissionLiteralExceptions {
		if _, ok := violators[f]; !ok {
			t.Errorf("%s uses permission constants now: remove it from permissionLiteralExceptions", f)
		}
	}
}

// modelConstants returns, per package directory under modules, the exported constants its model.go
// files declare.
func modelConstants(t *testing.T, root string) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	err := filepath.WalkDir(filepath.Join(root, "modules"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(path) != "model.go" {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		dir := filepath.ToSlash(rel)
		if out[dir] == nil {
			out[dir] = map[string]bool{}
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					if name.IsExported() {
						out[dir][name.Name] = true
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// exprString renders a short expression for a failure message.
func exprString(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.BasicLit:
		return v.Value
	case *ast.Ident:
		return v.Name
	case *ast.SelectorExpr:
		return exprString(v.X) + "." + v.Sel.Name
	default:
		return "an expression"
	}
}
