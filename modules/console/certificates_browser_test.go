package console_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestBrowserCertificates: the certificates list and a certificate page in a real browser, on a
// desktop and on a 360 px phone, in Chinese and English (the page keeps the viewport's width), and a
// batch's issuance progress updating live while its certificates are issued.
func TestBrowserCertificates(t *testing.T) {
	k := testkit.New(t)
	ci := newCertIssuer(t, k)
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := ci.institution(t, reg)
	batch := ci.finalize(t, org, 4, "张伟", "李娜", "阿卜杜·热合曼")
	if errs := ci.run(t); len(errs) > 0 {
		t.Fatal(errs)
	}
	var zhang, lina string
	for _, c := range ci.list(t, org, batch) {
		switch c.HolderName {
		case "张伟":
			zhang = c.ID.String()
		case "李娜":
			lina = c.ID.String()
			if _, err := k.Server.Certificates.Service.Revoke(org.Ctx(context.Background()), c.ID, "冒名顶替参加考试"); err != nil {
				t.Fatal(err)
			}
		}
	}
	running := ci.finalize(t, org, 3, "周杰", "吴娟")
	held := ci.rec.Take() // issued while the progress page watches
	failing := ci.finalize(t, org, 2, "郑强")
	ci.run(t) // out of scope: recorded as failed
	ci.rec.Put(held...)
	shots := os.Getenv("SKILLCERT_SCREENSHOTS") != "" // for a person to look at: SKILLCERT_SCREENSHOTS=1 go test -run Browser -v

	login := func(c *chrome) {
		c.do("login", chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
			chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
			chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
			chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
			chromedp.WaitVisible(chromedp.CSS(`nav.side`)))
	}
	// fits fails when the page is wider than the viewport (a phone would scroll the whole page).
	fits := func(c *chrome, step string) {
		wide, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.documentElement.scrollWidth <= window.innerWidth ? "" :
			window.innerWidth + " < " + document.documentElement.scrollWidth + ": " + Array.from(document.querySelectorAll("body *")).filter(function (e) {
				return e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest("table");
			}).map(function (e) { return e.tagName + "." + e.className; }).join(" ")`))
		if err != nil || wide != "" {
			c.fail(step, "the page is wider than the viewport: %s (%v)", wide, err)
		}
	}
	look := func(c *chrome, lang string) {
		c.do("list "+lang, chromedp.Navigate(c.base+"/certificates?batch_id="+batch.String()), chromedp.WaitVisible(chromedp.CSS(`table`)))
		if rows := c.text("list "+lang, "tbody"); !strings.Contains(rows, "张伟") || !strings.Contains(rows, "阿卜杜·热合曼") {
			c.fail("list "+lang, "rows %q", rows)
		}
		fits(c, "list "+lang)
		if shots {
			t.Logf("list %s: %s", lang, c.screenshot("list-"+lang))
		}
		c.do("certificate "+lang, chromedp.Navigate(c.base+"/certificates/"+zhang), chromedp.WaitVisible(chromedp.CSS(`svg.qr`)))
		fits(c, "certificate "+lang)
		if shots {
			t.Logf("certificate %s: %s", lang, c.screenshot("certificate-"+lang))
		}
		if w, err := chromedp.Run(c.ctx, chromedp.Evaluate[int](`window.innerWidth`)); err == nil && shots {
			t.Logf("viewport %s: %d px", lang, w)
		}
	}

	t.Run("desktop", func(t *testing.T) {
		c := newChrome(t, k, 1280, 900)
		login(c)
		look(c, "zh-CN")
		// Live progress: the page polls while the batch's certificates are issued.
		c.do("progress", chromedp.Navigate(c.base+"/certificates/batches/"+running.String()),
			chromedp.WaitVisible(chromedp.CSS(`[data-progress-url]`)))
		if s := c.text("progress", `dd[data-count="pending"]`); s != "2" {
			c.fail("progress", "pending %q, want 2", s)
		}
		if shots {
			t.Logf("progress running: %s", c.screenshot("progress-running"))
		}
		if errs := ci.run(t); len(errs) > 0 {
			t.Fatal(errs)
		}
		if _, err := chromedp.Run(c.ctx, chromedp.Poll[bool](`document.querySelector('dd[data-count="issued"]').textContent === "2" &&
			document.querySelector('progress').value === 2 && document.querySelector('.progress-state').textContent === "签发完成。" &&
			!document.querySelector('a[data-when-issued]').hidden`,
			chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			c.fail("progress", "the counts did not update: %v", err)
		}
		if shots {
			t.Logf("progress done: %s", c.screenshot("progress-done"))
		}
		c.do("failed batch", chromedp.Navigate(c.base+"/certificates/batches/"+failing.String()), chromedp.WaitVisible(chromedp.CSS(`td.wrap`)))
		if s := c.text("failed batch", `td.wrap`); !strings.Contains(s, "out_of_scope") || !strings.Contains(s, "备案") {
			c.fail("failed batch", "reason %q", s)
		}
		if shots {
			t.Logf("failed batch: %s", c.screenshot("progress-failed"))
		}
		c.do("revoked", chromedp.Navigate(c.base+"/certificates/"+lina), chromedp.WaitVisible(chromedp.CSS(`.banner.warn`)))
		if s := c.text("revoked", `.banner.warn`); !strings.Contains(s, "冒名顶替参加考试") {
			c.fail("revoked", "banner %q", s)
		}
		if shots {
			t.Logf("revoked: %s", c.screenshot("revoked"))
		}
		c.do("settings", chromedp.Navigate(c.base+"/certificates/settings"), chromedp.WaitVisible(chromedp.CSS(`#post_prefix`)))
		if shots {
			t.Logf("settings: %s", c.screenshot("settings"))
		}
		c.do("keys", chromedp.Navigate(c.base+"/certificates/keys"), chromedp.WaitVisible(chromedp.CSS(`table`)))
		if shots {
			t.Logf("keys: %s", c.screenshot("keys"))
		}
		c.do("english", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] nav.side`)))
		look(c, "en")
	})

	t.Run("phone", func(t *testing.T) {
		c := newChrome(t, k, 360, 780)
		// A headless window is at least 500 px wide: emulate the phone's 360 px viewport.
		c.do("phone viewport", chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
		login(c)
		look(c, "phone-zh-CN")
		c.do("english", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] nav.side`)))
		look(c, "phone-en")
	})
}
