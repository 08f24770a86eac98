package console_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// regShot saves a screenshot for a person to look at when SKILLCERT_SCREENSHOTS is set.
func regShot(c *chrome, name string) {
	if os.Getenv("SKILLCERT_SCREENSHOTS") != "" {
		c.t.Logf("%s: %s", name, c.screenshot(name))
	}
}

// regLogin signs in through the login page and waits for the menu.
func regLogin(c *chrome, step, slug, username string) {
	c.t.Helper()
	c.do(step, chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
		chromedp.SendKeys(chromedp.CSS(`#tenant`), slug),
		chromedp.SendKeys(chromedp.CSS(`#username`), username),
		chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`nav.side`)))
}

func regLogout(c *chrome, step string) {
	c.t.Helper()
	c.do(step, chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`#tenant`)))
}

// TestBrowserRegulatorWork: in Chromium, a regulator decides a filing, draws a risk-weighted sample and
// reproduces it from its seed; a regulator of another region sees none of it; the platform operator
// creates a tenant whose administrator then signs in.
func TestBrowserRegulatorWork(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "460108", "inspector")
	far := k.Tenant(t, tenants.KindRegulator, "320102")
	inst := k.Tenant(t, tenants.KindEnterprise, "460108")
	k.Tenant(t, tenants.KindEnterprise, "460108")
	k.Tenant(t, tenants.KindSchool, "460108")
	filing := regSubmitFiling(t, k, inst)
	k.Do(t, "POST", "/api/v1/public/complaints", "", map[string]any{"institution_slug": inst.Tenant.Slug,
		"content": "考场秩序混乱，存在代考嫌疑。"}).Want(t, 201)
	c := newChrome(t, k, 1280, 900)

	regLogin(c, "regulator login", reg.Tenant.Slug, "admin")
	c.do("filings", chromedp.Click(chromedp.CSS(`nav.side a[href="/oversight/filings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/oversight/filings/`+filing+`"]`)))
	c.do("open filing", chromedp.Click(chromedp.CSS(`a[href="/oversight/filings/`+filing+`"]`)), chromedp.WaitVisible(chromedp.CSS(`#site_serial`)))
	c.do("bad serial", chromedp.SendKeys(chromedp.CSS(`#site_serial`), "12"), chromedp.Submit(chromedp.CSS(`#site_serial`)),
		chromedp.WaitVisible(chromedp.CSS(`.field.invalid #site_serial`)))
	regShot(c, "filing-field-error-zh")
	c.do("decide", chromedp.SetValue(chromedp.CSS(`#site_serial`), "000321"), chromedp.Submit(chromedp.CSS(`#site_serial`)),
		chromedp.WaitVisible(chromedp.CSS(`p.banner.ok`)))
	if s := c.text("decide", "dl.facts"); !strings.Contains(s, "000321") || !strings.Contains(s, "已通过") {
		c.fail("decide", "the filing shows %q", s)
	}
	regShot(c, "filing-approved-zh")

	c.do("sampling", chromedp.Navigate(c.base+"/oversight/sampling"), chromedp.WaitVisible(chromedp.CSS(`#seed`)),
		chromedp.SetValue(chromedp.CSS(`#institutions`), "2"), chromedp.SetValue(chromedp.CSS(`#inspectors`), "1"),
		chromedp.SendKeys(chromedp.CSS(`#seed`), "2026-12-02 公开摇号"),
		chromedp.Submit(chromedp.CSS(`#seed`)), chromedp.WaitVisible(chromedp.CSS(`#draw-seed`)))
	drawURL := c.location("sampling")
	if s := c.text("sampling", "#draw-seed"); s != "2026-12-02 公开摇号" {
		c.fail("sampling", "seed shown %q", s)
	}
	if s := c.text("sampling", "table.reg-population"); !strings.Contains(s, "投诉 1 件") {
		c.fail("sampling", "the weights do not explain the complaint: %q", s)
	}
	regShot(c, "draw-zh")
	c.do("reproduce", chromedp.Click(chromedp.CSS(`#reproduce`)), chromedp.WaitVisible(chromedp.CSS(`#repro-result`)))
	if s := c.text("reproduce", "#repro-result"); !strings.Contains(s, "完全一致") {
		c.fail("reproduce", "reproduction says %q", s)
	}
	regShot(c, "reproduced-zh")
	c.do("english", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #repro-result`)))
	if s := c.text("english", "#repro-result"); !strings.Contains(s, "identical") {
		c.fail("english", "reproduction says %q", s)
	}
	regShot(c, "reproduced-en")
	c.do("filing en", chromedp.Navigate(c.base+"/oversight/filings/"+filing), chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))
	regShot(c, "filing-en")
	c.do("inspections en", chromedp.Navigate(c.base+"/oversight/inspections"), chromedp.WaitVisible(chromedp.CSS(`main table`)))
	regShot(c, "inspections-en")
	c.do("chinese", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-CN"] nav.side`)))
	regLogout(c, "regulator logout")

	// Another province's regulator sees neither the filing nor the draw.
	regLogin(c, "far login", far.Tenant.Slug, "admin")
	c.do("far filings", chromedp.Navigate(c.base+"/oversight/filings"), chromedp.WaitVisible(chromedp.CSS(`main table`)))
	if s := c.text("far filings", "main table"); strings.Contains(s, inst.Tenant.Name) {
		c.fail("far filings", "another region's regulator sees %q", s)
	}
	c.do("far draw", chromedp.Navigate(drawURL), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	if s := c.text("far draw", "main"); strings.Contains(s, "2026-12-02 公开摇号") || strings.Contains(s, inst.Tenant.Name) {
		c.fail("far draw", "another region's regulator sees the draw: %q", s)
	}
	regLogout(c, "far logout")

	// The platform operator opens a tenant; its administrator signs in.
	slug := testkit.Slug("new")
	regLogin(c, "operator login", tenants.PlatformSlug, "admin")
	c.do("tenants", chromedp.Navigate(c.base+"/platform/tenants"), chromedp.WaitVisible(chromedp.CSS(`#slug`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), "海南某职业技能评价中心"),
		chromedp.SendKeys(chromedp.CSS(`#slug`), slug),
		chromedp.SetValue(chromedp.CSS(`#kind`), "social_org"),
		chromedp.SendKeys(chromedp.CSS(`#region_code`), "460108"),
		chromedp.SendKeys(chromedp.CSS(`#admin-username`), "director"),
		chromedp.SendKeys(chromedp.CSS(`#admin-display_name`), "主任"),
		chromedp.SendKeys(chromedp.CSS(`#admin-password`), testkit.Password),
		chromedp.Submit(chromedp.CSS(`#admin-password`)),
		chromedp.WaitVisible(chromedp.CSS(`#tenant-created`)))
	regShot(c, "tenants-zh")
	c.do("health", chromedp.Navigate(c.base+"/platform/health"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	regShot(c, "health-zh")
	c.do("health en", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] main h1`)))
	regShot(c, "health-en")
	c.do("tenants en", chromedp.Navigate(c.base+"/platform/tenants"), chromedp.WaitVisible(chromedp.CSS(`#slug`)))
	regShot(c, "tenants-en")
	c.do("back to chinese", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-CN"] nav.side`)))
	regLogout(c, "operator logout")
	regLogin(c, "new admin login", slug, "director")
	if h := c.text("new admin login", "main h1"); h != "工作台" {
		c.fail("new admin login", "the new tenant's admin lands on %q", h)
	}
}
