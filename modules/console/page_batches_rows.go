package console

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"html/template"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/skillcert/skillcert/modules/batches"
)

// The applications table's rows, rendered once and reused (docs/benchmarks.md, "Console: applications
// page"). A row is rendered by html/template ({{define "app_row"}} in batches_applications.html) from
// an appRowInput, and its HTML is cached under a key that encodes that input whole: every field of the
// row's view model (which buttons it shows included), every word the row prints, and whether the actions
// column is there. Nothing else reaches the row template — the csrf token and the return address are in
// the page's shared forms, the buttons only name them — so the same key always means the same HTML: no
// invalidation, and a changed application (a new status, a payment, a review note, another language or
// a user who may not review) makes another key, never a stale row.

// appRowInput is everything the "app_row" template reads.
type appRowInput struct {
	Row     *appRowView
	Labels  *appRowLabels
	Actions bool // the table has the actions column
}

// appRowLabels are the words a row prints, looked up once per page.
type appRowLabels struct {
	Held, PaidYes, PaidNo, Exempt, Approve, RejectAsk, MarkPaid string
}

// appRowCacheSize bounds the rows' cache: a row's HTML and key are about 2 KB, so at most some 8 MB — 80
// pages of 50 rows, the pages a few reviewers go back and forth between. appTopCacheSize bounds the
// pages' heads (some 6 KB each with the key: at most 3 MB).
const (
	appRowCacheSize = 4096
	appTopCacheSize = 512
)

// appRowCache holds the applications page's rendered fragments: its rows and its heads.
type appRowCache struct {
	rows, tops *fragments
}

func newAppRowCache() *appRowCache {
	return &appRowCache{rows: newFragments(appRowCacheSize), tops: newFragments(appTopCacheSize)}
}

// fragments maps a fragment's key, hashed, to the key itself and the fragment's HTML, least recently used
// first out. A hit is checked against the whole key (two keys with one hash are a miss, then the newer
// fragment takes the place), so a lookup needs no allocation and is still exact.
type fragments struct {
	seed maphash.Seed
	lru  *lru.Cache[uint64, fragment]
}

type fragment struct {
	key  string
	html template.HTML
}

func newFragments(size int) *fragments {
	c, err := lru.New[uint64, fragment](size)
	if err != nil {
		panic(err) // only for a size ≤ 0
	}
	return &fragments{seed: maphash.MakeSeed(), lru: c}
}

// get is the HTML cached under key, if any.
func (f *fragments) get(key []byte) (template.HTML, uint64, bool) {
	h := maphash.Bytes(f.seed, key)
	if e, ok := f.lru.Get(h); ok && e.key == string(key) {
		return e.html, h, true
	}
	return "", h, false
}

func (f *fragments) add(h uint64, key []byte, html template.HTML) {
	f.lru.Add(h, fragment{key: string(key), html: html})
}

// appTopInput is everything the "apps_top" template reads: the page down to the table's body.
type appTopInput struct {
	L             *loc `json:"-"` // in the key as Lang
	Lang          string
	Batch         batches.BatchView
	List          listView `json:"-"` // in the key as ListState
	ListState     string
	Base          string
	Tabs          []appTab
	StatusOptions []appOption
	Heads         []string
	Actions       bool
	Labels        *appLabels
}

// appTopHTML renders the page's head through "apps_top", or takes it from the cache. Its key is the
// input as JSON: every exported field (the batch whole, its updated_at included), with the language and
// the list's state (listStateKey) standing for the localizer and the list.
func (c *Console) appTopHTML(set *template.Template, in appTopInput) (template.HTML, error) {
	in.Lang, in.ListState = in.L.Lang(), listStateKey(in.List)
	key, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	html, h, ok := c.appRows.tops.get(key)
	if ok {
		return html, nil
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer renderBuffers.Put(buf)
	buf.Reset()
	if err := set.ExecuteTemplate(buf, "apps_top", in); err != nil {
		return "", fmt.Errorf("console: rendering the applications page's head: %w", err)
	}
	html = template.HTML(buf.String()) // #nosec G203 -- html/template's own output
	c.appRows.tops.add(h, key, html)
	return html, nil
}

// listStateKey is a list's whole state, what its methods (Value, Filtered, SortURL, SortState, Sortable,
// NextURL, FirstURL, ExportURL) read. TestListStateKeyCoversEveryField fails when listView gains a field.
func listStateKey(l listView) string {
	var sorts []string
	if l.spec != nil {
		sorts = l.spec.Sorts
	}
	b, _ := json.Marshal([]any{l.path, l.query.Encode(), sorts, l.Sort, l.Desc, l.Cursor, l.Next, l.format})
	return string(b)
}

// appRowsHTML renders the page's rows through the "app_row" template of set, taking each one from the
// cache when the same input was rendered before; the rows' HTML, in order, for the page to print.
func (c *Console) appRowsHTML(set *template.Template, labels *appRowLabels, actions bool, rows []appRowView) (template.HTML, error) {
	var out strings.Builder
	key := appRowKeyPrefix(make([]byte, 0, 1024), labels, actions)
	prefix := len(key)
	var buf *bytes.Buffer
	for i := range rows {
		key = appRowKey(key[:prefix], &rows[i])
		html, hash, ok := c.appRows.rows.get(key)
		if !ok {
			if buf == nil {
				buf = renderBuffers.Get().(*bytes.Buffer)
				defer renderBuffers.Put(buf)
			}
			buf.Reset()
			if err := set.ExecuteTemplate(buf, "app_row", appRowInput{Row: &rows[i], Labels: labels, Actions: actions}); err != nil {
				return "", fmt.Errorf("console: rendering an application's row: %w", err)
			}
			html = template.HTML(buf.String()) // #nosec G203 -- html/template's own output
			c.appRows.rows.add(hash, key, html)
		}
		if i == 0 {
			out.Grow(len(html) * len(rows) * 9 / 8)
		}
		out.WriteString(string(html))
	}
	return template.HTML(out.String()), nil // #nosec G203 -- html/template's output, row after row
}

// appRowKeyPrefix appends the part of a row's input shared by the page's rows to a key.
func appRowKeyPrefix(b []byte, l *appRowLabels, actions bool) []byte {
	for _, s := range []string{l.Held, l.PaidYes, l.PaidNo, l.Exempt, l.Approve, l.RejectAsk, l.MarkPaid} {
		b = keyString(b, s)
	}
	return keyBool(b, actions)
}

// appRowKey appends a row's view model to its key, every field, each length-prefixed so that no two
// different rows share a key. TestAppRowKeyCoversEveryField fails when a field is added and not here.
func appRowKey(b []byte, r *appRowView) []byte {
	for _, s := range [...]string{r.ID, r.Name, r.IDNumber, r.Status, r.StatusWord, r.ReviewNote, r.Result, r.Created, r.PaidConfirm} {
		b = keyString(b, s)
	}
	for _, v := range [...]bool{r.Held, r.Paid, r.Awaiting, r.Review, r.Pay} {
		b = keyBool(b, v)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Reasons)))
	for _, s := range r.Reasons {
		b = keyString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Scores)))
	for _, s := range r.Scores {
		b = keyString(b, s.Method)
		b = keyString(b, s.Score)
		b = keyBool(b, s.Exempt)
	}
	return b
}

func keyString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func keyBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}
