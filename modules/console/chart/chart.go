// Package chart draws the console's charts — bar, line and stacked bar — as SVG on the server: the
// geometry is computed here in Go and written out by html/template (so every label is escaped), with
// no script and nothing from another host. Each chart is a figure holding the drawing (role="img",
// with a <title> and a <desc>) followed by the same numbers as a table, for screen readers and for
// anyone who wants the figures rather than the picture.
package chart

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"math"
	"strconv"
)

// Kind is how a chart draws its series.
type Kind string

// The kinds of chart.
const (
	Bar     Kind = "bar"     // one bar per series side by side in each category
	Stacked Kind = "stacked" // the series' bars stacked in each category
	Line    Kind = "line"    // one line per series through the categories
)

// Series is one named row of values, one per category.
type Series struct {
	Name   string
	Values []float64
}

// Chart is what to draw: categories along the x axis, one or more series of values.
type Chart struct {
	ID       string // unique on the page: the ids of the title and description derive from it
	Kind     Kind
	Title    string
	Desc     string   // a sentence saying what the chart shows (read by screen readers)
	Category string   // the heading of the table's first column (what the categories are)
	Labels   []string // the categories
	Series   []Series
	Empty    string // what to show when there is nothing to draw
	// Percent formats values as percentages of 1 (0.875 → 87.5%); otherwise they are counts.
	Percent bool
	// Width and Height of the drawing in SVG units (0: 420 × 220); it scales to its container.
	Width, Height int
}

// Drawing sizes: the margins leave room for the y axis' tick labels and the x axis' categories.
const (
	defaultWidth  = 420
	defaultHeight = 220
	maxBarWidth   = 56
	marginLeft    = 52
	marginRight   = 8
	marginTop     = 12
	marginBottom  = 40
	minLabelGap   = 56 // the least room an x label needs; more crowded axes show every k-th label
	yTicks        = 4
	seriesClasses = 6 // chart-s0 … chart-s5 in the stylesheet, reused in turn
)

// Rect is one bar.
type Rect struct {
	X, Y, W, H float64
	Class      string
	Title      string // "category · series: value", shown as the bar's tooltip
}

// Polyline is one series of a line chart, with a dot at each point.
type Polyline struct {
	Points string
	Class  string
	Dots   []Dot
}

// Dot is a point of a line.
type Dot struct {
	X, Y  float64
	Title string
}

// Tick is a label on an axis at a position.
type Tick struct {
	X, Y float64
	Text string
}

// Key is an entry of the legend.
type Key struct {
	Name, Class string
}

// Row is one row of the numbers table.
type Row struct {
	Label  string
	Values []string
}

// Geometry is a chart laid out: what the template draws.
type Geometry struct {
	Chart
	Width, Height     int
	Left, Right       float64 // the plot area's x range
	Top, Bottom       float64 // its y range (Bottom is the baseline)
	Max               float64 // the value at the top of the y axis
	Bars              []Rect
	Lines             []Polyline
	YTicks, XTicks    []Tick
	Keys              []Key
	Rows              []Row
	TitleID, DescID   string
	HasData, Multiple bool
}

