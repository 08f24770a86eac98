package eligibility

import "testing"

func TestParseDeclarations(t *testing.T) {
	edu := []struct {
		in   string
		want Education
		ok   bool
	}{
		{"bachelor", EduBachelor, true}, {"本科", EduBachelor, true}, {" Technical_School ", EduTechnicalSchool, true},
		{"技师学院", EduTechnicianCollege, true}, {"senior_high", "", false}, {"", "", false},
	}
	for _, c := range edu {
		if got, ok := ParseEducation(c.in); got != c.want || ok != c.ok {
			t.Errorf("ParseEducation(%q) = %q %v", c.in, got, ok)
		}
	}
	titles := []struct {
		in   string
		want Title
		ok   bool
	}{
		{"", TitleNone, true}, {"无", TitleNone, true}, {"intermediate", TitleIntermediate, true}, {"中级", TitleIntermediate, true},
		{"副高级职称", TitleDeputySenior, true}, {"professor", TitleNone, false},
	}
	for _, c := range titles {
		if got, ok := ParseTitle(c.in); got != c.want || ok != c.ok {
			t.Errorf("ParseTitle(%q) = %q %v", c.in, got, ok)
		}
	}
	awards := []struct {
		in   string
		want AwardKind
		ok   bool
	}{
		{"world_skills", AwardWorldSkills, true}, {"全国技术能手", AwardNationalTechnicalExpert, true}, {"优秀员工", "", false},
	}
	for _, c := range awards {
		if got, ok := ParseAwardKind(c.in); got != c.want || ok != c.ok {
			t.Errorf("ParseAwardKind(%q) = %q %v", c.in, got, ok)
		}
	}
}
