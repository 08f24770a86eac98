package candidates

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Identity document types (证件类型). Values are stored and travel in JSON as written.
const (
	IDTypeResident          = "resident_id"                // 居民身份证
	IDTypePassport          = "passport"                   // 护照
	IDTypeHKMacaoPermit     = "hk_macao_permit"            // 港澳居民来往内地通行证
	IDTypeTaiwanPermit      = "taiwan_permit"              // 台湾居民来往大陆通行证
	IDTypeForeignPermanentR = "foreign_permanent_resident" // 外国人永久居留身份证
)

// Education kinds (学历). The school-leaving kinds are the eligibility engine's diploma kinds
// (modules/batches/eligibility.Education) with the same spelling, so batches maps a candidate's
// education to a Diploma without a table; primary, junior_high and senior_high are general education,
// which no application condition counts as a diploma.
const (
	EduPrimary               = "primary"                 // 小学
	EduJuniorHigh            = "junior_high"             // 初中
	EduSeniorHigh            = "senior_high"             // 普通高中
	EduTechnicalSchool       = "technical_school"        // 技工学校
	EduSecondaryVocational   = "secondary_vocational"    // 中等职业学校 (中专, 职高)
	EduSeniorTechnicalSchool = "senior_technical_school" // 高级技工学校
	EduTechnicianCollege     = "technician_college"      // 技师学院
	EduPreparatoryTechnician = "preparatory_technician"  // 技师学院预备技师班
	EduVocationalCollege     = "vocational_college"      // 高等职业学校 (高职)
	EduCollege               = "college"                 // 大专
	EduBachelor              = "bachelor"                // 本科
	EduMaster                = "master"                  // 硕士研究生
	EduDoctorate             = "doctorate"               // 博士研究生
)

// Professional title grades (职称), the eligibility engine's Title values; "" means none.
const (
	TitleNone         = ""
	TitleJunior       = "junior"        // 员级
	TitleAssistant    = "assistant"     // 助理级
	TitleIntermediate = "intermediate"  // 中级
	TitleDeputySenior = "deputy_senior" // 副高级
	TitleFullSenior   = "full_senior"   // 正高级
)

// term is one value of a closed vocabulary with the Chinese label the import template shows and
// the other spellings people type in spreadsheets.
type term struct {
	code    string
	label   string
	aliases []string
}

// vocabulary is a closed list of codes; lookups accept the code, the label or an alias.
type vocabulary struct {
	terms []term
	index map[string]string
}

func newVocabulary(terms ...term) *vocabulary {
	v := &vocabulary{terms: terms, index: map[string]string{}}
	for _, t := range terms {
		v.index[vocabKey(t.code)] = t.code
		v.index[vocabKey(t.label)] = t.code
		for _, a := range t.aliases {
			v.index[vocabKey(a)] = t.code
		}
	}
	return v
}

// vocabKey folds what people vary when typing a label: width, case, spaces, slashes and brackets.
func vocabKey(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '/', '(', ')', '（', '）', '-', '_', '·':
			return -1
		}
		return r
	}, s)
}

// lookup returns the code that s names (code, label or alias) and whether it names one.
func (v *vocabulary) lookup(s string) (string, bool) {
	c, ok := v.index[vocabKey(s)]
	return c, ok
}

// valid reports whether code is one of the codes (exact spelling).
func (v *vocabulary) valid(code string) bool {
	for _, t := range v.terms {
		if t.code == code {
			return true
		}
	}
	return false
}

func (v *vocabulary) codes() []string {
	out := make([]string, len(v.terms))
	for i, t := range v.terms {
		out[i] = t.code
	}
	return out
}

func (v *vocabulary) labels() []string {
	out := make([]string, len(v.terms))
	for i, t := range v.terms {
		out[i] = t.label
	}
	return out
}

var idTypes = newVocabulary(
	term{IDTypeResident, "居民身份证", []string{"身份证", "二代身份证", "居民身份证号码"}},
	term{IDTypePassport, "护照", []string{"外国护照", "中国护照"}},
	term{IDTypeHKMacaoPermit, "港澳居民来往内地通行证", []string{"港澳通行证", "回乡证", "港澳居民通行证"}},
	term{IDTypeTaiwanPermit, "台湾居民来往大陆通行证", []string{"台胞证", "台湾通行证", "台湾居民通行证"}},
	term{IDTypeForeignPermanentR, "外国人永久居留身份证", []string{"外国人永久居留证", "永久居留身份证", "永居证"}},
)

