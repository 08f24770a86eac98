package console

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// TestAppRowKeyCoversEveryField guards the applications table's row cache (page_batches_rows.go): the
// key must change with every field the row template can read — each field of the row, of a score, of the
// row's words, and the actions column — or a changed row could be served from the cache. A field added
// to appRowView, scoreCell or appRowLabels and not to the key fails here.
func TestAppRowKeyCoversEveryField(t *testing.T) {
	base := appRowView{ID: "id", Name: "name", IDNumber: "idn", Status: "s", StatusWord: "w", Reasons: []string{"r"},
		ReviewNote: "n", Scores: []scoreCell{{Method: "theory", Score: "60"}}, Result: "pass", Created: "d", PaidConfirm: "c"}
	labels := appRowLabels{Held: "h", PaidYes: "y", PaidNo: "n", Exempt: "e", Approve: "a", RejectAsk: "r", MarkPaid: "m"}
	key := func(l appRowLabels, actions bool, r appRowView) string {
		return string(appRowKey(appRowKeyPrefix(nil, &l, actions), &r))
	}
	want := key(labels, true, base)
	if key(labels, false, base) == want {
		t.Errorf("the actions column is not in the key")
	}
	// change returns a copy of v with its field i changed.
	change := func(v reflect.Value, i int) reflect.Value {
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		f := c.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Slice:
			f.Set(reflect.Append(reflect.MakeSlice(f.Type(), 0, f.Len()+1), reflect.Zero(f.Type().Elem())))
		default:
			t.Fatalf("%s.%s: a %s; teach this test (and the key) about it", v.Type(), v.Type().Field(i).Name, f.Kind())
		}
		return c
	}
	row := reflect.ValueOf(base)
	for i := range row.NumField() {
		if got := key(labels, true, change(row, i).Interface().(appRowView)); got == want {
			t.Errorf("appRowView.%s is not in the row's key", row.Type().Field(i).Name)
		}
	}
	score := reflect.ValueOf(base.Scores[0])
	for i := range score.NumField() {
		r := base
		r.Scores = []scoreCell{change(score, i).Interface().(scoreCell)}
		if got := key(labels, true, r); got == want {
			t.Errorf("scoreCell.%s is not in the row's key", score.Type().Field(i).Name)
		}
	}
	lv := reflect.ValueOf(labels)
	for i := range lv.NumField() {
		if got := key(change(lv, i).Interface().(appRowLabels), true, base); got == want {
			t.Errorf("appRowLabels.%s is not in the row's key", lv.Type().Field(i).Name)
		}
	}
	// Length prefixes: moving text from one field to the next is another key.
	a, b := base, base
	a.Name, a.IDNumber = "ab", "c"
	b.Name, b.IDNumber = "a", "bc"
	if key(labels, true, a) == key(labels, true, b) {
		t.Errorf("two rows differing in where a field ends share a key")
	}
}

// TestListStateKeyCoversEveryField guards the cache of the applications page's head: the list's state in
// its key changes with every field of listView.
func TestListStateKeyCoversEveryField(t *testing.T) {
	base := listView{path: "/p", query: url.Values{"q": {"a"}}, spec: applicationList, Sort: "created_at", Cursor: "c", Next: "n", format: "html"}
	want := listStateKey(base)
	changes := map[string]func(*listView){
		"path":   func(l *listView) { l.path = "/q" },
		"query":  func(l *listView) { l.query = url.Values{"q": {"b"}} },
		"spec":   func(l *listView) { l.spec = &httpx.List{Sorts: []string{"other"}} },
		"Sort":   func(l *listView) { l.Sort = "name" },
		"Desc":   func(l *listView) { l.Desc = true },
		"Cursor": func(l *listView) { l.Cursor = "d" },
		"Next":   func(l *listView) { l.Next = "m" },
		"format": func(l *listView) { l.format = "xlsx" },
	}
	fields := reflect.TypeFor[listView]()
	for i := range fields.NumField() {
		change, ok := changes[fields.Field(i).Name]
		if !ok {
			t.Errorf("listView.%s: not known to this test (nor, likely, to listStateKey)", fields.Field(i).Name)
			continue
		}
		l := base
		change(&l)
		if listStateKey(l) == want {
			t.Errorf("listView.%s is not in the list's state key", fields.Field(i).Name)
		}
	}
}
