package render

import (
	"bytes"
	"testing"

	"github.com/signintech/gopdf"
)

// BenchmarkRender renders the same certificate in a tight loop: the reference for the issuance
// pipeline, which must reach at least half of it and 200 certificates/s on one core.
func BenchmarkRender(b *testing.B) {
	r := mustRenderer(b)
	c := sample()
	c.Photo = testPhoto(b, "jpeg")
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := r.Render(&buf, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/pdf")
}

// BenchmarkRenderParallel renders on every core with one shared Renderer, as asynq workers do.
func BenchmarkRenderParallel(b *testing.B) {
	r := mustRenderer(b)
	c := sample()
	c.Photo = testPhoto(b, "jpeg")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var buf bytes.Buffer
		for pb.Next() {
			buf.Reset()
			if err := r.Render(&buf, c); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRenderBlank is gopdf's floor: a blank A4 page, no font, no drawing.
func BenchmarkRenderBlank(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		pdf := &gopdf.GoPdf{}
		pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
		pdf.AddPage()
		if _, err := pdf.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
	}
}
