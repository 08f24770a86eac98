package console_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/skillcert/skillcert/modules/testkit"
)

// TestDashBrowserDrillToCertificate: in Chromium, a regulator signs in, opens the dashboard from the
// menu, follows the institution from the dashboard's table to its page, and from its certificates to
// one certificate. Every page fits a 360 px phone. SKILLCERT_SCREENSHOTS=1 logs screenshots of the
// 工作台, the dashboard and the institution page, desktop and phone, for a person to look at.
func TestDashBrowserDrillToCertificate(t *testing.T) {
	s := dashSetup(t, "650103", "650105")
	shots := os.Getenv("SKILLCERT_SCREENSHOTS") != ""
	inst := "/oversight/institutions/" + s.org.Tenant.ID.String()
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 360, 740}} {
		t.Run(size.name, func(t *testing.T) {
			c := newChrome(t, s.k, size.width, size.height)
			fits := func(step string) {
				wide, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.documentElement.scrollWidth <= window.innerWidth ? "" :
					window.innerWidth + " < " + document.documentElement.scrollWidth`))
				if err != nil || wide != "" {
					c.fail(step, "the page is wider than the viewport: %s (%v)", wide, err)
				}
			}
			shot := func(step string) {
				fits(step)
				if shots {
					t.Logf("%s %s: %s", step, size.name, c.screenshot(step+"-"+size.name))
				}
			}
			c.do("login", chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
				chromedp.SendKeys(chromedp.CSS(`#tenant`), s.reg.Tenant.Slug),
				chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
				chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
				chromedp.WaitVisible(chromedp.CSS(`ul.todos`)))
			if todo := c.text("home", "ul.todos"); !strings.Contains(todo, "份备案待审批") {
				c.fail("home", "to-dos %q", todo)
			}
			shot("home")
			c.do("dashboard", chromedp.Click(chromedp.CSS(`nav.side a[href="/oversight/dashboard"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#chart-month svg`)))
			if title := c.text("dashboard", "#chart-month figcaption"); title != "按月发证数" {
				c.fail("dashboard", "chart title %q", title)
			}
			shot("dashboard")
			c.do("institution", chromedp.Click(chromedp.CSS(`a[href="`+inst+`"]`)), chromedp.WaitVisible(chromedp.CSS(`#certificates`)))
			if h := c.text("institution", "h1"); h != s.org.Tenant.Name {
				c.fail("institution", "heading %q", h)
			}
			if chain := c.text("institution", "#audit .status"); !strings.Contains(chain, "哈希链完整") {
				c.fail("institution", "chain %q", chain)
			}
			shot("institution")
			c.do("certificate", chromedp.Click(chromedp.CSS(`a[href="`+inst+`/certificates/`+s.cert+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`dl.cert-facts`)))
			if facts := c.text("certificate", "dl.cert-facts"); !strings.Contains(facts, s.holder) || !strings.Contains(facts, "有效") {
				c.fail("certificate", "facts %q", facts)
			}
			if loc := c.location("certificate"); !strings.HasSuffix(loc, inst+"/certificates/"+s.cert) {
				c.fail("certificate", "at %s", loc)
			}
			shot("certificate")
		})
	}
}