var educations = newVocabulary(
	term{EduPrimary, "小学", nil},
	term{EduJuniorHigh, "初中", []string{"初级中学"}},
	term{EduSeniorHigh, "高中", []string{"普通高中"}},
	term{EduTechnicalSchool, "技工学校", []string{"技校", "技工院校"}},
	term{EduSecondaryVocational, "中等职业学校", []string{"中专", "中职", "职高", "职业高中", "中等专业学校"}},
	term{EduSeniorTechnicalSchool, "高级技工学校", []string{"高级技校"}},
	term{EduTechnicianCollege, "技师学院", nil},
	term{EduPreparatoryTechnician, "技师学院预备技师班", []string{"预备技师班", "预备技师"}},
	term{EduVocationalCollege, "高等职业学校", []string{"高职", "高职高专"}},
	term{EduCollege, "大专", []string{"专科", "大学专科"}},
	term{EduBachelor, "本科", []string{"大学本科", "学士"}},
	term{EduMaster, "硕士研究生", []string{"硕士", "研究生"}},
	term{EduDoctorate, "博士研究生", []string{"博士"}},
)

var titleLevels = newVocabulary(
	term{TitleJunior, "员级", []string{"员级职称"}},
	term{TitleAssistant, "助理级", []string{"初级职称", "助理级职称", "助理"}},
	term{TitleIntermediate, "中级", []string{"中级职称"}},
	term{TitleDeputySenior, "副高级", []string{"副高", "副高级职称"}},
	term{TitleFullSenior, "正高级", []string{"正高", "正高级职称"}},
)

// awardKinds are the eligibility engine's AwardKind values (direct recognition and fast-track).
var awardKinds = newVocabulary(
	term{"world_skills", "世界技能大赛获奖", []string{"世界技能大赛"}},
	term{"china_skills_award", "中华技能大奖", nil},
	term{"national_technical_expert", "全国技术能手", nil},
	term{"national_competition", "国家级职业技能竞赛获奖", []string{"国家级竞赛", "国家级职业技能竞赛"}},
	term{"provincial_technical_expert", "省级技术能手", nil},
	term{"provincial_competition", "省级职业技能竞赛获奖", []string{"省级竞赛", "省级职业技能竞赛"}},
	term{"industry_competition", "行业职业技能竞赛获奖", []string{"行业竞赛", "行业职业技能竞赛"}},
	term{"enterprise_competition", "企业职业技能竞赛获奖", []string{"企业竞赛", "企业职业技能竞赛"}},
	term{"major_contribution", "技术创新、技术改造突出贡献", []string{"突出贡献"}},
)

// levelNames are the names a current level is written with in spreadsheets. Values follow
// catalog.Level: 1..5 the national levels, 7 特级技师 and 8 首席技师 (enterprise appointments); 6 (学徒工)
// is not a level a candidate "holds" for promotion and is not accepted.
var levelNames = map[string]int{
	"无": 0, "none": 0, "0": 0,
	"5": 5, "五级": 5, "初级工": 5, "五级初级工": 5, "初级": 5,
	"4": 4, "四级": 4, "中级工": 4, "四级中级工": 4,
	"3": 3, "三级": 3, "高级工": 3, "三级高级工": 3,
	"2": 2, "二级": 2, "技师": 2, "二级技师": 2,
	"1": 1, "一级": 1, "高级技师": 1, "一级高级技师": 1,
	"7": 7, "特级技师": 7, "special_technician": 7,
	"8": 8, "首席技师": 8, "chief_technician": 8,
}

// validLevel reports whether n is a level a candidate can hold: 0 (none), 1..5, 7 or 8.
func validLevel(n int) bool { return (n >= 0 && n <= 5) || n == 7 || n == 8 }

// IDTypes lists the identity document types, in the order forms offer them.
func IDTypes() []string { return idTypes.codes() }

// Educations lists the education codes, lowest first.
func Educations() []string { return educations.codes() }

// TitleLevels lists the professional title grades, lowest first (none is "").
func TitleLevels() []string { return titleLevels.codes() }

// AwardKinds lists the award codes a candidate may declare.
func AwardKinds() []string { return awardKinds.codes() }
