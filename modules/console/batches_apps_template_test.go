package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/testkit"
)

// TestBatchApplicationsPageEscapes checks that the applications page, rendered by html/template from
// per-row view models, escapes what candidates and reviewers typed in every context it appears in (the
// link text, the mark-paid confirmation attribute, the review note), in both languages.
func TestBatchApplicationsPageEscapes(t *testing.T) {
	k := testkit.New(t)
	org := batchOrg(t, k)
	staff := signInAs(t, k, org, "staff")
	id := createBatch(t, staff, nil)
	base := "/batches/" + id.String()
	p := staff.do("GET", base, nil)
	staff.do("POST", base+"/publish", url.Values{"_csrf": {staff.csrf(p)}})
	applyCandidate(t, k, org, id, `王<b>明&"`, map[string]any{"occupation_years": 6, "current_level": 5, "current_level_obtained_on": "2020-06-01"}, nil)
	champ := applyCandidate(t, k, org, id, "张三丰", map[string]any{"awards": []string{"national_competition"}},
		map[string]any{"route": "direct_recognition", "evidence_file_ids": []string{"file-award"}})
	pending := applyCandidate(t, k, org, id, "欧阳娜娜", map[string]any{"awards": []string{"national_competition"}},
		map[string]any{"route": "direct_recognition", "evidence_file_ids": []string{"file-award"}})
	k.Do(t, "POST", "/api/v1/applications/"+champ.String()+"/review", org.Tokens["staff"],
		map[string]any{"decision": "reject", "reason": "材料<script>不全"}).Want(t, http.StatusOK)
	for _, c := range []struct{ lang, note, confirm string }{
		{"zh-CN", "审核意见：材料&lt;script&gt;不全", `data-confirm="确认已收到王&lt;b&gt;明&amp;&#34;的报名费？"`},
		{"en", "Review note: 材料&lt;script&gt;不全", `data-confirm="Confirm the fee of 王&lt;b&gt;明&amp;&#34; was received?"`},
	} {
		staff.lang = c.lang
		apps := staff.do("GET", base+"/applications", nil)
		wantIn(t, apps, `">王&lt;b&gt;明&amp;&#34;</a>`, c.confirm, c.note,
			`<tr class="todo"><td><a href="/applications/`+pending.String()+`">欧阳娜娜</a>`,
			`<label class="sr" for="reason-`+pending.String()+`">`)
		for _, raw := range []string{"<b>", "<script>"} {
			if strings.Contains(apps.body, raw) {
				t.Errorf("%s: unescaped %s in the page", c.lang, raw)
			}
		}
		if n := strings.Count(apps.body, `name="_csrf" value="`+staff.csrf(apps)+`"`); n < 5 {
			t.Errorf("%s: %d forms carry the csrf token, want 5 (3 mark-paid, approve, reject)", c.lang, n)
		}
	}
}
