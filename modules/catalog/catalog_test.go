package catalog_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/catalog/seed"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type occupationJSON struct {
	Code                string   `json:"code"`
	Name                string   `json:"name"`
	Subtypes            []string `json:"subtypes"`
	Levels              []int    `json:"levels"`
	HasNationalStandard bool     `json:"has_national_standard"`
}

type occupationPage struct {
	Items      []occupationJSON `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

// noStandard returns the n-th seeded occupation without a national standard (distinct per test).
func noStandard(t *testing.T, n int) seed.Occupation {
	t.Helper()
	occs, err := seed.Occupations()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range occs {
		if !o.HasNationalStandard {
			if n == 0 {
				return o
			}
			n--
		}
	}
	t.Fatal("no occupation without a standard in the seed")
	return seed.Occupation{}
}

func TestSeededCatalogIsPublic(t *testing.T) {
	k := testkit.New(t)
	var p occupationPage
	k.Do(t, "GET", "/api/v1/occupations?q=6-31-01-03", "", nil).Want(t, http.StatusOK).Decode(t, &p)
	want := []occupationJSON{{Code: "6-31-01-03", Name: "电工", Subtypes: []string{}, Levels: []int{5, 4, 3, 2, 1}, HasNationalStandard: true}}
	if diff := cmp.Diff(want, p.Items); diff != "" {
		t.Fatalf("电工 (-want +got):\n%s", diff)
	}
	var one occupationJSON
	k.Do(t, "GET", "/api/v1/occupations/4-03-01-02", "", nil).Want(t, http.StatusOK).Decode(t, &one)
	if one.Name != "客房服务员" || !slices.Equal(one.Levels, []int{5, 4, 3}) {
		t.Fatalf("客房服务员 = %+v, want levels [5 4 3] from its standard", one)
	}
	k.Do(t, "GET", "/api/v1/occupations/9-99-99-99", "", nil).WantProblem(t, http.StatusNotFound, "not_found")

	count, err := k.DB.NewSelect().Table("occupations").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	occs, _ := seed.Occupations()
	if count < int64(len(occs)) || len(occs) < 60 {
		t.Fatalf("catalog holds %d occupations, seed %d", count, len(occs))
	}
}

func TestEnsureSeededIsIdempotentAndKeepsImports(t *testing.T) {
	k := testkit.New(t)
	ctx := context.Background()
	svc := catalog.NewService(k.DB)
	if wrote, err := svc.EnsureSeeded(ctx); err != nil || wrote {
		t.Fatalf("EnsureSeeded on a seeded catalog = %v, %v; want no write", wrote, err)
	}
	// Pretend an older seed was applied, an administrator imported one occupation and someone changed a
	// seeded one: the new seed restores the seeded row and leaves the imported one alone.
	imported, seeded := noStandard(t, 10), noStandard(t, 11)
	mustExec(t, k, "UPDATE catalog_meta SET value = 'old' WHERE key = 'seed_version'")
	mustExec(t, k, "UPDATE occupations SET name = 'imported name', source = 'import' WHERE code = ?", imported.Code)
	mustExec(t, k, "UPDATE occupations SET name = 'stale name' WHERE code = ?", seeded.Code)
	if wrote, err := catalog.NewService(k.DB).EnsureSeeded(ctx); err != nil || !wrote {
		t.Fatalf("EnsureSeeded after a seed change = %v, %v; want a write", wrote, err)
	}
	for code, want := range map[string]string{imported.Code: "imported name", seeded.Code: seeded.Name} {
		o, err := svc.Occupation(ctx, code)
		if err != nil || o.Name != want {
			t.Fatalf("%s name = %q (%v), want %q", code, o.Name, err, want)
		}
	}
	if wrote, err := catalog.NewService(k.DB).EnsureSeeded(ctx); err != nil || wrote {
		t.Fatalf("second EnsureSeeded = %v, %v; want no write", wrote, err)
	}
}

func mustExec(t *testing.T, k *testkit.Kit, q string, args ...any) {
	t.Helper()
	if _, err := k.DB.NewRaw(q, args...).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestListSearchAndKeyset(t *testing.T) {
	k := testkit.New(t)
	list := func(t *testing.T, query string) occupationPage {
		t.Helper()
		var p occupationPage
		k.Do(t, "GET", "/api/v1/occupations?"+query, "", nil).Want(t, http.StatusOK).Decode(t, &p)
		return p
	}
	cases := []struct {
		name  string
		query string
		check func(o occupationJSON) bool
		min   int
	}{
		{"code prefix", "q=6-31-01", func(o occupationJSON) bool { return strings.HasPrefix(o.Code, "6-31-01") }, 3},
		{"name substring", "q=" + url.QueryEscape("电工"), func(o occupationJSON) bool { return strings.Contains(o.Name, "电工") }, 1},
		{"with a standard", "has_national_standard=true&limit=500", func(o occupationJSON) bool { return o.HasNationalStandard }, 60},
		{"wildcards match themselves", "q=" + url.QueryEscape("%"), nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := list(t, c.query)
			if len(p.Items) < c.min {
				t.Fatalf("%d items, want at least %d", len(p.Items), c.min)
			}
			if c.check == nil && len(p.Items) != 0 {
				t.Fatalf("%d items, want none", len(p.Items))
			}
			for _, o := range p.Items {
				if c.check != nil && !c.check(o) {
					t.Fatalf("%+v does not match %s", o, c.query)
				}
			}
		})
	}

	t.Run("keyset pages are ordered and complete", func(t *testing.T) {
		all := list(t, "q=6-31&limit=500").Items
		var paged []string
		cursor := ""
		for range 100 {
			p := list(t, "q=6-31&limit=3&cursor="+cursor)
			for _, o := range p.Items {
				paged = append(paged, o.Code)
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		var want []string
		for _, o := range all {
			want = append(want, o.Code)
		}
		if !slices.IsSorted(want) || !slices.Equal(paged, want) {
			t.Fatalf("paged %v, want %v", paged, want)
		}
	})
	for _, q := range []string{"sort=name", "sort=-code", "limit=0", "cursor=%21bad"} {
		k.Do(t, "GET", "/api/v1/occupations?"+q, "", nil).Want(t, http.StatusBadRequest)
	}
}

func upload(t *testing.T, csv []byte) ([]byte, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("file", "occupations.csv")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(csv)
	w.Close()
	return body.Bytes(), w.FormDataContentType()
}

func TestImportCSV(t *testing.T) {
	k := testkit.New(t)
	ctx := context.Background()
	existing, err := k.Server.Lifecycle.Catalog.Occupation(ctx, "6-18-02-04") // 焊工
	if err != nil {
		t.Fatal(err)
	}
	occs := []seed.Occupation{
		{Code: "6-18-02-04", Name: existing.Name, MajorCode: existing.MajorCode, MajorName: existing.MajorName,
			MiddleCode: existing.MiddleCode, MiddleName: existing.MiddleName, MinorCode: existing.MinorCode, MinorName: existing.MinorName,
			Subtypes: []string{"电焊工", "气焊工"}, Levels: []int{5, 4, 3, 2, 1}, StandardYear: 2018, HasNationalStandard: true, Note: "import test"},
		{Code: "6-99-98-97", Name: "测试职业", MajorCode: "6", MiddleCode: "6-99", MinorCode: "6-99-98",
			Levels: []int{5, 4}, Note: "import test"},
	}
	var csv bytes.Buffer
	if err := seed.WriteCSV(&csv, occs); err != nil {
		t.Fatal(err)
	}
	body, ctype := upload(t, csv.Bytes())

	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	k.Do(t, "POST", "/api/v1/occupations/import", org.Admin, body, "Content-Type", ctype).WantProblem(t, http.StatusForbidden, "forbidden")

	var rep catalog.ImportReport
	k.Do(t, "POST", "/api/v1/occupations/import", k.Admin, body, "Content-Type", ctype).Want(t, http.StatusOK).Decode(t, &rep)
	if rep != (catalog.ImportReport{Rows: 2, Created: 1, Updated: 1}) {
		t.Fatalf("first import = %+v", rep)
	}
	k.Do(t, "POST", "/api/v1/occupations/import", k.Admin, body, "Content-Type", ctype).Want(t, http.StatusOK).Decode(t, &rep)
	if rep != (catalog.ImportReport{Rows: 2, Unchanged: 2}) {
		t.Fatalf("same file again = %+v", rep)
	}
	got, err := k.Server.Lifecycle.Catalog.Occupation(ctx, "6-18-02-04")
	if err != nil || !slices.Equal(got.Subtypes, []string{"电焊工", "气焊工"}) || got.Source != catalog.SourceImport {
		t.Fatalf("imported 焊工 = %+v, %v", got, err)
	}
	newOcc, err := k.Server.Lifecycle.Catalog.Occupation(ctx, "6-99-98-97")
	if err != nil || !slices.Equal(newOcc.Levels, []int{5, 4}) {
		t.Fatalf("new occupation = %+v, %v", newOcc, err)
	}

	// A bad file changes nothing and names the row and column.
	bad := strings.Replace(csv.String(), "5|4,", "5|9,", 1)
	body, ctype = upload(t, []byte(bad))
	res := k.Do(t, "POST", "/api/v1/occupations/import", k.Admin, body, "Content-Type", ctype)
	res.WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	if !strings.Contains(string(res.Body), "row 3 levels") {
		t.Fatalf("problem does not name row 3 levels: %s", res.Body)
	}
	k.Do(t, "POST", "/api/v1/occupations/import", k.Admin, []byte("x"), "Content-Type", "text/csv").WantProblem(t, http.StatusBadRequest, "missing_file")

	// The export is what import reads.
	exp := k.Do(t, "GET", "/api/v1/occupations/export", k.Admin, nil).Want(t, http.StatusOK)
	back, err := seed.ParseCSV(bytes.NewReader(exp.Body))
	if err != nil || len(back) < 60 {
		t.Fatalf("export re-read: %d rows, %v", len(back), err)
	}
}

type normJSON struct {
	ID             string   `json:"id"`
	OccupationCode string   `json:"occupation_code"`
	Levels         []int    `json:"levels"`
	Status         string   `json:"status"`
	FilingRef      string   `json:"filing_ref"`
	FiledOn        string   `json:"filed_on"`
	Subtypes       []string `json:"subtypes"`
}

func TestEvaluationNorms(t *testing.T) {
	k := testkit.New(t)
	ent := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	other := k.Tenant(t, tenants.KindEnterprise, "110105")
	soc := k.Tenant(t, tenants.KindSocialOrg, "110105")
	occ := noStandard(t, 0)
	body := map[string]any{"occupation_code": occ.Code, "title": "企业评价规范（试行）", "levels": []int{3, 5, 4}, "document_ref": "QB/2026-01"}

	t.Run("who may add", func(t *testing.T) {
		k.Do(t, "POST", "/api/v1/evaluation-norms", soc.Admin, body).WantProblem(t, http.StatusForbidden, "forbidden")
		k.Do(t, "POST", "/api/v1/evaluation-norms", ent.Tokens["staff"], body).WantProblem(t, http.StatusForbidden, "forbidden")
		k.Do(t, "POST", "/api/v1/evaluation-norms", k.Admin, body).WantProblem(t, http.StatusForbidden, "forbidden")
	})
	t.Run("rules", func(t *testing.T) {
		cases := []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"national standard", map[string]any{"occupation_code": "6-31-01-03", "title": "x", "levels": []int{5}}, 422, "has_national_standard"},
			{"unknown occupation", map[string]any{"occupation_code": "6-99-99-98", "title": "x", "levels": []int{5}}, 422, "validation_failed"},
			{"bad level", map[string]any{"occupation_code": occ.Code, "title": "x", "levels": []int{6}}, 422, "validation_failed"},
			{"no title", map[string]any{"occupation_code": occ.Code, "levels": []int{5}}, 422, "validation_failed"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				k.Do(t, "POST", "/api/v1/evaluation-norms", ent.Admin, c.body).WantProblem(t, c.status, c.code)
			})
		}
	})

	var n normJSON
	k.Do(t, "POST", "/api/v1/evaluation-norms", ent.Admin, body).Want(t, http.StatusCreated).Decode(t, &n)
	if n.Status != "draft" || !slices.Equal(n.Levels, []int{5, 4, 3}) {
		t.Fatalf("created norm = %+v", n)
	}
	k.Do(t, "POST", "/api/v1/evaluation-norms", ent.Admin, body).WantProblem(t, http.StatusConflict, "duplicate")

	svc := k.Server.Lifecycle.Catalog
	ctx := ent.Ctx(context.Background())
	if o, err := svc.Occupation(ctx, occ.Code); err != nil || o.NormFiled || o.Evaluable() {
		t.Fatalf("draft norm makes %s evaluable: %+v, %v", occ.Code, o, err)
	}

	k.Do(t, "GET", "/api/v1/evaluation-norms/"+n.ID, other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "POST", "/api/v1/evaluation-norms/"+n.ID+"/file", ent.Admin, map[string]any{"filing_ref": "人社备2026-1", "filed_on": "2999-01-01"}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	k.Do(t, "POST", "/api/v1/evaluation-norms/"+n.ID+"/file", other.Admin, map[string]any{"filing_ref": "人社备2026-1", "filed_on": "2026-01-05"}).
		WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "POST", "/api/v1/evaluation-norms/"+n.ID+"/file", ent.Admin, map[string]any{"filing_ref": "人社备2026-1", "filed_on": "2026-01-05"}).
		Want(t, http.StatusOK).Decode(t, &n)
	if n.Status != "filed" || n.FilingRef != "人社备2026-1" || n.FiledOn != "2026-01-05" {
		t.Fatalf("filed norm = %+v", n)
	}
	k.Do(t, "POST", "/api/v1/evaluation-norms/"+n.ID+"/file", ent.Admin, map[string]any{"filing_ref": "again", "filed_on": "2026-01-06"}).
		WantProblem(t, http.StatusConflict, "invalid_state")

	o, err := svc.Occupation(ctx, occ.Code)
	if err != nil || !o.NormFiled || !o.Evaluable() || !slices.Equal(o.Levels, []int{5, 4, 3}) || o.NormID.String() != n.ID {
		t.Fatalf("filed norm not seen: %+v, %v", o, err)
	}
	if o, err := svc.Occupation(other.Ctx(context.Background()), occ.Code); err != nil || o.NormFiled {
		t.Fatalf("another enterprise sees the norm: %+v, %v", o, err)
	}

	var list struct{ Items []normJSON }
	k.Do(t, "GET", "/api/v1/evaluation-norms", ent.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != n.ID {
		t.Fatalf("norms = %+v", list.Items)
	}
	k.Do(t, "GET", "/api/v1/evaluation-norms", other.Admin, nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("another tenant lists %+v", list.Items)
	}
}

// The norm list pages by creation time either way, and the occupation list refuses descending order.
func TestNormPagesBothWays(t *testing.T) {
	k := testkit.New(t)
	ent := k.Tenant(t, tenants.KindEnterprise, "110105")
	var made []string
	for i := range 3 {
		var n normJSON
		k.Do(t, "POST", "/api/v1/evaluation-norms", ent.Admin, map[string]any{"occupation_code": noStandard(t, i).Code,
			"title": fmt.Sprintf("规范%d", i), "levels": []int{5}}).Want(t, http.StatusCreated).Decode(t, &n)
		made = append(made, n.ID)
	}
	pages := func(sort string) []string {
		t.Helper()
		var got []string
		cursor := ""
		for range 10 {
			var p struct {
				Items      []normJSON `json:"items"`
				NextCursor string     `json:"next_cursor"`
			}
			k.Do(t, "GET", "/api/v1/evaluation-norms?limit=2&sort="+sort+"&cursor="+cursor, ent.Admin, nil).
				Want(t, http.StatusOK).Decode(t, &p)
			for _, n := range p.Items {
				got = append(got, n.ID)
			}
			if cursor = p.NextCursor; cursor == "" {
				return got
			}
		}
		t.Fatal("no last page")
		return nil
	}
	if got := pages("created_at"); !slices.Equal(got, made) {
		t.Fatalf("ascending %v, want %v", got, made)
	}
	if got := pages("-created_at"); !slices.Equal(got, []string{made[2], made[1], made[0]}) {
		t.Fatalf("descending %v, want %v reversed", got, made)
	}
	k.Do(t, "GET", "/api/v1/evaluation-norms?sort=title", ent.Admin, nil).WantProblem(t, http.StatusBadRequest, "invalid_sort")
	k.Do(t, "GET", "/api/v1/occupations?sort=-code", "", nil).WantProblem(t, http.StatusBadRequest, "invalid_sort")
	k.Do(t, "GET", "/api/v1/occupations?cursor=x", "", nil).WantProblem(t, http.StatusBadRequest, "invalid_cursor")
}
