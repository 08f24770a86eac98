package seed

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/platform"
)

func mustOccupations(t *testing.T) []Occupation {
	t.Helper()
	occs, err := Occupations()
	if err != nil {
		t.Fatalf("Occupations: %v", err)
	}
	return occs
}

func byCode(occs []Occupation) map[string]Occupation {
	m := make(map[string]Occupation, len(occs))
	for _, o := range occs {
		m[o.Code] = o
	}
	return m
}

func TestOccupationsSeedsSkillCategories(t *testing.T) {
	occs := mustOccupations(t)
	// 36 + 356 + 54 + 671 detailed occupations in major categories 3, 4, 5 and 6 of the 2022 edition.
	if len(occs) != 1117 {
		t.Errorf("seeded %d occupations, want 1117", len(occs))
	}
	perMajor := map[string]int{}
	seen := map[string]bool{}
	for i, o := range occs {
		perMajor[o.MajorCode]++
		if seen[o.Code] {
			t.Errorf("duplicate code %s", o.Code)
		}
		seen[o.Code] = true
		if !codePattern.MatchString(o.Code) || !hierarchyOK(o) || o.Name == "" || o.MajorName == "" || o.MiddleName == "" || o.MinorName == "" {
			t.Errorf("bad occupation %+v", o)
		}
		if i > 0 && occs[i-1].Code >= o.Code {
			t.Errorf("not sorted at %s", o.Code)
		}
		if len(o.Levels) == 0 || o.Note == "" {
			t.Errorf("%s has no levels or note", o.Code)
		}
		for _, l := range o.Levels {
			if l < 1 || l > 5 {
				t.Errorf("%s has level %d", o.Code, l)
			}
		}
		if !o.HasNationalStandard && (o.Note != DefaultNote || !slices.Equal(o.Levels, []int{5, 4, 3, 2, 1}) || o.StandardYear != 0 || len(o.Subtypes) != 0) {
			t.Errorf("%s without a standard should carry the defaults: %+v", o.Code, o)
		}
	}
	want := map[string]int{"3": 36, "4": 356, "5": 54, "6": 671}
	for k, n := range want {
		if perMajor[k] != n {
			t.Errorf("major %s: %d occupations, want %d", k, perMajor[k], n)
		}
	}
	if len(perMajor) != 4 {
		t.Errorf("majors seeded: %v", perMajor)
	}
}

func TestCuratedStandards(t *testing.T) {
	occs := mustOccupations(t)
	curated := 0
	for _, o := range occs {
		if o.HasNationalStandard {
			curated++
			if o.Note == DefaultNote || o.Note == "" {
				t.Errorf("%s: curated without a basis", o.Code)
			}
		}
	}
	if curated < 60 {
		t.Errorf("%d occupations with curated levels, want at least 60", curated)
	}
	m := byCode(occs)
	tests := []struct {
		code     string
		name     string
		levels   []int
		subtypes []string
		year     int
	}{
		{"6-31-01-03", "电工", []int{5, 4, 3, 2, 1}, nil, 2018},
		{"6-18-02-04", "焊工", []int{5, 4, 3, 2, 1}, nil, 2018},
		{"4-01-06-02", "互联网营销师", []int{5, 4, 3, 2, 1}, []string{"选品员", "直播销售员", "视频创推员", "平台管理员"}, 2021},
		{"4-04-05-05", "人工智能训练师", []int{5, 4, 3, 2, 1}, []string{"数据标注员", "人工智能算法测试员"}, 2021},
		{"4-10-01-06", "家政服务员", []int{5, 4, 3, 2}, []string{"母婴护理员", "家务服务员", "家庭照护员"}, 2019},
		{"4-07-03-04", "企业人力资源管理师", []int{4, 3, 2, 1}, nil, 0},
		{"4-03-01-02", "客房服务员", []int{5, 4, 3}, nil, 0},
		{"4-10-08-01", "网约配送员", []int{5, 4, 3, 2, 1}, nil, 2021},
		{"4-14-05-07", "电子竞技员", []int{5, 4, 3, 2, 1}, nil, 0},
	}
	for _, tt := range tests {
		o, ok := m[tt.code]
		if !ok {
			t.Errorf("%s missing", tt.code)
			continue
		}
		if o.Name != tt.name || !slices.Equal(o.Levels, tt.levels) || !slices.Equal(o.Subtypes, tt.subtypes) || o.StandardYear != tt.year || !o.HasNationalStandard {
			t.Errorf("%s = %+v", tt.code, o)
		}
	}
}

