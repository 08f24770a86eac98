package console_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// A real browser: Debian's chromium driven by chromedp, against the assembled server listening on a
// free loopback port. When a step fails, a screenshot of the page is saved and its path logged.

type chrome struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newChrome(t *testing.T, k *testkit.Kit, width, height int) *chrome {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (.ci/run installs Debian's chromium)")
		}
		t.Skip("chromium is not installed: apt-get install chromium")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = k.Server.App.Listener(ln) }()
	t.Cleanup(func() { _ = ln.Close() })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.WindowSize(width, height))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return &chrome{t: t, ctx: ctx, base: "http://" + ln.Addr().String()}
}

// do performs actions; on failure it saves a screenshot and fails the test.
func (c *chrome) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v (screenshot: %s)", step, err, c.screenshot(step))
	}
}

// text is the visible text of the first element matching a CSS selector.
func (c *chrome) text(step, css string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		c.t.Fatalf("%s: text of %s: %v (screenshot: %s)", step, css, err, c.screenshot(step))
	}
	return strings.TrimSpace(s)
}

// attr is an attribute of the first element matching a CSS selector.
func (c *chrome) attr(step, css, name string) string {
	c.t.Helper()
	a, err := chromedp.Run(c.ctx, chromedp.AttributeValue(chromedp.CSS(css), name))
	if err != nil {
		c.t.Fatalf("%s: %s of %s: %v (screenshot: %s)", step, name, css, err, c.screenshot(step))
	}
	return a.Value
}

// location is the page's address.
func (c *chrome) location(step string) string {
	c.t.Helper()
	u, err := chromedp.Run(c.ctx, chromedp.Location())
	if err != nil {
		c.t.Fatalf("%s: location: %v", step, err)
	}
	return u
}

func (c *chrome) screenshot(step string) string {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "none: " + err.Error()
	}
	dir := filepath.Join(os.TempDir(), "skillcert-browser")
	_ = os.MkdirAll(dir, 0o755)
	name := strings.NewReplacer("/", "_", " ", "_").Replace(c.t.Name() + "-" + step)
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		return "none: " + err.Error()
	}
	return p
}

func (c *chrome) fail(step, format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf(step+": "+format+" (screenshot: %s)", append(args, c.screenshot(step))...)
}

// TestBrowserLoginAndLanguage: a person opens the console, is sent to the login page, types the
// institution code, username and password, lands on the 工作台, switches to English and signs out.
func TestBrowserLoginAndLanguage(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	c := newChrome(t, k, 1280, 900)

	c.do("open", chromedp.Navigate(c.base+"/"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)))
	if u := c.location("open"); !strings.HasSuffix(u, "/login") {
		c.fail("open", "landed on %s, want /login", u)
	}
	c.do("login",
		chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
		chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`nav.side`)),
	)
	if h, lang := c.text("login", "main h1"), c.attr("login", "html", "lang"); h != "工作台" || lang != "zh-CN" {
		c.fail("login", "heading %q lang %q, want 工作台 in zh-CN", h, lang)
	}
	c.do("users page", chromedp.Navigate(c.base+"/users"), chromedp.WaitVisible(chromedp.CSS(`#username`)))
	if os.Getenv("SKILLCERT_SCREENSHOTS") != "" { // for a person to look at: SKILLCERT_SCREENSHOTS=1 go test -run Browser -v
		c.t.Logf("users page: %s", c.screenshot("users"))
	}
	c.do("back home", chromedp.Navigate(c.base+"/"), chromedp.WaitVisible(chromedp.CSS(`nav.side`)))
	c.do("switch language",
		chromedp.Click(chromedp.CSS(`form.lang button`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] nav.side`)),
	)
	if h := c.text("switch language", "main h1"); h != "Home" {
		c.fail("switch language", "heading %q, want Home", h)
	}
	c.do("sign out",
		chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
	)
	if u := c.location("sign out"); !strings.HasSuffix(u, "/login") {
		c.fail("sign out", "landed on %s", u)
	}
}
