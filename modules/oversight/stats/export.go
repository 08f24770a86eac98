package stats

import (
	"bytes"
	"encoding/csv"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
)

// tables are the exportable tables of the statistics, each a header and its rows.
func tables(st Stats) map[string][][]string {
	certs := [][]string{{"institution_id", "institution", "occupation_code", "level", "month", "issued", "revoked", "valid"}}
	for _, r := range st.Rows {
		certs = append(certs, []string{r.InstitutionID.String(), r.InstitutionName, r.OccupationCode, strconv.Itoa(r.Level), r.Month,
			itoa(r.Issued), itoa(r.Revoked), itoa(r.Valid)})
	}
	rates := [][]string{{"institution_id", "institution", "occupation_code", "level", "batches", "candidates", "passed", "rate"}}
	for _, r := range st.PassRatesByInst {
		id := ""
		if r.InstitutionID != nil {
			id = r.InstitutionID.String()
		}
		rates = append(rates, []string{id, r.Name, r.OccupationCode, strconv.Itoa(r.Level), strconv.Itoa(r.Batches), itoa(r.Candidates),
			itoa(r.Passed), strconv.FormatFloat(r.Rate, 'f', 4, 64)})
	}
	late := [][]string{{"institution_id", "institution", "batch_id", "occupation_code", "level", "exam_end", "due_on", "published_on"}}
	for _, r := range st.Late {
		late = append(late, []string{r.InstitutionID.String(), r.Name, r.BatchID, r.OccupationCode, strconv.Itoa(r.Level), r.ExamEnd, r.DueOn, r.PublishedOn})
	}
	return map[string][][]string{"certificates": certs, "pass_rates": rates, "late_results": late}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// CSV writes one table of the statistics as CSV (UTF-8 with a byte-order mark, which is what
// spreadsheet programs in Chinese locales need to read the names right).
func CSV(st Stats, table string) ([]byte, error) {
	rows, ok := tables(st)[table]
	if !ok {
		return nil, core.BadParam("table", "table must be certificates, pass_rates or late_results")
	}
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// XLSX writes the statistics as a workbook with one sheet per table.
func XLSX(st Stats) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	tabs := tables(st)
	for i, name := range []string{"certificates", "pass_rates", "late_results"} {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return nil, err
		}
		for r, row := range tabs[name] {
			cells := make([]any, len(row))
			for c, v := range row {
				cells[c] = v
				if r > 0 {
					if n, err := strconv.ParseInt(v, 10, 64); err == nil && (name != "certificates" || c >= 5) && c != 0 {
						cells[c] = n
					}
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := sw.SetRow(cell, cells); err != nil {
				return nil, err
			}
		}
		if err := sw.Flush(); err != nil {
			return nil, err
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, platform.Wrap(platform.KindInternal, "internal", "writing the workbook", err)
	}
	return buf.Bytes(), nil
}
