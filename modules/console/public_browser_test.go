package console_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/skillcert/skillcert/modules/testkit"
)

// publicUnlabelled is a script that lists the form controls of the page a person can't name: an
// input (not hidden), select or textarea without a <label for>, a wrapping label, aria-label or
// aria-labelledby.
const publicUnlabelled = `Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map(e => e.name || e.id || e.outerHTML.slice(0, 60)).join(',')`

// publicTabTo presses Tab from the top of the page until the element with id has the focus, and
// reports whether it did within limit presses.
func publicTabTo(c *chrome, step, id string, limit int) {
	c.t.Helper()
	c.do(step, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`))
	for i := 0; i < limit; i++ {
		c.do(step, chromedp.KeyEvent("\t"))
		got, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
		if err != nil {
			c.fail(step, "focus: %v", err)
		}
		if got == id {
			return
		}
	}
	c.fail(step, "%d presses of Tab never reach #%s", limit, id)
}

// publicA11y checks what can be automated of the page's accessibility: every control labelled, one
// h1, text contrast at WCAG AA, and the controls reachable with the keyboard.
func publicA11y(c *chrome, step string, ids ...string) {
	c.t.Helper()
	bad, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](publicUnlabelled))
	if err != nil || bad != "" {
		c.fail(step, "controls without a label: %q (%v)", bad, err)
	}
	n, err := chromedp.Run(c.ctx, chromedp.Evaluate[int](`document.querySelectorAll('h1').length`))
	if err != nil || n != 1 {
		c.fail(step, "%d h1 (%v)", n, err)
	}
	a11yContrast(c, step)
	for _, id := range ids {
		publicTabTo(c, step, id, 40)
	}
}

// TestPublicBrowserVerify: anyone, on a phone, verifies a certificate by its number and by pasting its
// credential, and reaches every form of the public pages with the keyboard. With
// SKILLCERT_SCREENSHOTS set to a directory it saves the public pages there, desktop and phone.
func TestPublicBrowserVerify(t *testing.T) {
	k := testkit.New(t)
	w := publicSetup(t, k)
	slug := w.org.Tenant.Slug
	publicity := "/i/" + slug + "/batches/" + w.publicity.String() + "/publicity"
	// The publicity page is looked at (and its form reached) before the batch is finalized.
	c := newChrome(t, k, 360, 740)
	phone := chromedp.EmulateViewport(360, 740)
	c.do("publicity", phone, chromedp.Navigate(c.base+publicity), chromedp.WaitVisible(chromedp.CSS(`#reason`)))
	publicA11y(c, "publicity", "application_id", "reason", "contact")
	shots := os.Getenv("SKILLCERT_SCREENSHOTS")
	shoot := func(c *chrome, name string) {
		if shots == "" || !filepath.IsAbs(shots) {
			return
		}
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			_ = os.MkdirAll(shots, 0o755)
			err = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
		if err != nil {
			t.Logf("screenshot %s: %v", name, err)
		}
	}
	shoot(c, "phone-publicity")

	certs := w.finalize(t)
	cert := certs[0]

	// By number, typed on the phone.
	c.do("verify form", chromedp.Navigate(c.base+"/verify"), chromedp.WaitVisible(chromedp.CSS(`#number`)))
	publicA11y(c, "verify form", "number", "name", "credential-text", "credential-file")
	c.do("by number", chromedp.SendKeys(chromedp.CSS(`#number`), strings.ToLower(cert.Number)),
		chromedp.Click(chromedp.CSS(`form[action="/verify"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.verdict.v-valid`)))
	if got := c.location("by number"); !strings.HasSuffix(got, "/verify/"+cert.Number) {
		c.fail("by number", "at %s", got)
	}
	if s := c.text("by number", `ol.evidence`); !strings.Contains(s, "签名有效") || !strings.Contains(s, "公示期满") || !strings.Contains(s, w.publicityTitle) {
		c.fail("by number", "evidence %q", s)
	}
	// Nothing overflows the phone's width.
	if wide, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)); err != nil || wide {
		c.fail("by number", "the page is wider than the phone (%v)", err)
	}
	shoot(c, "phone-verify")

	// By credential, pasted.
	cred := string(k.Do(t, "GET", "/api/v1/certificates/"+cert.ID.String()+"/credential", w.org.Admin, nil).Want(t, http.StatusOK).Body)
	c.do("by credential", chromedp.SetValue(chromedp.CSS(`#credential-text`), cred),
		chromedp.Click(chromedp.CSS(`form[action="/verify/credential#credential"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#credential .verdict.v-valid`)))
	if s := c.text("by credential", `#credential .verdict`); !strings.Contains(s, "电子证书有效") {
		c.fail("by credential", "verdict %q", s)
	}
	if href := c.attr("by credential", `#credential div[role=status] a`, "href"); href != "/verify/"+cert.Number {
		c.fail("by credential", "link %q", href)
	}
	shoot(c, "phone-credential")

	// The institution's page, an announcement and the complaint form: labelled and reachable.
	c.do("institution", chromedp.Navigate(c.base+"/i/"+slug), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	publicA11y(c, "institution")
	shoot(c, "phone-institution")
	c.do("announcement", chromedp.Navigate(c.base+"/i/"+slug+"/batches/"+w.open.String()), chromedp.WaitVisible(chromedp.CSS(`a.button.primary`)))
	shoot(c, "phone-announcement")
	c.do("complaint", chromedp.Navigate(c.base+"/complaints?institution="+slug), chromedp.WaitVisible(chromedp.CSS(`#content`)))
	publicA11y(c, "complaint", "institution", "content", "contact")
	shoot(c, "phone-complaint")

	if shots != "" {
		d := newChrome(t, k, 1280, 900)
		for _, pg := range []struct{ name, path string }{
			{"institution", "/i/" + slug}, {"announcement", "/i/" + slug + "/batches/" + w.open.String()},
			{"verify", "/verify/" + cert.Number}, {"complaint", "/complaints"}, {"notfound", "/i/no-such-" + slug},
		} {
			d.do(pg.name, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(d.base+pg.path), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
			shoot(d, "desktop-"+pg.name)
		}
	}
}