func TestNewOccupations(t *testing.T) {
	m := byCode(mustOccupations(t))
	// The three Beijing names in the seeds texts, plus others from the ministry's batches.
	for _, code := range []string{"4-01-06-02", "4-10-08-01", "4-14-05-07", "4-14-05-06", "4-04-05-05", "6-31-07-03", "3-01-04-02"} {
		if !m[code].New {
			t.Errorf("%s %s should be marked new", code, m[code].Name)
		}
	}
	for _, code := range []string{"6-31-01-03", "4-03-02-01"} {
		if m[code].New {
			t.Errorf("%s is not a new occupation", code)
		}
	}
	newCount := 0
	for _, o := range m {
		if o.New {
			newCount++
		}
	}
	// 73 codes of batches 1–5 are in the 2022 classification; those in major category 2 are not seeded.
	if newCount < 40 || newCount > 73 {
		t.Errorf("%d new occupations seeded", newCount)
	}
	// Professional occupations (category 2) are evaluated by titles and stay out.
	if _, ok := m["2-02-38-01"]; ok {
		t.Error("人工智能工程技术人员 (category 2) must not be seeded")
	}
}

func TestOccupationsReturnsFreshSlices(t *testing.T) {
	a := mustOccupations(t)
	a[0].Levels[0] = 99
	a[0].Name = "changed"
	b := mustOccupations(t)
	if b[0].Levels[0] == 99 || b[0].Name == "changed" {
		t.Error("Occupations shares memory between calls")
	}
}

func TestWriteThenParseRoundTrip(t *testing.T) {
	occs := mustOccupations(t)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, occs); err != nil {
		t.Fatal(err)
	}
	back, err := ParseCSV(&buf)
	if err != nil {
		t.Fatalf("ParseCSV of our own export: %v", err)
	}
	if len(back) != len(occs) {
		t.Fatalf("%d rows back, want %d", len(back), len(occs))
	}
	for i := range occs {
		a, b := occs[i], back[i]
		if a.Code != b.Code || a.Name != b.Name || a.MinorName != b.MinorName || a.IsGreen != b.IsGreen || a.IsDigital != b.IsDigital ||
			!slices.Equal(a.Subtypes, b.Subtypes) || !slices.Equal(a.Levels, b.Levels) || a.StandardYear != b.StandardYear ||
			a.HasNationalStandard != b.HasNationalStandard || a.New != b.New || a.Note != b.Note {
			t.Fatalf("row %d differs:\n%+v\n%+v", i, a, b)
		}
	}
}

const header = "code,name,major_code,major_name,middle_code,middle_name,minor_code,minor_name,is_green,is_digital,subtypes,levels,standard_year,has_national_standard,new,note\n"

func TestParseCSV(t *testing.T) {
	in := header +
		"6-31-01-03,电工,6,生产制造及有关人员,6-31,生产辅助人员,6-31-01,机械设备修理人员,0,0,--,5|4|3|2|1,2018,1,0,standard\n" +
		"4-01-06-02,互联网营销师,4,社会生产服务和生活服务人员,4-01,批发与零售服务人员,4-01-06,电子商务服务人员,0,true,选品员|直播销售员,1|2|3|4|5,2021,true,1,\n"
	occs, err := ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(occs) != 2 || occs[1].Code != "4-01-06-02" || !occs[1].IsDigital || !occs[1].New ||
		!slices.Equal(occs[1].Levels, []int{5, 4, 3, 2, 1}) || !slices.Equal(occs[1].Subtypes, []string{"选品员", "直播销售员"}) || occs[0].Subtypes != nil {
		t.Errorf("parsed %+v", occs)
	}
	// Columns may come in any order, with extra ones, and with a UTF-8 BOM from spreadsheet exports.
	reordered := "\uFEFFextra,levels,code,name,note,new,has_national_standard,standard_year,subtypes,is_digital,is_green,minor_name,minor_code,middle_name,middle_code,major_name,major_code\n" +
		"x,5|4|3,4-03-01-02,客房服务员,old standard,0,1,0,--,0,0,住宿服务人员,4-03-01,住宿和餐饮服务人员,4-03,社会生产服务和生活服务人员,4\n"
	occs, err = ParseCSV(strings.NewReader(reordered))
	if err != nil || len(occs) != 1 || !slices.Equal(occs[0].Levels, []int{5, 4, 3}) || occs[0].MajorCode != "4" {
		t.Errorf("reordered: %+v, %v", occs, err)
	}
}

