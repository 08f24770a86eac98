package console_test

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/skillcert/skillcert/modules/testkit"
)

// a11yLowContrast is a script that lists the visible text of the page whose colour contrast against
// what is drawn behind it is under WCAG 2.1 AA: 4.5:1, or 3:1 for large text (24 px, or 18.66 px
// bold). The background is found by blending the ancestors' background colours from the text up to
// the first opaque one (over white); text over a background image, disabled controls and text hidden
// from sight (display, visibility, a 1-px screen-reader-only box) are left out.
const a11yLowContrast = `(() => {
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(',').map(parseFloat); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lin = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = c => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  const over = (t, b) => ({r: t.r * t.a + b.r * (1 - t.a), g: t.g * t.a + b.g * (1 - t.a), b: t.b * t.a + b.b * (1 - t.a), a: 1});
  const behind = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage !== 'none') return null;
      const c = parse(s.backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let b = {r: 255, g: 255, b: 255, a: 1};
    for (let i = layers.length - 1; i >= 0; i--) b = over(layers[i], b);
    return b;
  };
  const bad = [], seen = new Set();
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) {
    const t = w.currentNode, el = t.parentElement;
    if (!t.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    if (s.visibility === 'hidden' || r.width <= 1 || r.height <= 1 || el.closest(':disabled')) continue;
    const fg = parse(s.color), bg = behind(el);
    if (!fg || !bg) continue;
    const f = over(fg, bg), l1 = lum(f), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const px = parseFloat(s.fontSize), large = px >= 24 || (parseInt(s.fontWeight, 10) >= 700 && px >= 18.66);
    if (ratio < (large ? 3 : 4.5)) bad.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') +
      ' "' + t.textContent.trim().slice(0, 24) + '" ' + ratio.toFixed(2) + ':1');
  }
  return bad.slice(0, 12).join('; ');
})()`

// a11yContrast fails the step when any visible text of the page is under AA contrast.
func a11yContrast(c *chrome, step string) {
	c.t.Helper()
	bad, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](a11yLowContrast))
	if err != nil {
		c.fail(step, "contrast check: %v", err)
	}
	if bad != "" {
		c.fail(step, "text under WCAG AA contrast: %s", bad)
	}
}

// TestA11yContrastCheck: the check itself finds grey-on-white body text and light text on a tinted
// banner, and passes the same text in the console's own colours.
func TestA11yContrastCheck(t *testing.T) {
	k := testkit.New(t)
	c := newChrome(t, k, 800, 600)
	for _, tc := range []struct {
		html string
		bad  bool
	}{
		{`<p style="color:#999">灰色正文</p>`, true},                                              // 2.85:1
		{`<div style="background:#e8f0fe"><span style="color:#7a9ad0">浅色</span></div>`, true}, // 2.6:1
		{`<p style="color:#999;font-size:32px">大字</p>`, true},                                 // large, still under 3:1
		{`<p style="color:#5b6470">--muted 正文</p>`, false},                                    // 5.9:1
		{`<p style="color:#767676">刚好达标</p>`, false},                                          // 4.54:1
		{`<p style="color:#949494;font-size:24px">大字 3:1</p>`, false},                         // large, 3.03:1
		{`<button disabled style="color:#bbb">禁用</button>`, false},                            // disabled: exempt
	} {
		c.do("set "+tc.html, chromedp.Navigate("about:blank"),
			chromedp.Evaluate[chromedp.Void](`document.body.innerHTML = `+strconv.Quote(tc.html)))
		got, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](a11yLowContrast))
		if err != nil {
			t.Fatalf("%s: %v", tc.html, err)
		}
		if (got != "") != tc.bad {
			t.Errorf("%s: check says %q, want bad=%v", tc.html, got, tc.bad)
		}
	}
}
