package console_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/skillcert/skillcert/modules/testkit"
)

// scoringLogin signs in by keyboard only: the login form's fields are typed into, Tab moving between
// them and Enter sending the form.
func scoringLogin(c *chrome, slug, username string) {
	c.t.Helper()
	c.do("login", chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
		chromedp.Focus(chromedp.CSS(`#tenant`)), chromedp.KeyEvent(slug),
		chromedp.Focus(chromedp.CSS(`#username`)), chromedp.KeyEvent(username),
		chromedp.Focus(chromedp.CSS(`#password`)), chromedp.KeyEvent(testkit.Password+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`nav.side`)))
}

// scoringWait waits until a script expression is true.
func scoringWait(c *chrome, step, expr string) {
	c.t.Helper()
	if _, err := chromedp.Run(c.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		c.fail(step, "waiting for %s: %v", expr, err)
	}
}

// scoringActive is the id of the focused element.
func scoringActive(c *chrome, step string) string {
	c.t.Helper()
	id, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil {
		c.fail(step, "active element: %v", err)
	}
	return id
}

// scoringUnlabelled lists the page's visible form controls with no accessible name: no aria-label, no
// aria-labelledby, no <label for> and no enclosing <label>.
const scoringUnlabelled = `Array.from(document.querySelectorAll("main input:not([type=hidden]), main select, main textarea"))
  .filter(function (el) {
    if (el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")) { return false; }
    if (el.id && document.querySelector('label[for="' + el.id + '"]')) { return false; }
    return !el.closest("label");
  }).map(function (el) { return el.name || el.id || el.outerHTML; })`

