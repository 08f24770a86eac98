package render

import (
	qrcode "github.com/yeqown/go-qrcode/v2"

	"github.com/skillcert/skillcert/modules/platform"
)

// The QR module matrix comes from github.com/yeqown/go-qrcode/v2: maintained (v2.2.5, 2025), its only
// dependency is its Reed-Solomon coder, and it gives the bare module matrix, which is all we need to
// draw vectors. Of the other modules the proxy serves, github.com/boombuler/barcode/qr is maintained
// too but three times slower here (2.1 ms against 0.7 ms per code: its mask scoring dominates a page),
// and github.com/skip2/go-qrcode (last commit 2020, no release) and rsc.io/qr (v0.2.0 of 2018) are
// frozen. Drawing modules as filled rectangles instead of embedding a PNG keeps the code sharp at any
// zoom and costs no image encoding per certificate.

// qrLevel is error correction M (15%): the URL stays short enough for a small code, and a scuffed or
// stamped print still scans.
var qrLevel = qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium)

// qrQuietZone is the blank margin, in modules, that ISO/IEC 18004 requires around the symbol.
const qrQuietZone = 4

// qrMatrix is a square QR symbol: dark[y*size+x] tells whether module (x, y) is dark.
type qrMatrix struct {
	size int
	dark []bool
}

// encodeQR computes the QR symbol of content.
func encodeQR(content string) (qrMatrix, error) {
	code, err := qrcode.NewWith(content, qrLevel)
	if err != nil {
		return qrMatrix{}, platform.Wrap(platform.KindUnprocessable, "qr_failed",
			"the verify URL cannot be encoded as a QR code", err)
	}
	var w matrixWriter
	if err := code.Save(&w); err != nil {
		return qrMatrix{}, platform.Wrap(platform.KindInternal, "qr_failed", "the QR matrix cannot be read", err)
	}
	return w.m, nil
}

// matrixWriter receives the finished matrix from go-qrcode (its Writer interface is the way out).
type matrixWriter struct {
	m qrMatrix
}

func (w *matrixWriter) Write(mat qrcode.Matrix) error {
	bm := mat.Bitmap() // rows of columns, no quiet zone
	w.m = qrMatrix{size: len(bm), dark: make([]bool, 0, len(bm)*len(bm))}
	for _, row := range bm {
		w.m.dark = append(w.m.dark, row...)
	}
	return nil
}

func (w *matrixWriter) Close() error { return nil }

// moduleRect is a rectangle of dark modules, in module units.
type moduleRect struct {
	x, y, w, h int
}

// rects covers the dark modules with few rectangles: horizontal runs of each row, merged downwards
// with an identical run in the next row. Fewer, larger rectangles make a smaller content stream and
// leave no hairline seams between modules in anti-aliasing viewers.
func (m qrMatrix) rects() []moduleRect {
	var done []moduleRect
	open := map[[2]int]int{} // (x, w) → index in done of a rect whose bottom is the previous row
	for y := 0; y < m.size; y++ {
		next := map[[2]int]int{}
		for x := 0; x < m.size; {
			if !m.dark[y*m.size+x] {
				x++
				continue
			}
			start := x
			for x < m.size && m.dark[y*m.size+x] {
				x++
			}
			k := [2]int{start, x - start}
			if i, ok := open[k]; ok {
				done[i].h++
				next[k] = i
			} else {
				done = append(done, moduleRect{x: start, y: y, w: x - start, h: 1})
				next[k] = len(done) - 1
			}
		}
		open = next
	}
	return done
}