// Layout computes the geometry of c.
func Layout(c Chart) Geometry {
	g := Geometry{Chart: c, Width: c.Width, Height: c.Height, TitleID: c.ID + "-title", DescID: c.ID + "-desc"}
	if g.Width <= 0 {
		g.Width = defaultWidth
	}
	if g.Height <= 0 {
		g.Height = defaultHeight
	}
	g.Left, g.Right = marginLeft, float64(g.Width-marginRight)
	g.Top, g.Bottom = marginTop, float64(g.Height-marginBottom)
	g.Multiple = len(c.Series) > 1
	for i, s := range c.Series {
		g.Keys = append(g.Keys, Key{Name: s.Name, Class: class(i)})
	}
	for i, label := range c.Labels {
		r := Row{Label: label}
		for _, s := range c.Series {
			r.Values = append(r.Values, c.format(value(s, i)))
		}
		g.Rows = append(g.Rows, r)
	}
	n := len(c.Labels)
	top := 0.0
	for i := 0; i < n; i++ {
		sum := 0.0
		for _, s := range c.Series {
			v := math.Max(value(s, i), 0)
			if c.Kind == Stacked {
				sum += v
			} else {
				sum = math.Max(sum, v)
			}
			if v > 0 {
				g.HasData = true
			}
		}
		top = math.Max(top, sum)
	}
	if n == 0 || len(c.Series) == 0 {
		return g
	}
	g.Max = niceMax(top, c.Percent)
	plotH := g.Bottom - g.Top
	y := func(v float64) float64 { return round(g.Bottom - v/g.Max*plotH) }
	for t := 0; t <= yTicks; t++ {
		v := g.Max * float64(t) / yTicks
		g.YTicks = append(g.YTicks, Tick{X: g.Left - 6, Y: y(v), Text: c.format(v)})
	}
	band := (g.Right - g.Left) / float64(n)
	every := int(math.Ceil(minLabelGap / band))
	for i, label := range c.Labels {
		if i%every == 0 {
			g.XTicks = append(g.XTicks, Tick{X: round(g.Left + band*(float64(i)+0.5)), Y: g.Bottom + 16, Text: label})
		}
	}
	switch c.Kind {
	case Line:
		for si, s := range c.Series {
			pl := Polyline{Class: class(si)}
			var pts bytes.Buffer
			for i := range c.Labels {
				x, yy := round(g.Left+band*(float64(i)+0.5)), y(math.Max(value(s, i), 0))
				if i > 0 {
					pts.WriteByte(' ')
				}
				pts.WriteString(num(x) + "," + num(yy))
				pl.Dots = append(pl.Dots, Dot{X: x, Y: yy, Title: c.tip(c.Labels[i], s.Name, value(s, i))})
			}
			pl.Points = pts.String()
			g.Lines = append(g.Lines, pl)
		}
	case Stacked:
		w := math.Min(band*0.7, maxBarWidth)
		for i, label := range c.Labels {
			base := 0.0
			for si, s := range c.Series {
				v := math.Max(value(s, i), 0)
				if v == 0 {
					continue
				}
				y0, y1 := y(base), y(base+v)
				g.Bars = append(g.Bars, Rect{X: round(g.Left + band*float64(i) + (band-w)/2), Y: y1, W: round(w), H: round(y0 - y1),
					Class: class(si), Title: c.tip(label, s.Name, v)})
				base += v
			}
		}
	default: // Bar
		w := math.Min(band*0.8/float64(len(c.Series)), maxBarWidth)
		pad := (band - w*float64(len(c.Series))) / 2
		for i, label := range c.Labels {
			for si, s := range c.Series {
				v := math.Max(value(s, i), 0)
				g.Bars = append(g.Bars, Rect{X: round(g.Left + band*float64(i) + pad + w*float64(si)), Y: y(v), W: round(w), H: round(g.Bottom - y(v)),
					Class: class(si), Title: c.tip(label, s.Name, value(s, i))})
			}
		}
	}
	return g
}

func value(s Series, i int) float64 {
	if i < len(s.Values) {
		return s.Values[i]
	}
	return 0
}

func class(i int) string { return "chart-s" + strconv.Itoa(i%seriesClasses) }

func (c Chart) tip(label, series string, v float64) string {
	if len(c.Series) > 1 {
		return label + " · " + series + ": " + c.format(v)
	}
	return label + ": " + c.format(v)
}

// format writes a value as the table and the tooltips show it.
func (c Chart) format(v float64) string {
	if c.Percent {
		return strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + "%"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return groupThousands(int64(v))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// groupThousands writes 1234567 as 1,234,567.
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b bytes.Buffer
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// niceMax rounds the largest value up to a round number the y axis can be divided by yTicks at (1, 2,
// 2.5 or 5 times a power of ten per tick); percentages top out at 100 %.
func niceMax(v float64, percent bool) float64 {
	if percent {
		if v <= 0 {
			return 1
		}
		for _, m := range []float64{0.2, 0.4, 0.6, 0.8, 1} {
			if v <= m {
				return m
			}
		}
		return niceMax(v, false)
	}
	if v <= 0 {
		return yTicks
	}
	step := v / yTicks
	mag := math.Pow(10, math.Floor(math.Log10(step)))
	s := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if t := m * mag; t >= step && t == math.Trunc(t) || t >= step && percent {
			s = t
			break
		}
	}
	if s < 1 {
		s = 1 // counts: ticks at whole numbers
	}
	return s * yTicks
}

func round(v float64) float64 { return math.Round(v*10) / 10 }

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

//go:embed chart.html
var files embed.FS

var tmpl = template.Must(template.New("chart.html").Funcs(template.FuncMap{"num": num}).ParseFS(files, "chart.html"))

// Render writes the chart as HTML: a figure with the SVG drawing and the numbers table, or the Empty
// message when there is nothing to draw.
func Render(c Chart) (template.HTML, error) {
	var b bytes.Buffer
	if err := tmpl.Execute(&b, Layout(c)); err != nil {
		return "", fmt.Errorf("chart %s: %w", c.ID, err)
	}
	return template.HTML(b.String()), nil //nolint:gosec // written by html/template, which escaped every value
}
