package render

import (
	"strings"
	"testing"
)

// TestQRRectsCoverDarkModules paints the rectangles drawn for a code back into a grid: they must
// cover exactly the dark modules, each once, whatever the content.
func TestQRRectsCoverDarkModules(t *testing.T) {
	for _, content := range []string{
		"https://skillcert.example.cn/verify/" + sampleNumber,
		"https://skillcert.example.cn/verify/" + strings.Repeat("S", 150),
		"1",
	} {
		m, err := encodeQR(content)
		if err != nil {
			t.Fatal(err)
		}
		if m.size < 21 || (m.size-17)%4 != 0 || len(m.dark) != m.size*m.size {
			t.Fatalf("%q: matrix of size %d is no QR symbol", content, m.size)
		}
		painted := make([]int, len(m.dark))
		rects := m.rects()
		for _, r := range rects {
			for y := r.y; y < r.y+r.h; y++ {
				for x := r.x; x < r.x+r.w; x++ {
					painted[y*m.size+x]++
				}
			}
		}
		dark := 0
		for i, d := range m.dark {
			want := 0
			if d {
				want = 1
				dark++
			}
			if painted[i] != want {
				t.Fatalf("%q: module (%d,%d) painted %d times, dark=%v", content, i%m.size, i/m.size, painted[i], d)
			}
		}
		if len(rects) >= dark/2 {
			t.Errorf("%q: %d rectangles for %d dark modules: runs are not merged", content, len(rects), dark)
		}
	}
}

func TestQRTooLong(t *testing.T) {
	if _, err := encodeQR(strings.Repeat("x", 4000)); err == nil {
		t.Error("a URL beyond QR capacity should fail")
	}
}
