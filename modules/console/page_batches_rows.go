package console

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"html/template"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
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

// appRowCacheSize bounds the cache: a row's HTML and key are about 2 KB, so at most some 8 MB — 80 pages
// of 50 rows, the pages a few reviewers go back and forth between.
const appRowCacheSize = 4096

// appRowCache maps a row's input (its key) to its HTML, least recently used first out.
type appRowCache = lru.Cache[string, template.HTML]

func newAppRowCache() *appRowCache {
	rows, err := lru.New[string, template.HTML](appRowCacheSize)
	if err != nil {
		panic(err) // only for a size ≤ 0
	}
	return rows
}

// appRowsHTML renders the page's rows through the "app_row" template of set, taking each one from the
// cache when the same input was rendered before; the rows' HTML, in order, for the page to print.
func (c *Console) appRowsHTML(set *template.Template, labels *appRowLabels, actions bool, rows []appRowView) (template.HTML, error) {
	var key, out strings.Builder
	prefix := appRowKeyPrefix(labels, actions)
	var buf *bytes.Buffer
	for i := range rows {
		key.Reset()
		key.WriteString(prefix)
		appRowKey(&key, &rows[i])
		k := key.String()
		h, ok := c.appRows.Get(k)
		if !ok {
			if buf == nil {
				buf = renderBuffers.Get().(*bytes.Buffer)
				defer renderBuffers.Put(buf)
			}
			buf.Reset()
			if err := set.ExecuteTemplate(buf, "app_row", appRowInput{Row: &rows[i], Labels: labels, Actions: actions}); err != nil {
				return "", fmt.Errorf("console: rendering an application's row: %w", err)
			}
			h = template.HTML(buf.String()) // #nosec G203 -- html/template's own output
			c.appRows.Add(k, h)
		}
		if i == 0 {
			out.Grow(len(h) * len(rows))
		}
		out.WriteString(string(h))
	}
	return template.HTML(out.String()), nil // #nosec G203 -- html/template's output, row after row
}

// appRowKeyPrefix encodes the part of a row's input shared by the page's rows.
func appRowKeyPrefix(l *appRowLabels, actions bool) string {
	var b strings.Builder
	for _, s := range []string{l.Held, l.PaidYes, l.PaidNo, l.Exempt, l.Approve, l.RejectAsk, l.MarkPaid} {
		keyString(&b, s)
	}
	keyBool(&b, actions)
	return b.String()
}

// appRowKey appends a row's view model to its key, every field, each length-prefixed so that no two
// different rows share a key. TestAppRowKeyCoversEveryField fails when a field is added and not here.
func appRowKey(b *strings.Builder, r *appRowView) {
	for _, s := range []string{r.ID, r.Name, r.IDNumber, r.Status, r.StatusWord, r.ReviewNote, r.Result, r.Created, r.PaidConfirm} {
		keyString(b, s)
	}
	for _, v := range []bool{r.Held, r.Paid, r.Awaiting, r.Review, r.Pay} {
		keyBool(b, v)
	}
	keyLen(b, len(r.Reasons))
	for _, s := range r.Reasons {
		keyString(b, s)
	}
	keyLen(b, len(r.Scores))
	for _, s := range r.Scores {
		keyString(b, s.Method)
		keyString(b, s.Score)
		keyBool(b, s.Exempt)
	}
}

func keyLen(b *strings.Builder, n int) {
	var v [binary.MaxVarintLen64]byte
	b.Write(v[:binary.PutUvarint(v[:], uint64(n))])
}

func keyString(b *strings.Builder, s string) {
	keyLen(b, len(s))
	b.WriteString(s)
}

func keyBool(b *strings.Builder, v bool) {
	if v {
		b.WriteByte(1)
	} else {
		b.WriteByte(0)
	}
}
