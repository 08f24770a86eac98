package console

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// A list page is the shape users know from Chinese admin consoles: a search form above a table,
// column heads that sort, a pager, and an export of the filtered list to XLSX. The query string is the
// API's (`q`, the list's filters, `sort=-key`, `cursor`), parsed by the same httpx.List, so a console
// address and its API twin read the same list.
//
//	req, lv, err := c.parseList(fc, spec)          // the PageRequest and the list's state
//	if lv.Exporting() { return exportXLSX(fc, lv, "users", cols, req, fetch) }
//	page, err := fetch(req)
//	lv = lv.WithNext(page.NextCursor)              // then render with {{template "pager" …}}
//
// Templates use the partials of templates/_list.html: "sorth" for a sortable column head, "pager"
// for the links under the table, "export" for the toolbar's export link.

// listView is the state of a list page its template needs: the path and query that produced it, the
// sort, and the links to the next page, to sort by a column and to export.
type listView struct {
	path   string
	query  url.Values // q, filters and sort; never cursor or format
	spec   *httpx.List
	Sort   string
	Desc   bool
	Cursor string // the page shown ("" for the first)
	Next   string // the next page's cursor ("" on the last)
	format string
}

// parseList reads a list page's query with the API's rules (an unknown sort or a bad limit is the
// same 422 as the API's).
func (c *Console) parseList(fc *fiber.Ctx, spec *httpx.List) (platform.PageRequest, listView, error) {
	req, err := spec.Parse(fc)
	if err != nil {
		return req, listView{}, err
	}
	lv := listView{path: fc.Path(), query: url.Values{}, spec: spec, Sort: req.Sort, Desc: req.Desc, Cursor: req.Cursor,
		format: fc.Query("format")}
	fc.Context().QueryArgs().VisitAll(func(k, v []byte) {
		key := string(k)
		if key == "cursor" || key == "format" || key == "_csrf" {
			return
		}
		if val := strings.TrimSpace(string(v)); val != "" {
			lv.query.Add(key, val)
		}
	})
	if len(spec.Sorts) > 0 && req.Sort == "" {
		lv.Sort = strings.TrimPrefix(spec.Sorts[0], "-")
		lv.Desc = strings.HasPrefix(spec.Sorts[0], "-")
	}
	return req, lv, nil
}

// WithNext records the cursor of the page after the one shown.
func (l listView) WithNext(cursor string) listView { l.Next = cursor; return l }

// Exporting reports whether the request asks for the XLSX export of the filtered list (?format=xlsx).
func (l listView) Exporting() bool { return l.format == "xlsx" }

// Value is the current value of a query parameter, for the search form's fields.
func (l listView) Value(name string) string { return l.query.Get(name) }

// Filtered reports whether the list is narrowed by a search or filter (the empty state then says "no
// match" rather than "nothing yet").
func (l listView) Filtered() bool {
	for k := range l.query {
		if k != "sort" && k != "limit" {
			return true
		}
	}
	return false
}

func (l listView) url(q url.Values) string {
	if len(q) == 0 {
		return l.path
	}
	return l.path + "?" + q.Encode()
}

func (l listView) clone() url.Values {
	q := url.Values{}
	for k, v := range l.query {
		q[k] = append([]string(nil), v...)
	}
	return q
}

// NextURL is the address of the next page, "" on the last.
func (l listView) NextURL() string {
	if l.Next == "" {
		return ""
	}
	q := l.clone()
	q.Set("cursor", l.Next)
	return l.url(q)
}

// FirstURL is the address of the first page, "" when it is the one shown.
func (l listView) FirstURL() string {
	if l.Cursor == "" {
		return ""
	}
	return l.url(l.clone())
}

// SortURL sorts by key: ascending first, descending when the list is already sorted by it ascending.
// The cursor is dropped (a cursor belongs to one order).
func (l listView) SortURL(key string) string {
	q := l.clone()
	if l.Sort == key && !l.Desc {
		q.Set("sort", "-"+key)
	} else {
		q.Set("sort", key)
	}
	return l.url(q)
}

// SortState is the column's aria-sort value.
func (l listView) SortState(key string) string {
	switch {
	case l.Sort != key:
		return "none"
	case l.Desc:
		return "descending"
	}
	return "ascending"
}

// Sortable reports whether the list may be sorted by key.
func (l listView) Sortable(key string) bool {
	for _, s := range l.spec.Sorts {
		if strings.TrimPrefix(s, "-") == key {
			return true
		}
	}
	return false
}

// ExportURL is the address of the filtered list as a workbook.
func (l listView) ExportURL() string {
	q := l.clone()
	q.Set("format", "xlsx")
	return l.url(q)
}

// column is one column of an export: its heading's message id and the cell of a row.
type column[T any] struct {
	Key  string
	Cell func(T) any
}

// maxExportRows bounds one export: a list longer than this is refused with a hint to narrow it,
// rather than holding the server for minutes.
const maxExportRows = 50_000

// errExportTooLarge refuses an export past maxExportRows.
var errExportTooLarge = platform.E(platform.KindInvalid, "export_too_large",
	fmt.Sprintf("the list has more than %d rows; narrow it with the search form before exporting", maxExportRows))

// exportXLSX sends every row of the filtered list (all pages, in the list's order) as a workbook
// whose first row holds the localized column heads. fetch is the same service call the page makes.
func exportXLSX[T any](fc *fiber.Ctx, l *loc, name string, cols []column[T], req platform.PageRequest,
	fetch func(context.Context, platform.PageRequest) (platform.Page[T], error)) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Sheet1"
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	head := make([]any, len(cols))
	for i, col := range cols {
		head[i] = l.T(col.Key)
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	req.Cursor, req.Limit = "", platform.MaxLimit
	row := 2
	for {
		page, err := fetch(fc.UserContext(), req)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if row-1 > maxExportRows {
				return errExportTooLarge
			}
			cells := make([]any, len(cols))
			for i, col := range cols {
				cells[i] = exportCell(col.Cell(it))
			}
			cell, _ := excelize.CoordinatesToCellName(1, row)
			if err := sw.SetRow(cell, cells); err != nil {
				return err
			}
			row++
		}
		if page.NextCursor == "" {
			break
		}
		req.Cursor = page.NextCursor
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	file := fmt.Sprintf("%s-%s.xlsx", name, time.Now().In(chinaTime).Format("20060102-1504"))
	fc.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	fc.Set(fiber.HeaderContentDisposition, `attachment; filename="`+file+`"`)
	return fc.Send(buf.Bytes())
}

// exportCell writes times in China time as text a spreadsheet shows as it reads (no time zone math in
// the reader's program), and everything else as it is.
func exportCell(v any) any {
	switch t := v.(type) {
	case time.Time:
		if t.IsZero() {
			return ""
		}
		return t.In(chinaTime).Format("2006-01-02 15:04:05")
	case *time.Time:
		if t == nil || t.IsZero() {
			return ""
		}
		return t.In(chinaTime).Format("2006-01-02 15:04:05")
	case fmt.Stringer:
		return t.String()
	}
	return v
}

// allPages reads every page of a list that stays small (a tenant's staff, a person's own applications
// or certificates), at most 20 pages of platform.MaxLimit, starting from req.
func allPages[T any](ctx context.Context, req platform.PageRequest,
	fetch func(context.Context, platform.PageRequest) (platform.Page[T], error)) ([]T, error) {
	var out []T
	for range 20 {
		page, err := fetch(ctx, req)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			break
		}
		req.Cursor = page.NextCursor
	}
	return out, nil
}
