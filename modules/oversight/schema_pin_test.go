package oversight_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

// Oversight reads some tables of other modules directly, in the regulator's read-only oversight
// transaction (RLS limits the rows; these pins guard the columns). Each (table, column) it reads is
// listed here with its type in the migrated PostgreSQL schema, so that renaming, dropping or
// retyping one of them in another module's migration fails this test instead of oversight at run
// time. Keep the list complete: TestSchemaPinsCoverTheSQL finds the tables in oversight's SQL and
// bun models, and the columns of its bun models of those tables.
var pinnedColumns = []struct{ table, column, typ string }{
	// The register (core/store.go through directory.ReadTenants): jurisdiction lists, names, covering regulators.
	{"tenants", "id", "uuid"},
	{"tenants", "slug", "text"},
	{"tenants", "name", "text"},
	{"tenants", "kind", "text"},
	{"tenants", "region_code", "text"},
	{"tenants", "credit_code", "text"},
	{"tenants", "status", "text"},
	{"tenants", "created_at", "timestamp with time zone"},

	// The regulator's own staff (supervision/store.go: checkInspectors, inspectors).
	{"users", "id", "uuid"},
	{"users", "tenant_id", "uuid"},
	{"users", "display_name", "text"},
	{"users", "status", "text"},
	{"user_roles", "tenant_id", "uuid"},
	{"user_roles", "user_id", "uuid"},
	{"user_roles", "role", "text"},

	// Batches (institutions/store.go Records: Batches, Unsupervised, OpenApplications).
	{"batches", "id", "uuid"},
	{"batches", "tenant_id", "uuid"},
	{"batches", "title", "text"},
	{"batches", "occupation_code", "text"},
	{"batches", "level", "smallint"},
	{"batches", "status", "text"},
	{"batches", "exam_start", "timestamp with time zone"},
	{"batches", "application_deadline", "timestamp with time zone"},
	{"batches", "venue", "text"},
	{"batches", "fee_fen", "bigint"},
	{"batches", "capacity", "integer"},
	{"batches", "created_at", "timestamp with time zone"},
	{"batch_supervisors", "tenant_id", "uuid"},
	{"batch_supervisors", "batch_id", "uuid"},
	// Risk-weighted sampling's signals (Records.Objections, Records.EvaluatorOverlap).
	{"batch_supervisors", "user_id", "uuid"},
	{"batch_evaluators", "tenant_id", "uuid"},
	{"batch_evaluators", "batch_id", "uuid"},
	{"batch_evaluators", "user_id", "uuid"},
	{"objections", "tenant_id", "uuid"},
	{"objections", "created_at", "timestamp with time zone"},

	// Applications (Records.OpenApplications, joined with batches).
	{"applications", "id", "uuid"},
	{"applications", "tenant_id", "uuid"},
	{"applications", "batch_id", "uuid"},
	{"applications", "id_type", "text"},
	{"applications", "id_number", "text"},
	{"applications", "status", "text"},
	{"applications", "created_at", "timestamp with time zone"},

	// The regulator's drill-down into a batch (institutions/drill.go: Records.Batch).
	{"batches", "publicity_ends_at", "timestamp with time zone"},
	{"applications", "candidate_name", "text"},
	{"applications", "result", "text"},
	{"applications", "scores", "jsonb"},
	{"applications", "theory_exempt", "boolean"},
	{"objections", "id", "uuid"},
	{"objections", "tenant_id", "uuid"},
	{"objections", "batch_id", "uuid"},
	{"objections", "application_id", "uuid"},
	{"objections", "reason", "text"},
	{"objections", "status", "text"},
	{"objections", "note", "text"},
	{"objections", "created_at", "timestamp with time zone"},
	{"objections", "resolved_at", "timestamp with time zone"},

	// Certificates (Records.Certificates, Records.Holdings).
	{"certificates", "id", "uuid"},
	{"certificates", "tenant_id", "uuid"},
	{"certificates", "number", "text"},
	{"certificates", "status", "text"},
	{"certificates", "holder_name", "text"},
	{"certificates", "occupation_code", "text"},
	{"certificates", "level", "integer"},
	{"certificates", "issued_on", "date"},
	{"certificates", "batch_id", "uuid"},
	{"certificates", "created_at", "timestamp with time zone"},

	// The outbox, read and marked through modules/reports' Event model (inbox/service.go); these are
	// the columns oversight's own SQL names.
	{"report_outbox", "tenant_id", "uuid"},
	{"report_outbox", "seq", "bigint"},
	{"report_outbox", "dispatched_at", "timestamp with time zone"},
}

// pinnedValues are the values oversight's SQL compares those columns with: each must stay allowed by
// the column's CHECK constraint (a renamed status would silently match nothing).
var pinnedValues = []struct {
	table, column string
	values        []string
}{
	{"tenants", "kind", []string{"regulator"}},
	{"tenants", "status", []string{"disabled"}},
	{"users", "status", []string{"active"}},
	{"batches", "status", []string{"open", "closed", "publicity", "finalized"}},
	{"applications", "status", []string{"eligible", "pending_review", "approved"}},
	{"certificates", "status", []string{"issued", "revoked"}},
}

// crossModuleModels are other modules' bun models oversight queries, by the table they map.
var crossModuleModels = map[string]string{"reports.Event": "report_outbox"}

