package catalog

import (
	"strconv"
	"strings"

	"github.com/skillcert/skillcert/modules/platform"
)

// Level is a rung of the skill ladder.
//
// The five national levels keep their printed number as value: Level5 is 5 (五级/初级工) and Level1 is 1
// (一级/高级技师), so the level digit of a certificate number, a column of the occupations seed or a value
// from the regulator's system converts with Level(n) and no table. The "new eight-level" ladder of
// 人社部发〔2022〕14号 adds three rungs that enterprises may use: 学徒工 below level 5, and 特级技师 and
// 首席技师 above level 1. They take the values 6, 7 and 8, chosen only to stay clear of 1..5; their
// order on the ladder is given by Rank, never by comparing values (a higher value is not a higher rung).
//
// The zero value is LevelUnknown, which is not a valid level.
type Level int

// The rungs of the ladder. Values are stable: they are stored in the database.
const (
	LevelUnknown Level = 0

	Level1 Level = 1 // 一级/高级技师, senior technician
	Level2 Level = 2 // 二级/技师, technician
	Level3 Level = 3 // 三级/高级工, senior worker
	Level4 Level = 4 // 四级/中级工, intermediate worker
	Level5 Level = 5 // 五级/初级工, junior worker

	// LevelApprentice (学徒工) is the enterprise rung below level 5.
	LevelApprentice Level = 6
	// LevelSpecialTechnician (特级技师) is an enterprise appointment (评聘) above level 1.
	LevelSpecialTechnician Level = 7
	// LevelChiefTechnician (首席技师) is an enterprise appointment above 特级技师, which it requires.
	LevelChiefTechnician Level = 8
)

// levelInfo describes one rung; the table is the single source of names and order.
type levelInfo struct {
	rank  int    // position on the ladder, 1 = apprentice … 8 = chief technician
	code  string // stable text form used in JSON and URLs
	label string // the Chinese name as printed on certificates
	short string // the short Chinese name (初级工, 技师 …)
	en    string // English name
}

var levels = map[Level]levelInfo{
	LevelApprentice:        {1, "apprentice", "学徒工", "学徒工", "apprentice"},
	Level5:                 {2, "5", "五级/初级工", "初级工", "junior worker"},
	Level4:                 {3, "4", "四级/中级工", "中级工", "intermediate worker"},
	Level3:                 {4, "3", "三级/高级工", "高级工", "senior worker"},
	Level2:                 {5, "2", "二级/技师", "技师", "technician"},
	Level1:                 {6, "1", "一级/高级技师", "高级技师", "senior technician"},
	LevelSpecialTechnician: {7, "special_technician", "特级技师", "特级技师", "special technician"},
	LevelChiefTechnician:   {8, "chief_technician", "首席技师", "首席技师", "chief technician"},
}

// Ladder returns the eight rungs from the lowest (学徒工) to the highest (首席技师).
func Ladder() []Level {
	return []Level{LevelApprentice, Level5, Level4, Level3, Level2, Level1, LevelSpecialTechnician, LevelChiefTechnician}
}

// NationalLevels returns the five levels a national standard can set, from 五级 to 一级.
func NationalLevels() []Level {
	return []Level{Level5, Level4, Level3, Level2, Level1}
}

// Valid reports whether l is one of the eight rungs.
func (l Level) Valid() bool {
	_, ok := levels[l]
	return ok
}

// IsNational reports whether l is one of the five national levels, the only ones a certificate number
// (人社鉴发〔2019〕2号, character 16) and a national standard know.
func (l Level) IsNational() bool { return l >= Level1 && l <= Level5 }

// IsAppointment reports whether l is reached by enterprise appointment (评聘) rather than by an exam:
// 特级技师 and 首席技师.
func (l Level) IsAppointment() bool {
	return l == LevelSpecialTechnician || l == LevelChiefTechnician
}

// Rank is the position of l on the ladder: 1 for 学徒工, 2 for 五级 … 6 for 一级, 7 for 特级技师,
// 8 for 首席技师, and 0 for an invalid level. Compare levels by Rank.
func (l Level) Rank() int { return levels[l].rank }

// Above reports whether l is a higher rung than o. An invalid level is below every valid one.
func (l Level) Above(o Level) bool { return l.Rank() > o.Rank() }

// Next returns the rung directly above l, or LevelUnknown above 首席技师 or for an invalid level.
func (l Level) Next() Level {
	r := l.Rank()
	if r == 0 {
		return LevelUnknown
	}
	ladder := Ladder()
	if r >= len(ladder) {
		return LevelUnknown
	}
	return ladder[r]
}

// Code is the stable text form: "5" … "1" for national levels, "apprentice", "special_technician",
// "chief_technician" for the enterprise rungs, "" for an invalid level.
func (l Level) Code() string { return levels[l].code }

// Label is the Chinese name as printed on a certificate: "三级/高级工", "特级技师" …
// An invalid level gives "".
func (l Level) Label() string { return levels[l].label }

// ShortLabel is the Chinese name without the number: "高级工", "技师" …
func (l Level) ShortLabel() string { return levels[l].short }

// LabelEN is the English name: "senior worker", "chief technician" …
func (l Level) LabelEN() string { return levels[l].en }

// String returns the Code, or "Level(n)" for an invalid value so that logs show what was there.
func (l Level) String() string {
	if c := l.Code(); c != "" {
		return c
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// MarshalText encodes l as its Code; an invalid level is an error rather than a silent "".
func (l Level) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, platform.E(platform.KindInternal, "invalid_level", "cannot encode "+l.String())
	}
	return []byte(l.Code()), nil
}

// UnmarshalText accepts everything ParseLevel does.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// levelNames maps every accepted spelling (lower-cased, without spaces) to its level. Built once from
// the table above plus the spellings found on older certificates and forms.
var levelNames = func() map[string]Level {
	m := map[string]Level{}
	cn := map[Level]string{Level5: "五级", Level4: "四级", Level3: "三级", Level2: "二级", Level1: "一级"}
	for l, info := range levels {
		m[info.code] = l
		m[info.label] = l
		m[info.short] = l
		m[strings.ReplaceAll(info.en, " ", "")] = l
		m[strings.ReplaceAll(info.en, " ", "_")] = l
		if n, ok := cn[l]; ok {
			m[n] = l
			m["level"+info.code] = l
			m["国家职业资格"+n] = l
		}
	}
	m["学徒"] = LevelApprentice
	m["special"] = LevelSpecialTechnician
	m["chief"] = LevelChiefTechnician
	return m
}()

// ParseLevel reads a level from any of its usual spellings: "3", "三级", "高级工", "三级/高级工",
// "level 3", "senior worker", "学徒工", "特级技师", "chief_technician" … Surrounding and inner spaces
// and letter case are ignored; full-width digits are accepted. Anything else is an invalid_level error.
func ParseLevel(s string) (Level, error) {
	key := strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '\t' || r == '\u3000':
			return -1
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '／':
			return '/'
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
	if l, ok := levelNames[key]; ok {
		return l, nil
	}
	return LevelUnknown, platform.E(platform.KindUnprocessable, "invalid_level",
		"unknown skill level "+strconv.Quote(s)+" (use 5..1, apprentice, special_technician or chief_technician)")
}
