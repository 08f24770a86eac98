package console_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestBrowserHomeAndAccount: on a desktop and on a 360 px phone, in Chinese and in English, the 工作台
// lists the institution's to-dos as links, 我的账户 is reached from the header, a wrong current
// password comes back next to its field, and a person changes their password by typing and stays
// signed in. SKILLCERT_SCREENSHOTS=1 logs the screenshots of each page for a person to look at.
func TestBrowserHomeAndAccount(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := k.Tenant(t, tenants.KindSocialOrg, "110105", "staff", "evaluator")
	seedTodos(t, k, org, reg)
	eva := org.Users["evaluator"]
	shots := os.Getenv("SKILLCERT_SCREENSHOTS") != ""

	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 360, 780}} {
		for _, lang := range []string{"zh-CN", "en"} {
			t.Run(size.name+"-"+lang, func(t *testing.T) {
				c := newChrome(t, k, size.width, size.height)
				// A headless window is at least 500 px wide: the phone's width is emulated.
				c.do("viewport", chromedp.EmulateViewport(int64(size.width), int64(size.height)))
				shot := func(step string) {
					if shots {
						t.Logf("%s: %s", step, c.screenshot(step))
					}
				}
				c.do("login", chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
					chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
					chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
					chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
					chromedp.WaitVisible(chromedp.CSS(`ul.todos`)))
				if lang == "en" {
					c.do("switch language", chromedp.Click(chromedp.CSS(`form.lang button`)),
						chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] ul.todos`)))
				}
				todos := c.text("home", "ul.todos")
				want := map[string]string{"zh-CN": "份报名待资格审核", "en": "applications awaiting review"}[lang]
				if !strings.Contains(todos, want) || !strings.Contains(todos, "电工四级第1批") {
					c.fail("home", "to-dos %q lack %q", todos, want)
				}
				shot("home")
				c.do("account", chromedp.Click(chromedp.CSS(`header a.account`)), chromedp.WaitVisible(chromedp.CSS(`#current_password`)))
				shot("account")
				c.do("wrong current password",
					chromedp.SendKeys(chromedp.CSS(`#current_password`), "not my password"),
					chromedp.SendKeys(chromedp.CSS(`#new_password`), "violet tractor seventeen"),
					chromedp.SendKeys(chromedp.CSS(`#new_password_confirm`), "violet tractor seventeen"),
					chromedp.Click(chromedp.CSS(`main form button.primary`)),
					chromedp.WaitVisible(chromedp.CSS(`.field.invalid #current_password`)))
				wantErr := map[string]string{"zh-CN": "当前密码不正确", "en": "The current password is wrong"}[lang]
				if got := c.text("wrong current password", ".field.invalid .err"); got != wantErr {
					c.fail("wrong current password", "error %q, want %q", got, wantErr)
				}
				shot("account-error")
				c.do("user page", chromedp.Navigate(c.base+"/users/"+eva.ID.String()), chromedp.WaitVisible(chromedp.CSS(`#password_confirm`)))
				shot("user")
				c.do("decisions", chromedp.Navigate(c.base+"/decisions"), chromedp.WaitVisible(chromedp.CSS(`section.decision`)))
				shot("decisions")
				// Nothing on the page is wider than the viewport (tables scroll inside their cards).
				overflow, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
				if err != nil {
					t.Fatal(err)
				}
				if overflow {
					c.fail("no sideways scroll", "the decisions page is wider than %d px", size.width)
				}
			})
		}
	}

	t.Run("a person changes their password by typing", func(t *testing.T) {
		c := newChrome(t, k, 360, 780)
		c.do("viewport", chromedp.EmulateViewport(360, 780))
		staff := org.Users["staff"]
		const next = "violet tractor seventeen"
		c.do("login", chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
			chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
			chromedp.SendKeys(chromedp.CSS(`#username`), staff.Username),
			chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
			chromedp.WaitVisible(chromedp.CSS(`header a.account`)),
			chromedp.Click(chromedp.CSS(`header a.account`)),
			chromedp.WaitVisible(chromedp.CSS(`#current_password`)),
			chromedp.SendKeys(chromedp.CSS(`#current_password`), testkit.Password),
			chromedp.SendKeys(chromedp.CSS(`#new_password`), next),
			chromedp.SendKeys(chromedp.CSS(`#new_password_confirm`), next),
			chromedp.Click(chromedp.CSS(`main form button.primary`)),
			chromedp.WaitVisible(chromedp.CSS(`.banner.ok`)))
		if got := c.text("changed", ".banner.ok"); !strings.Contains(got, "密码已修改") {
			c.fail("changed", "banner %q", got)
		}
		if u := c.location("changed"); !strings.HasSuffix(u, "/account?changed=1") {
			c.fail("changed", "at %s", u)
		}
		// Still signed in: home opens.
		c.do("home", chromedp.Navigate(c.base+"/"), chromedp.WaitVisible(chromedp.CSS(`nav.side`)))
		if p := newBrowser(t, k).login(org.Tenant.Slug, staff.Username, next); p.status != 303 {
			t.Fatalf("login with the new password: %d", p.status)
		}
	})
}