func TestParseCSVReportsBadRowsByNumber(t *testing.T) {
	good := "6-31-01-03,电工,6,m,6-31,mid,6-31-01,min,0,0,--,5|4|3|2|1,2018,1,0,n\n"
	in := header +
		good + // line 2
		"6-31-1-03,电工,6,m,6-31,mid,6-31-01,min,0,0,--,5,0,0,0,n\n" + // line 3: code format
		"6-31-01-04,仪器仪表维修工,6,m,6-31,mid,6-31-01,min,0,0,--,5|6,0,0,0,n\n" + // line 4: level 6
		"6-31-01-03,电工,6,m,6-31,mid,6-31-01,min,0,0,--,5,0,0,0,n\n" + // line 5: duplicate of line 2
		"6-31-01-05,,6,m,6-31,mid,6-31-01,min,maybe,0,a||b,5|5,1800,0,0,n\n" + // line 6: several problems
		"6-31-01-06,x,5,m,6-31,mid,6-31-01,min,0,0,--,,0,0,0,n\n" // line 7: wrong major, no levels
	_, err := ParseCSV(strings.NewReader(in))
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Code != "validation_failed" || pe.Kind != platform.KindUnprocessable {
		t.Fatalf("error = %v", err)
	}
	got := map[string]string{}
	for _, f := range pe.Fields {
		got[f.Field] = f.Code
	}
	want := map[string]string{
		"row 3 code":          "format",
		"row 4 levels":        "out_of_range",
		"row 5 code":          "duplicate",
		"row 6 name":          "required",
		"row 6 is_green":      "invalid",
		"row 6 subtypes":      "empty",
		"row 6 levels":        "duplicate",
		"row 6 standard_year": "out_of_range",
		"row 7 code":          "hierarchy",
		"row 7 levels":        "required",
	}
	for f, code := range want {
		if got[f] != code {
			t.Errorf("%s: code %q, want %q (all: %v)", f, got[f], code, got)
		}
	}
	for f := range got {
		if strings.HasPrefix(f, "row 2 ") {
			t.Errorf("good row 2 reported: %s", f)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields = %v", got)
	}
}

func TestParseCSVFileErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string
	}{
		{"empty file", "", "invalid_csv"},
		{"missing columns", "code,name\n6-31-01-03,电工\n", "validation_failed"},
		{"no rows", header, "validation_failed"},
		{"broken quoting", header + "\"6-31-01-03,电工\n", "invalid_csv"},
	}
	for _, tt := range tests {
		_, err := ParseCSV(strings.NewReader(tt.in))
		if platform.CodeOf(err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
}

func TestParseCSVCapsErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for i := 0; i < 1000; i++ {
		b.WriteString("bad,x,6,m,6-31,mid,6-31-01,min,0,0,--,9,0,0,0,n\n")
	}
	_, err := ParseCSV(strings.NewReader(b.String()))
	var pe *platform.Error
	if !errors.As(err, &pe) || len(pe.Fields) > maxErrors+10 {
		t.Fatalf("error with %d fields", len(pe.Fields))
	}
}

func TestStandardsOverlayIsChecked(t *testing.T) {
	// A curated row whose name does not match its code would silently describe the wrong occupation.
	const head = "code,name,subtypes,levels,standard_year,note\n"
	for name, row := range map[string]string{
		"name mismatch":      "6-31-01-03,焊工,--,5|4|3|2|1,2018,x\n",
		"category 2":         "2-02-38-01,人工智能工程技术人员,--,3|2|1,2021,x\n",
		"unknown occupation": "6-99-99-99,不存在,--,5,0,x\n",
		"duplicate":          "6-31-01-03,电工,--,5,0,x\n6-31-01-03,电工,--,5,0,x\n",
	} {
		if _, err := build(occupationsCSV, newOccupationsCSV, []byte(head+row)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if occs, err := build(occupationsCSV, newOccupationsCSV, []byte(head+"6-31-01-03,电工,--,5|4|3,2018,x\n")); err != nil || byCode(occs)["6-31-01-03"].Levels[2] != 3 {
		t.Errorf("valid overlay: %v", err)
	}
	_, err := readStandards(strings.NewReader("code,name,subtypes,levels,standard_year,note\n6-31-01-03,电工,--,5|4|7,2018,x\n"))
	if platform.CodeOf(err) != "validation_failed" {
		t.Errorf("level 7 accepted: %v", err)
	}
	_, err = readStandards(strings.NewReader("code,name,subtypes,levels,standard_year,note\n6-31-01-03,电工,--,5,2018,\n"))
	if platform.CodeOf(err) != "validation_failed" {
		t.Errorf("row without basis accepted: %v", err)
	}
}

func BenchmarkOccupations(b *testing.B) {
	for b.Loop() {
		if _, err := Occupations(); err != nil {
			b.Fatal(err)
		}
	}
}
