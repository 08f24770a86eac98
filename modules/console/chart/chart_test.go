package chart_test

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/skillcert/skillcert/modules/console/chart"
)

// TestDashChartBarGeometry: bars stand on the baseline, their heights are proportional to the values
// against a round axis maximum, and each category has its band.
func TestDashChartBarGeometry(t *testing.T) {
	g := chart.Layout(chart.Chart{ID: "c", Kind: chart.Bar, Labels: []string{"a", "b", "c", "d"},
		Series: []chart.Series{{Name: "n", Values: []float64{10, 20, 35, 0}}}, Width: 452, Height: 252})
	// plot: x 52..444 (392 wide, 98 per band), y 12..212 (200 high); max 35 → 40 (ticks of 10).
	if g.Max != 40 || g.Left != 52 || g.Right != 444 || g.Top != 12 || g.Bottom != 212 {
		t.Fatalf("axis: max %v, x %v..%v, y %v..%v", g.Max, g.Left, g.Right, g.Top, g.Bottom)
	}
	var got []chart.Rect
	for _, b := range g.Bars {
		got = append(got, chart.Rect{X: b.X, Y: b.Y, W: b.W, H: b.H})
	}
	want := []chart.Rect{
		{X: 73, Y: 162, W: 56, H: 50}, // at most 56 wide, centred in its band
		{X: 171, Y: 112, W: 56, H: 100},
		{X: 269, Y: 37, W: 56, H: 175},
		{X: 367, Y: 212, W: 56, H: 0},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("bars (-want +got):\n%s", d)
	}
	var ticks []string
	for _, tk := range g.YTicks {
		ticks = append(ticks, tk.Text)
	}
	if d := cmp.Diff([]string{"0", "10", "20", "30", "40"}, ticks); d != "" {
		t.Errorf("y ticks (-want +got):\n%s", d)
	}
	if g.Bars[2].Title != "c: 35" {
		t.Errorf("tooltip %q", g.Bars[2].Title)
	}
}

// TestDashChartStackedAndLine: stacked bars sum to the category's total; a line has one point per
// category at the band's centre; percentages top out at 100 %.
func TestDashChartStackedAndLine(t *testing.T) {
	g := chart.Layout(chart.Chart{ID: "s", Kind: chart.Stacked, Labels: []string{"x", "y"}, Width: 452, Height: 252,
		Series: []chart.Series{{Name: "A", Values: []float64{30, 10}}, {Name: "B", Values: []float64{10, 0}}}})
	if g.Max != 40 || len(g.Bars) != 3 {
		t.Fatalf("max %v, %d bars (a zero part draws none)", g.Max, len(g.Bars))
	}
	a, b := g.Bars[0], g.Bars[1]
	if a.Y+a.H != g.Bottom || b.Y+b.H != a.Y || b.Y != g.Top || a.X != b.X {
		t.Errorf("stack: %+v on %+v", b, a)
	}
	if a.Class == b.Class {
		t.Errorf("the series share a class %q", a.Class)
	}
	l := chart.Layout(chart.Chart{ID: "l", Kind: chart.Line, Percent: true, Labels: []string{"1", "2", "3"}, Width: 360, Height: 252,
		Series: []chart.Series{{Name: "rate", Values: []float64{0.5, 1, 0.25}}}})
	if l.Max != 1 || len(l.Lines) != 1 {
		t.Fatalf("max %v, %d lines", l.Max, len(l.Lines))
	}
	if l.Lines[0].Points != "102,112 202,12 302,162" {
		t.Errorf("points %q", l.Lines[0].Points)
	}
	if l.Rows[2].Values[0] != "25%" || l.YTicks[2].Text != "50%" {
		t.Errorf("percent: %v, %v", l.Rows[2], l.YTicks[2])
	}
}

// TestDashChartCrowdedAxis: an axis with more categories than room shows every k-th label, and the
// table still holds every row.
func TestDashChartCrowdedAxis(t *testing.T) {
	labels := make([]string, 24)
	vals := make([]float64, 24)
	for i := range labels {
		labels[i], vals[i] = string(rune('a'+i)), float64(i*1000)
	}
	g := chart.Layout(chart.Chart{ID: "m", Kind: chart.Bar, Labels: labels, Series: []chart.Series{{Name: "n", Values: vals}}})
	if len(g.XTicks) >= 24 || len(g.XTicks) < 6 || len(g.Rows) != 24 {
		t.Errorf("%d x labels, %d rows", len(g.XTicks), len(g.Rows))
	}
	if g.Rows[23].Values[0] != "23,000" {
		t.Errorf("thousands: %q", g.Rows[23].Values[0])
	}
}

// TestDashChartEmpty: no categories, or only zeros, render the empty message and no drawing.
func TestDashChartEmpty(t *testing.T) {
	for name, c := range map[string]chart.Chart{
		"no labels": {ID: "e", Title: "T", Empty: "nothing yet"},
		"zeros":     {ID: "e", Title: "T", Empty: "nothing yet", Labels: []string{"a"}, Series: []chart.Series{{Name: "n", Values: []float64{0}}}},
		"no series": {ID: "e", Title: "T", Empty: "nothing yet", Labels: []string{"a"}},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := chart.Render(c)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(h), "<svg") || !strings.Contains(string(h), "nothing yet") {
				t.Errorf("empty chart:\n%s", h)
			}
		})
	}
}

// TestDashChartEscapesAndIsAccessible: labels and names are escaped wherever they appear (SVG text,
// titles, the table); the drawing is an image named by its title and description; the output is
// well-formed markup.
func TestDashChartEscapesAndIsAccessible(t *testing.T) {
	evil := `<script>alert("x")</script>&`
	h, err := chart.Render(chart.Chart{ID: "x", Kind: chart.Bar, Title: "T " + evil, Desc: "D", Category: "C",
		Labels: []string{evil, "ok"}, Series: []chart.Series{{Name: evil, Values: []float64{1, 2}}, {Name: "two", Values: []float64{2, 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(h)
	if strings.Contains(s, "<script") {
		t.Fatalf("a label was not escaped:\n%s", s)
	}
	for _, want := range []string{`role="img"`, `aria-labelledby="x-title x-desc"`, `<title id="x-title">T &lt;script&gt;`,
		`<caption>T &lt;script&gt;`, `<th scope="row">&lt;script&gt;`, `<th scope="col" class="num">&lt;script&gt;`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s in:\n%s", want, s)
		}
	}
	dec := xml.NewDecoder(strings.NewReader(s))
	dec.Strict = true
	for {
		_, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed: %v\n%s", err, s)
			}
			break
		}
	}
}
