package console_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/skillcert/skillcert/modules/testkit"
)

// portalShot saves a screenshot for a person to look at when SKILLCERT_SCREENSHOTS is set.
func portalShot(c *chrome, name string) {
	if os.Getenv("SKILLCERT_SCREENSHOTS") != "" {
		c.t.Logf("%s: %s", name, c.screenshot(name))
	}
}

// portalSet sets a control's value by script, as picking from a list or a date picker does.
func portalSet(c *chrome, id, value string) {
	c.t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.getElementById(%q);e.value=%q;e.dispatchEvent(new Event("input",{bubbles:true}));e.dispatchEvent(new Event("change",{bubbles:true}));return e.value===%q})()`, id, value, value)
	if ok, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](js)); err != nil || !ok {
		c.fail("set "+id, "%v", err)
	}
}

// portalTabOrder presses Tab from the top of the page up to n times and returns the ids (or tag
// names) of the elements that took the focus, in order.
func portalTabOrder(c *chrome, n int) []string {
	c.t.Helper()
	var seen []string
	for range n {
		c.do("tab", chromedp.KeyEvent(kb.Tab))
		id, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`(function(){var e=document.activeElement;return e?(e.id||e.tagName.toLowerCase()+(e.type?":"+e.type:"")):""})()`))
		if err != nil {
			c.fail("tab", "%v", err)
		}
		seen = append(seen, id)
	}
	return seen
}

// TestPortalBrowserRegister: on a 360×740 phone, a person opens the apply page, reaches every field by
// keyboard, sees the GB 11643 check as they type their id number, registers, lands on 我的报名 with
// the application, signs out, logs in again and sees it there. The page fits the phone's width, every
// control has a label and is at least 44 px high.
func TestPortalBrowserRegister(t *testing.T) {
	k := testkit.New(t)
	org, batch := portalSocialOrg(t, k)
	path := portalApplyPath(org, batch)
	c := newChrome(t, k, 360, 740)
	c.do("phone", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	c.do("open", chromedp.Navigate(c.base+path), chromedp.WaitVisible(chromedp.CSS(`#username`)))
	portalShot(c, "apply-zh-360")

	// Every control labelled, tall enough to tap, and the page as wide as the phone.
	problems, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`(function(){
		var out = [];
		document.querySelectorAll("main input:not([type=hidden]), main select, main textarea, main button").forEach(function (e) {
			if (e.tagName !== "BUTTON" && (!e.labels || e.labels.length === 0)) { out.push("no label: " + (e.id || e.name)); }
			if (e.getBoundingClientRect().height < 44) { out.push("under 44px: " + (e.id || e.name || e.textContent)); }
		});
		if (document.documentElement.scrollWidth > window.innerWidth) { out.push("wider than the phone: " + document.documentElement.scrollWidth); }
		return out.join("; ");
	})()`))
	if err != nil || problems != "" {
		c.fail("layout", "%v %s", err, problems)
	}
	a11yContrast(c, "contrast")

	// Keyboard: Tab reaches every field and the submit button, in form order.
	order := portalTabOrder(c, 20)
	want := []string{"username", "password", "name", "id_type", "id_number", "phone", "education", "occupation_years",
		"current_level", "current_level_obtained_on"}
	last := -1
	for _, id := range want {
		i := slices.Index(order, id)
		if i < 0 || i < last {
			c.fail("tab order", "%s not reached in order: %v", id, order)
		}
		last = i
	}
	if !slices.Contains(order[last:], "button:submit") {
		c.fail("tab order", "the submit button is not reached: %v", order)
	}

	// The id number check as the person types.
	id := residentID(t, 701)
	c.do("type part", chromedp.SendKeys(chromedp.CSS(`#id_number`), id[:6]))
	if s := c.text("type part", "#id_number-live"); s != "已输入 6/18 位" {
		c.fail("type part", "live check says %q", s)
	}
	c.do("type wrong", chromedp.SendKeys(chromedp.CSS(`#id_number`), badChecksum(id)[6:]))
	if s := c.text("type wrong", "#id_number-live"); !strings.Contains(s, "校验位不符") ||
		c.attr("type wrong", "#id_number", "aria-invalid") != "true" {
		c.fail("type wrong", "live check says %q", s)
	}
	portalShot(c, "apply-bad-id-zh-360")
	portalSet(c, "id_number", "")
	c.do("fix", chromedp.SendKeys(chromedp.CSS(`#id_number`), id))
	if s := c.text("fix", "#id_number-live"); !strings.Contains(s, "校验通过") {
		c.fail("fix", "live check says %q", s)
	}

	// Register.
	c.do("fill",
		chromedp.SendKeys(chromedp.CSS(`#username`), "phone.user"),
		chromedp.SendKeys(chromedp.CSS(`#password`), portalPassword),
		chromedp.SendKeys(chromedp.CSS(`#name`), "孙小燕"),
		chromedp.SendKeys(chromedp.CSS(`#phone`), "13900139000"),
		chromedp.SendKeys(chromedp.CSS(`#occupation_years`), "6"),
	)
	portalSet(c, "education", "senior_high")
	portalSet(c, "current_level", "5")
	portalSet(c, "current_level_obtained_on", "2020-06-01")
	c.do("submit", chromedp.Click(chromedp.CSS(`.portal-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.portal-app`)))
	if h, app := c.text("submit", "main h1"), c.text("submit", ".portal-app"); h != "我的报名" || !strings.Contains(app, "电工四级认定") ||
		!strings.Contains(app, "符合报考条件") {
		c.fail("submit", "landed on %q with %q", h, app)
	}
	portalShot(c, "applications-zh-360")

	// Sign out, log in again: the candidate's home is 我的报名.
	c.do("sign out", chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`#tenant`)))
	c.do("log in",
		chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
		chromedp.SendKeys(chromedp.CSS(`#username`), "phone.user"),
		chromedp.SendKeys(chromedp.CSS(`#password`), portalPassword),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`.portal-app`)),
	)
	if u := c.location("log in"); !strings.HasSuffix(u, "/my/applications") {
		c.fail("log in", "landed on %s", u)
	}
	if app := c.text("log in", ".portal-app"); !strings.Contains(app, "电工四级认定") {
		c.fail("log in", "application %q", app)
	}
	if os.Getenv("SKILLCERT_SCREENSHOTS") == "" {
		return
	}
	// For a person to look at: every portal page at 360 and 1280 wide, in both languages.
	for _, lang := range []string{"zh-CN", "en"} {
		if lang == "en" {
			c.do("english", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"]`)))
		}
		for _, w := range []int64{360, 1280} {
			h := int64(740)
			if w > 360 {
				h = 900
			}
			c.do("viewport", chromedp.EmulateViewport(w, h))
			for _, p := range []string{"/my/applications", "/my/certificates", "/my/photo", "/my/tickets"} {
				c.do(p, chromedp.Navigate(c.base+p), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
				portalShot(c, fmt.Sprintf("%s-%s-%d", strings.ReplaceAll(p[1:], "/", "-"), lang, w))
			}
			c.do("apply", chromedp.Navigate(c.base+path), chromedp.WaitVisible(chromedp.CSS(`#username`)),
				chromedp.SendKeys(chromedp.CSS(`#id_number`), badChecksum(id)),
				chromedp.Click(chromedp.CSS(`.portal-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.banner`)))
			portalShot(c, fmt.Sprintf("apply-errors-%s-%d", lang, w))
		}
	}
}
