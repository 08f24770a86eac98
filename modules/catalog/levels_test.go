package catalog

import (
	"encoding/json"
	"testing"

	"github.com/skillcert/skillcert/modules/platform"
)

func TestLevelNames(t *testing.T) {
	tests := []struct {
		level      Level
		code       string
		label      string
		short      string
		en         string
		national   bool
		appointed  bool
		rank       int
		certDigits string // the digit printed as character 16 of a certificate number, if any
	}{
		{LevelApprentice, "apprentice", "学徒工", "学徒工", "apprentice", false, false, 1, ""},
		{Level5, "5", "五级/初级工", "初级工", "junior worker", true, false, 2, "5"},
		{Level4, "4", "四级/中级工", "中级工", "intermediate worker", true, false, 3, "4"},
		{Level3, "3", "三级/高级工", "高级工", "senior worker", true, false, 4, "3"},
		{Level2, "2", "二级/技师", "技师", "technician", true, false, 5, "2"},
		{Level1, "1", "一级/高级技师", "高级技师", "senior technician", true, false, 6, "1"},
		{LevelSpecialTechnician, "special_technician", "特级技师", "特级技师", "special technician", false, true, 7, ""},
		{LevelChiefTechnician, "chief_technician", "首席技师", "首席技师", "chief technician", false, true, 8, ""},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			l := tt.level
			if !l.Valid() || l.Code() != tt.code || l.Label() != tt.label || l.ShortLabel() != tt.short || l.LabelEN() != tt.en {
				t.Errorf("%d: got valid=%v code=%q label=%q short=%q en=%q", int(l), l.Valid(), l.Code(), l.Label(), l.ShortLabel(), l.LabelEN())
			}
			if l.IsNational() != tt.national || l.IsAppointment() != tt.appointed || l.Rank() != tt.rank {
				t.Errorf("%s: national=%v appointment=%v rank=%d", l, l.IsNational(), l.IsAppointment(), l.Rank())
			}
			if tt.certDigits != "" && Level(int(tt.certDigits[0]-'0')) != l {
				t.Errorf("certificate digit %s does not convert to %s", tt.certDigits, l)
			}
		})
	}
}

func TestLevelUnknown(t *testing.T) {
	for _, l := range []Level{LevelUnknown, Level(9), Level(-1)} {
		if l.Valid() || l.Rank() != 0 || l.Label() != "" || l.IsNational() {
			t.Errorf("%d should be invalid", int(l))
		}
		if _, err := l.MarshalText(); err == nil {
			t.Errorf("MarshalText(%d) should fail", int(l))
		}
	}
	if got := Level(9).String(); got != "Level(9)" {
		t.Errorf("String() = %q", got)
	}
}

func TestLadderOrder(t *testing.T) {
	ladder := Ladder()
	if len(ladder) != 8 {
		t.Fatalf("ladder has %d rungs, want 8", len(ladder))
	}
	for i := 1; i < len(ladder); i++ {
		if !ladder[i].Above(ladder[i-1]) || ladder[i-1].Above(ladder[i]) {
			t.Errorf("%s should be above %s", ladder[i], ladder[i-1])
		}
		if ladder[i-1].Next() != ladder[i] {
			t.Errorf("%s.Next() = %s, want %s", ladder[i-1], ladder[i-1].Next(), ladder[i])
		}
	}
	if LevelChiefTechnician.Next() != LevelUnknown || LevelUnknown.Next() != LevelUnknown {
		t.Error("no rung above chief technician or an unknown level")
	}
	// 首席技师 requires 特级技师, which sits above 一级; value order must not be used.
	if !LevelSpecialTechnician.Above(Level1) || !Level1.Above(Level2) || LevelApprentice.Above(Level5) {
		t.Error("appointment rungs out of order")
	}
	national := NationalLevels()
	if len(national) != 5 || national[0] != Level5 || national[4] != Level1 {
		t.Errorf("NationalLevels() = %v", national)
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want Level
	}{
		{"3", Level3},
		{" ３ ", Level3},
		{"三级", Level3},
		{"高级工", Level3},
		{"三级/高级工", Level3},
		{"三级／高级工", Level3},
		{"Level 3", Level3},
		{"senior worker", Level3},
		{"senior_worker", Level3},
		{"国家职业资格三级", Level3},
		{"技师", Level2},
		{"高级技师", Level1},
		{"一级/高级技师", Level1},
		{"初级工", Level5},
		{"中级工", Level4},
		{"学徒工", LevelApprentice},
		{"apprentice", LevelApprentice},
		{"特级技师", LevelSpecialTechnician},
		{"special_technician", LevelSpecialTechnician},
		{"首席技师", LevelChiefTechnician},
		{"Chief Technician", LevelChiefTechnician},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "6", "七级", "高级", "level 6", "master"} {
		_, err := ParseLevel(bad)
		if platform.CodeOf(err) != "invalid_level" || platform.KindOf(err) != platform.KindUnprocessable {
			t.Errorf("ParseLevel(%q) error = %v, want invalid_level", bad, err)
		}
	}
}

func TestLevelJSON(t *testing.T) {
	type doc struct {
		Level Level   `json:"level"`
		All   []Level `json:"all"`
	}
	in := doc{Level: LevelSpecialTechnician, All: Ladder()}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"level":"special_technician","all":["apprentice","5","4","3","2","1","special_technician","chief_technician"]}`
	if string(b) != want {
		t.Errorf("json = %s\nwant  %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out.Level != in.Level || len(out.All) != 8 || out.All[7] != LevelChiefTechnician {
		t.Errorf("round trip = %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"level":"三级"}`), &out); err != nil || out.Level != Level3 {
		t.Errorf("Chinese input = %v, %v", out.Level, err)
	}
	if err := json.Unmarshal([]byte(`{"level":"9"}`), &out); err == nil {
		t.Error("invalid level accepted")
	}
}
