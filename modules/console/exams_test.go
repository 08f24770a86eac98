package console_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/testkit"
)

// checkInScenario makes an institution with a closed batch of one candidate, seated in a theory
// session running now; it returns the institution, the batch and the candidate's id number.
func checkInScenario(t *testing.T, k *testkit.Kit) (*testkit.Org, uuid.UUID, string) {
	t.Helper()
	org, batch, idNumber := examScenario(t, k)
	path := "/api/v1/batches/" + batch.String()
	site := k.Do(t, "POST", "/api/v1/exam-sites", org.Admin, map[string]any{"name": "朝阳考点", "address": "朝阳路1号",
		"rooms": []map[string]any{{"name": "第1考场", "kind": "theory", "seats": 30}}}).Want(t, http.StatusCreated)
	var s struct {
		Rooms []struct{ ID uuid.UUID } `json:"rooms"`
	}
	site.Decode(t, &s)
	now := time.Now().UTC().Truncate(time.Second)
	k.Do(t, "POST", path+"/sessions", org.Admin, map[string]any{"method": "theory", "starts_at": now.Add(-10 * time.Minute).Format(time.RFC3339),
		"ends_at": now.Add(time.Hour).Format(time.RFC3339), "room_ids": []string{s.Rooms[0].ID.String()}}).Want(t, http.StatusCreated)
	k.Do(t, "POST", path+"/arrangement", org.Admin, map[string]any{"mode": "sequential"}).Want(t, http.StatusOK)

	return org, batch, idNumber
}

// TestConsoleCheckIn: the check-in page takes a typed id number (or a scanned token) in one field,
// shows the person with room and seat, says so on a second scan, refuses a stranger, keeps the focus
// for the next scan, and is refused to a role without check-in.
func TestConsoleCheckIn(t *testing.T) {
	k := testkit.New(t)
	org, batch, idNumber := checkInScenario(t, k)
	b := newBrowser(t, k)
	b.login(org.Tenant.Slug, org.Users["supervisor"].Username, testkit.Password)
	pg := b.do("GET", "/batches/"+batch.String()+"/check-in", nil)
	if pg.status != http.StatusOK || !strings.Contains(pg.body, `name="ticket"`) || !strings.Contains(pg.body, "autofocus") ||
		!strings.Contains(pg.body, "考生签到") || !strings.Contains(pg.body, " selected") {
		t.Fatalf("check-in page %d:\n%s", pg.status, pg.body)
	}
	sid := regexpSelected(t, pg.body)
	post := func(v string) page {
		return b.do("POST", "/batches/"+batch.String()+"/check-in", url.Values{"_csrf": {b.csrf(pg)}, "session_id": {sid}, "ticket": {v}})
	}
	first := post(strings.ToLower(idNumber))
	if first.status != http.StatusOK || !strings.Contains(first.body, "王小明") || !strings.Contains(first.body, "第1考场 · 1号座位") ||
		!strings.Contains(first.body, "签到成功") || !strings.Contains(first.body, "autofocus") {
		t.Fatalf("first check-in %d:\n%s", first.status, first.body)
	}
	again := post(idNumber)
	if !strings.Contains(again.body, "已签到") {
		t.Fatalf("second check-in:\n%s", again.body)
	}
	stranger := post("110105199001019999")
	if stranger.status != http.StatusUnprocessableEntity || !strings.Contains(stranger.body, "准考证无效") {
		t.Fatalf("stranger %d:\n%s", stranger.status, stranger.body)
	}
	forged := post("T1.2026000100001.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA")
	if forged.status != http.StatusUnprocessableEntity || !strings.Contains(forged.body, "准考证无效") {
		t.Fatalf("forged %d:\n%s", forged.status, forged.body)
	}

	ev := newBrowser(t, k)
	ev.login(org.Tenant.Slug, org.Users["evaluator"].Username, testkit.Password)
	if p := ev.do("GET", "/batches/"+batch.String()+"/check-in", nil); p.status != http.StatusForbidden {
		t.Fatalf("an evaluator gets the check-in page: %d", p.status)
	}
}

// regexpSelected is the value of the selected option.
func regexpSelected(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `" selected>`)
	j := strings.LastIndex(body[:i], `value="`)
	if i < 0 || j < 0 {
		t.Fatalf("no selected session:\n%s", body)
	}
	return body[j+len(`value="`) : i]
}

// TestBrowserCheckIn: on a phone-wide screen, a USB scanner (keyboard wedge) types the id number and
// Enter; the person appears with room and seat and the field has the focus again for the next scan.
func TestBrowserCheckIn(t *testing.T) {
	k := testkit.New(t)
	org, batch, idNumber := checkInScenario(t, k)
	c := newChrome(t, k, 360, 740)
	c.do("login", chromedp.EmulateViewport(360, 740), chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
		chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
		chromedp.SendKeys(chromedp.CSS(`#username`), org.Users["supervisor"].Username),
		chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`nav.side`)))
	c.do("open", chromedp.Navigate(c.base+"/batches/"+batch.String()+"/check-in"), chromedp.WaitVisible(chromedp.CSS(`#ticket`)))
	c.do("scan", chromedp.SendKeys(chromedp.CSS(`#ticket`), idNumber+"\n"), chromedp.WaitVisible(chromedp.CSS(`.checkin-result`)))
	if got := c.text("scan", ".checkin-result"); !strings.Contains(got, "王小明") || !strings.Contains(got, "1号座位") {
		c.fail("scan", "result %q", got)
	}
	focused, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil || focused != "ticket" {
		c.fail("scan", "focus on %q (%v), want the ticket field", focused, err)
	}
	wide, err := chromedp.Run(c.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || wide > 360 {
		c.fail("scan", "the page is %d px wide on a 360 px screen (%v)", wide, err)
	}
	if os.Getenv("SKILLCERT_SCREENSHOTS") != "" {
		t.Logf("check-in (phone, zh-CN): %s", c.screenshot("phone-zh"))
		c.do("english", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #ticket`)),
			chromedp.SendKeys(chromedp.CSS(`#ticket`), idNumber+"\n"), chromedp.WaitVisible(chromedp.CSS(`.checkin-result`)))
		t.Logf("check-in (phone, en): %s", c.screenshot("phone-en"))
		d := newChrome(t, k, 1280, 800)
		d.do("login", chromedp.Navigate(d.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
			chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
			chromedp.SendKeys(chromedp.CSS(`#username`), org.Users["supervisor"].Username),
			chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
			chromedp.WaitVisible(chromedp.CSS(`nav.side`)),
			chromedp.Navigate(d.base+"/batches/"+batch.String()+"/check-in"), chromedp.WaitVisible(chromedp.CSS(`#ticket`)),
			chromedp.SendKeys(chromedp.CSS(`#ticket`), "110105199001019999\n"), chromedp.WaitVisible(chromedp.CSS(`.banner`)))
		t.Logf("check-in (desktop, refused): %s", d.screenshot("desktop-zh"))
	}
}