// TestBrowserScoringByKeyboard: an evaluator signs in and scores the grid by keyboard only — the first
// cell focused, scores typed, Tab and Enter moving on — and each row is saved as focus leaves it, with
// its state and result shown; an out-of-range score is flagged in its cell as it is typed. Every
// control is labelled ("张三 理论知识考试") and reachable by Tab.
func TestBrowserScoringByKeyboard(t *testing.T) {
	k := testkit.New(t)
	fx := scoringScenario(t, k)
	c := newChrome(t, k, 1280, 900)
	scoringLogin(c, fx.org.Tenant.Slug, fx.org.Users["evaluator"].Username)
	c.do("grid", chromedp.Navigate(c.base+"/scoring/"+fx.batch.String()), chromedp.WaitVisible(chromedp.CSS(`#score-0-theory`)))

	if unlabelled, err := chromedp.Run(c.ctx, chromedp.Evaluate[[]string](scoringUnlabelled)); err != nil || len(unlabelled) > 0 {
		c.fail("labels", "controls without a label: %v %v", unlabelled, err)
	}
	if got := c.attr("labels", `#score-0-theory`, "aria-label"); got != "张三 理论知识考试" {
		c.fail("labels", "the first cell is labelled %q", got)
	}
	a11yContrast(c, "contrast")

	// 张三: theory, Tab, practical, Enter → 李四's theory; the first row is saved as focus leaves it.
	c.do("first cell", chromedp.Focus(chromedp.CSS(`#score-0-theory`)), chromedp.KeyEvent("78"), chromedp.KeyEvent(kb.Tab))
	if got := scoringActive(c, "tab"); got != "score-0-practical" {
		c.fail("tab", "Tab moved to %q", got)
	}
	c.do("enter", chromedp.KeyEvent("85"), chromedp.KeyEvent(kb.Enter))
	if got := scoringActive(c, "enter"); got != "score-1-theory" {
		c.fail("enter", "Enter moved to %q", got)
	}
	scoringWait(c, "row saved", `document.querySelector('tr[data-row="`+fx.apps[0].String()+`"] td.state').textContent === "已保存"`)
	if got := c.text("row saved", `tr[data-row="`+fx.apps[0].String()+`"] td.result`); got != "合格" {
		c.fail("row saved", "张三's result %q", got)
	}

	// 李四: 150 is flagged in its cell as it is typed; corrected to 58, then practical, then on to 王五.
	c.do("out of range", chromedp.KeyEvent("150"), chromedp.WaitVisible(chromedp.CSS(`td.cell.invalid #score-1-theory`)))
	if got := c.text("out of range", `#score-1-theory-err`); got != "分数应在 0 到 100 之间" {
		c.fail("out of range", "message %q", got)
	}
	c.do("correct", chromedp.KeyEvent(kb.Backspace+kb.Backspace+kb.Backspace+"58"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("72"), chromedp.KeyEvent(kb.Enter))
	// 王五 was absent from theory: the next cell is his practical score.
	if got := scoringActive(c, "absent skipped"); got != "score-2-practical" {
		c.fail("absent skipped", "after 李四 focus is on %q", got)
	}
	c.do("last row", chromedp.KeyEvent("90"), chromedp.KeyEvent(kb.Enter))
	scoringWait(c, "all saved", `Array.from(document.querySelectorAll("td.state")).every(function (s) { return s.textContent === "已保存"; })`)
	if got := c.text("below", `tr[data-row="`+fx.apps[1].String()+`"] td.result`); got != "不合格" {
		c.fail("below", "李四's result %q", got)
	}
	if os.Getenv("SKILLCERT_SCREENSHOTS") != "" {
		t.Logf("grid: %s", c.screenshot("grid"))
	}
	for i, want := range []map[string]float64{{"theory": 78, "practical": 85}, {"theory": 58, "practical": 72}, {"practical": 90}} {
		s, _ := scoringScores(t, k, fx, fx.apps[i])
		if len(s) != len(want) {
			t.Fatalf("%s: %v, want %v", fx.names[i], s, want)
		}
		for m, v := range want {
			if s[m] != v {
				t.Fatalf("%s %s: %v, want %v", fx.names[i], m, s[m], v)
			}
		}
	}

	// Every input of the grid and the buttons are in the Tab order: Tab from the first cell reaches them all.
	var order []string
	c.do("tab order", chromedp.Focus(chromedp.CSS(`#score-0-theory`)))
	for i := 0; i < 12; i++ {
		order = append(order, scoringActive(c, "tab order"))
		c.do("tab", chromedp.KeyEvent(kb.Tab))
	}
	joined := strings.Join(order, " ")
	for _, id := range []string{"score-0-theory", "score-0-practical", "score-1-theory", "score-1-practical", "score-2-practical", "rec-candidate", "rec-relation"} {
		if !strings.Contains(joined, id) {
			c.fail("tab order", "%s is not reached by Tab: %v", id, order)
		}
	}
}

// TestBrowserSupervisorSignsOff: a supervisor opens the exam they supervise, reads its arrangement and
// attendance, writes the record and signs it off; the record is then closed.
func TestBrowserSupervisorSignsOff(t *testing.T) {
	k := testkit.New(t)
	fx := scoringScenario(t, k)
	if _, err := k.DB.ExecContext(context.Background(), "UPDATE batches SET exam_start = ? WHERE id = ?", time.Now().Add(-2*time.Hour), fx.batch); err != nil {
		t.Fatal(err)
	}
	c := newChrome(t, k, 1280, 900)
	scoringLogin(c, fx.org.Tenant.Slug, fx.org.Users["supervisor"].Username)
	if got := c.text("home", "ul.todos"); !strings.Contains(got, "督导记录待填写签字") {
		c.fail("home", "to-dos %q", got)
	}
	c.do("my exams", chromedp.Click(chromedp.CSS(`nav.side a[href="/supervision"]`)), chromedp.WaitVisible(chromedp.CSS(`table.superv-list`)),
		chromedp.Click(chromedp.CSS(`table.superv-list a`)), chromedp.WaitVisible(chromedp.CSS(`#findings`)))
	if unlabelled, err := chromedp.Run(c.ctx, chromedp.Evaluate[[]string](scoringUnlabelled)); err != nil || len(unlabelled) > 0 {
		c.fail("labels", "controls without a label: %v %v", unlabelled, err)
	}
	if got := c.text("attendance", "#arrangement"); !strings.Contains(got, "张三") || !strings.Contains(got, "缺考") {
		c.fail("attendance", "arrangement %q", got)
	}
	c.do("sign off", chromedp.Click(chromedp.CSS(`#present`)), chromedp.SendKeys(chromedp.CSS(`#findings`), "王五缺考，考场秩序良好"),
		chromedp.Click(chromedp.CSS(`#superv-sign`)), chromedp.WaitVisible(chromedp.CSS(`.banner.ok`)))
	if got := c.text("signed", ".banner.ok"); got != "督导记录已签字确认。" {
		c.fail("signed", "banner %q", got)
	}
	if got := c.text("signed", "#record"); !strings.Contains(got, "王五缺考，考场秩序良好") || !strings.Contains(got, "已签字") {
		c.fail("signed", "record %q", got)
	}
	if os.Getenv("SKILLCERT_SCREENSHOTS") != "" {
		t.Logf("signed: %s", c.screenshot("signed"))
	}
}

// TestBrowserScoringScreens takes the evaluator's and the supervisor's pages on a desktop and a 360 px
// phone, in Chinese and English, and checks nothing is wider than the phone (tables scroll in their
// cards). Screenshots are logged with SKILLCERT_SCREENSHOTS set.
func TestBrowserScoringScreens(t *testing.T) {
	k := testkit.New(t)
	fx := scoringScenario(t, k)
	shots := os.Getenv("SKILLCERT_SCREENSHOTS") != ""
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 360, 740}} {
		t.Run(size.name, func(t *testing.T) {
			// One browser per size: the evaluator in Chinese then English, signs out, and the supervisor
			// in English then Chinese (the language is a cookie that outlives the session).
			c := newChrome(t, k, size.width, size.height)
			c.do("viewport", chromedp.EmulateViewport(int64(size.width), int64(size.height)))
			look := func(path, ready, lang string) {
				c.do("page", chromedp.Navigate(c.base+path), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] `+ready)))
				if shots {
					t.Logf("%s: %s", path, c.screenshot(strings.Split(path, "/")[1]+"-"+lang))
				}
				overflow, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
				if err != nil {
					t.Fatal(err)
				}
				if overflow {
					c.fail("no sideways scroll", "%s is wider than %d px", path, size.width)
				}
			}
			toggle := func(lang string) {
				c.do("language", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"]`)))
			}
			grid, record := "/scoring/"+fx.batch.String(), "/supervision/"+fx.batch.String()
			scoringLogin(c, fx.org.Tenant.Slug, fx.org.Users["evaluator"].Username)
			look(grid, `#score-0-theory`, "zh-CN")
			toggle("en")
			look(grid, `#score-0-theory`, "en")
			c.do("sign out", chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`#tenant`)))
			scoringLogin(c, fx.org.Tenant.Slug, fx.org.Users["supervisor"].Username)
			look(record, `#findings`, "en")
			toggle("zh-CN")
			look(record, `#findings`, "zh-CN")
		})
	}
}