// ownTable reports whether a table is oversight's own (its migrations create it).
func ownTable(name string) bool {
	return strings.HasPrefix(name, "oversight_") || name == "institution_decisions"
}

// TestSchemaPins checks every pinned column against the migrated schema: it exists with its type,
// and the values oversight filters on are still allowed.
func TestSchemaPins(t *testing.T) {
	db := dbtest.DB(t)
	ctx := context.Background()
	var cols []struct {
		Table  string `bun:"table_name"`
		Column string `bun:"column_name"`
		Type   string `bun:"data_type"`
	}
	if err := db.NewRaw(`SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema()`).Scan(ctx, &cols); err != nil {
		t.Fatal(err)
	}
	types := map[[2]string]string{}
	for _, c := range cols {
		types[[2]string{c.Table, c.Column}] = c.Type
	}
	for _, p := range pinnedColumns {
		got, ok := types[[2]string{p.table, p.column}]
		switch {
		case !ok:
			t.Errorf("%s.%s, which oversight reads, is not in the schema (renamed or dropped?)", p.table, p.column)
		case got != p.typ:
			t.Errorf("%s.%s is %s, oversight reads it as %s", p.table, p.column, got, p.typ)
		}
	}
	for _, p := range pinnedValues {
		var defs []string
		if err := db.NewRaw(`SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
			WHERE r.relname = ? AND r.relnamespace = current_schema()::regnamespace AND c.contype = 'c'`, p.table).Scan(ctx, &defs); err != nil {
			t.Fatal(err)
		}
		// PostgreSQL shows `status IN ('a', 'b')` as `(status = ANY (ARRAY['a'::text, 'b'::text]))`.
		col := regexp.MustCompile(`\b` + p.column + `\b`)
		var check string
		for _, d := range defs {
			if col.MatchString(d) && strings.Contains(d, "ANY (ARRAY[") {
				check += d + " "
			}
		}
		if check == "" {
			t.Errorf("%s.%s has no CHECK constraint listing its values any more; oversight filters on %v", p.table, p.column, p.values)
			continue
		}
		for _, v := range p.values {
			if !strings.Contains(check, "'"+v+"'") {
				t.Errorf("%s.%s no longer allows %q (%s); oversight filters on it", p.table, p.column, v, check)
			}
		}
	}
}

// TestSchemaPinsCoverTheSQL keeps the pins complete: every table of another module that oversight's
// code names — in SQL text (FROM, JOIN, INTO, UPDATE, TableExpr), in a bun model's table tag, or
// through another module's model — has pins, and every pinned table is still read; every column of
// oversight's bun models of other modules' tables is pinned.
func TestSchemaPinsCoverTheSQL(t *testing.T) {
	pinnedCols := map[string]map[string]bool{}
	for _, p := range pinnedColumns {
		if pinnedCols[p.table] == nil {
			pinnedCols[p.table] = map[string]bool{}
		}
		pinnedCols[p.table][p.column] = true
	}
	found := map[string][]string{} // table → where
	modelCols := map[string]map[string]string{}
	sqlTable := regexp.MustCompile(`\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_][a-z0-9_]*)`)
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		note := func(table string, pos token.Pos) {
			if table != "" && !ownTable(table) {
				found[table] = append(found[table], fset.Position(pos).String())
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil {
					return true
				}
				for _, m := range sqlTable.FindAllStringSubmatch(s, -1) {
					note(m[1], n.Pos())
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "TableExpr" || sel.Sel.Name == "Table") && len(n.Args) > 0 {
					if lit, ok := n.Args[0].(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(lit.Value)
						if words := strings.Fields(s); len(words) > 0 {
							note(words[0], lit.Pos())
						}
					}
				}
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok {
					if table, ok := crossModuleModels[x.Name+"."+n.Sel.Name]; ok {
						note(table, n.Pos())
					}
				}
			case *ast.StructType:
				table := ""
				cols := map[string]string{}
				for _, fld := range n.Fields.List {
					if fld.Tag == nil {
						continue
					}
					tag, _ := strconv.Unquote(fld.Tag.Value)
					bunTag := reflect.StructTag(tag).Get("bun")
					name, _, _ := strings.Cut(bunTag, ",")
					if strings.HasPrefix(name, "table:") {
						table = strings.TrimPrefix(name, "table:")
						continue
					}
					if name != "" && name != "-" {
						cols[name] = fset.Position(fld.Pos()).String()
					}
				}
				if table != "" && !ownTable(table) {
					note(table, n.Pos())
					if modelCols[table] == nil {
						modelCols[table] = map[string]string{}
					}
					for c, at := range cols {
						modelCols[table][c] = at
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for table := range found {
		tables = append(tables, table)
	}
	sort.Strings(tables)
	for _, table := range tables {
		if pinnedCols[table] == nil {
			t.Errorf("oversight reads %s (%s) but pins none of its columns", table, strings.Join(found[table], ", "))
		}
	}
	for table := range pinnedCols {
		if found[table] == nil {
			t.Errorf("%s is pinned but oversight's code no longer names it: remove its pins", table)
		}
	}
	for table, cols := range modelCols {
		for c, at := range cols {
			if !pinnedCols[table][c] {
				t.Errorf("%s.%s is read by the bun model at %s but not pinned", table, c, at)
			}
		}
	}
}
