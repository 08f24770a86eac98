package candidates

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/skillcert/skillcert/tenants"
)

// Template sheet names.
const (
	templateSheet = "考生信息"
	helpSheet     = "填写说明"
)

// templateNotes explain each column on the help sheet.
var templateNotes = map[string]string{
	fName:           "必填。与证件一致，按原样保存（少数民族、外籍姓名可含“·”和空格）。",
	fIDType:         "可空，默认居民身份证。可选：" + strings.Join(idTypes.labels(), "、") + "。",
	fIDNumber:       "必填。请将本列设为文本格式，避免 18 位号码被显示为科学计数法；全角数字和小写 x 会自动转换。",
	fPhone:          "手机号（11 位）或带区号的固定电话。",
	fEducation:      "必填。可选：" + strings.Join(educations.labels(), "、") + "。",
	fYears:          "累计从事本职业或相关职业的整年数，0–70。",
	fLevel:          "已取得的本职业（工种）或相关职业等级：五级/初级工 … 一级/高级技师；未取得请留空。",
	fLevelOn:        "现等级的取得日期，格式 2020-06-01；未取得等级请留空。",
	fTitle:          "职称等级，可选：" + strings.Join(titleLevels.labels(), "、") + "；无则留空。",
	fApprenticeship: "是 / 否。",
	fRelated:        "是否为本专业或相关专业毕业（可免理论考试）：是 / 否。",
	fAwards:         "多个奖项用“、”分隔，可选：" + strings.Join(awardKinds.labels(), "、") + "。",
	fStudentNo:      "技工院校必填：学生的学号，同一学校内不可重复。",
}

// templateColumns are the columns of the template for a tenant of kind: 学号 only for schools.
func templateColumns(kind tenants.Kind) []column {
	out := make([]column, 0, len(columns))
	for _, c := range columns {
		if c.field == fStudentNo && kind != tenants.KindSchool {
			continue
		}
		out = append(out, c)
	}
	return out
}

// ImportTemplate returns the XLSX template of the candidate import for a tenant of kind: the Chinese
// headers (required ones marked *), one example row that the import skips (its name starts with
// 【示例】), drop-down lists for the closed vocabularies, text-formatted number columns so Excel keeps
// 18-digit ID numbers intact, and a sheet explaining each column. The API field names are accepted as
// headers too.
func ImportTemplate(kind tenants.Kind) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", templateSheet); err != nil {
		return nil, err
	}
	cols := templateColumns(kind)
	required := map[string]bool{fName: true, fIDNumber: true, fEducation: true, fStudentNo: kind == tenants.KindSchool}

	headStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	if err != nil {
		return nil, err
	}
	textStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, err
	}
	dateFmt := "yyyy-mm-dd"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return nil, err
	}
	example := exampleRow(kind)
	for i, c := range cols {
		name, _ := excelize.ColumnNumberToName(i + 1)
		header := c.header
		if required[c.field] {
			header += "*"
		}
		if err := f.SetCellStr(templateSheet, name+"1", header); err != nil {
			return nil, err
		}
		width := 16.0
		switch c.field {
		case fIDNumber:
			width = 24
		case fEducation, fLevel, fAwards:
			width = 20
		}
		if err := f.SetColWidth(templateSheet, name, name, width); err != nil {
			return nil, err
		}
		switch c.field {
		case fIDNumber, fPhone, fStudentNo:
			if err := f.SetColStyle(templateSheet, name, textStyle); err != nil {
				return nil, err
			}
		case fLevelOn:
			if err := f.SetColStyle(templateSheet, name, dateStyle); err != nil {
				return nil, err
			}
		}
		if err := f.SetCellStr(templateSheet, name+"2", example[c.field]); err != nil {
			return nil, err
		}
		if list := dropList(c.field); list != nil {
			dv := excelize.NewDataValidation(true)
			dv.SetSqref(fmt.Sprintf("%s2:%s%d", name, name, DefaultImportLimits.MaxRows+1))
			if err := dv.SetDropList(list); err != nil {
				return nil, err
			}
			dv.SetError(excelize.DataValidationErrorStyleWarning, "请从列表中选择", templateNotes[c.field])
			if err := f.AddDataValidation(templateSheet, dv); err != nil {
				return nil, err
			}
		}
	}
	last, _ := excelize.ColumnNumberToName(len(cols))
	if err := f.SetCellStyle(templateSheet, "A1", last+"1", headStyle); err != nil {
		return nil, err
	}
	if err := f.SetPanes(templateSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := writeHelp(f, cols, required); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func dropList(field string) []string {
	switch field {
	case fIDType:
		return idTypes.labels()
	case fEducation:
		return educations.labels()
	case fLevel:
		return []string{"五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师", "特级技师", "首席技师"}
	case fTitle:
		return titleLevels.labels()
	case fApprenticeship, fRelated:
		return []string{"是", "否"}
	}
	return nil
}

// exampleRow is the template's example: a valid record under a name the import skips.
func exampleRow(kind tenants.Kind) map[string]string {
	body := "11010519900307123"
	check, _ := ResidentIDCheckChar(body)
	row := map[string]string{
		fName: exampleNamePrefix + "张三", fIDType: "居民身份证", fIDNumber: body + string(check), fPhone: "13800138000",
		fEducation: "中等职业学校", fYears: "6", fLevel: "五级/初级工", fLevelOn: "2020-06-01", fTitle: "",
		fApprenticeship: "否", fRelated: "是", fAwards: "", fStudentNo: "",
	}
	if kind == tenants.KindSchool {
		row[fStudentNo] = "2023010101"
		row[fYears] = "0"
	}
	return row
}

func writeHelp(f *excelize.File, cols []column, required map[string]bool) error {
	if _, err := f.NewSheet(helpSheet); err != nil {
		return err
	}
	rows := [][]string{
		{"列名", "接口字段名", "是否必填", "说明"},
	}
	for _, c := range cols {
		req := "否"
		if required[c.field] {
			req = "是"
		}
		rows = append(rows, []string{c.header, c.field, req, templateNotes[c.field]})
	}
	rows = append(rows, []string{}, []string{"说明", "", "", "第一行为表头，可使用中文列名或接口字段名；以“" + exampleNamePrefix +
		"”开头的示例行导入时自动忽略。同一证件号码重复导入时更新原记录，内容相同则不变。单个文件最多 50,000 行。"})
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		vals := make([]any, len(r))
		for j := range r {
			vals[j] = r[j]
		}
		if err := f.SetSheetRow(helpSheet, cell, &vals); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(helpSheet, "A", "B", 24); err != nil {
		return err
	}
	if err := f.SetColWidth(helpSheet, "C", "C", 10); err != nil {
		return err
	}
	return f.SetColWidth(helpSheet, "D", "D", 90)
}
