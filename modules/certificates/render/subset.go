package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
)

// Why a subsetter of our own in front of gopdf: gopdf subsets a font by keeping the glyph numbering
// of the original, so every PDF carries a loca entry and an hmtx entry for each glyph of the font and
// deflates them. For a CJK font of 49,382 glyphs that is ~350 KB to compress per certificate, three
// quarters of the time of a page (11 ms). Renumbering the few dozen glyphs a certificate uses into a
// tiny font before handing it to gopdf makes the per-page font work a few kilobytes, and gopdf parses
// that tiny font in microseconds. The big font is still parsed exactly once, in New.

// sfnt is a TrueType font parsed for subsetting: its tables and the offsets of each glyph.
type sfnt struct {
	tables      map[string][]byte
	name        []byte // the name table cut to the records a subset keeps (see shortName)
	numGlyphs   int
	numHMetrics int
	loca        []uint32 // numGlyphs+1 offsets into glyf
}

var be = binary.BigEndian

// parseSFNT reads the tables a subset is built from. data must be a single TrueType font.
func parseSFNT(data []byte) (*sfnt, error) {
	if len(data) < 12 || be.Uint32(data) != 0x00010000 {
		return nil, errors.New("not a TrueType font")
	}
	n := int(be.Uint16(data[4:]))
	if 12+16*n > len(data) {
		return nil, errors.New("table directory out of range")
	}
	f := &sfnt{tables: make(map[string][]byte, n)}
	for i := 0; i < n; i++ {
		rec := data[12+16*i:]
		off, length := uint64(be.Uint32(rec[8:])), uint64(be.Uint32(rec[12:]))
		if off+length > uint64(len(data)) {
			return nil, fmt.Errorf("table %q out of range", rec[:4])
		}
		f.tables[string(rec[:4])] = data[off : off+length]
	}
	for _, tag := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "OS/2", "name", "post"} {
		if f.tables[tag] == nil {
			return nil, fmt.Errorf("no %s table", tag)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 || len(f.tables["post"]) < 32 {
		return nil, errors.New("head, hhea, maxp or post table too short")
	}
	f.numGlyphs = int(be.Uint16(maxp[4:]))
	f.numHMetrics = int(be.Uint16(hhea[34:]))
	if f.numGlyphs == 0 || f.numHMetrics == 0 || f.numHMetrics > f.numGlyphs ||
		len(f.tables["hmtx"]) < 4*f.numHMetrics+2*(f.numGlyphs-f.numHMetrics) {
		return nil, errors.New("inconsistent glyph counts")
	}
	loca, glyf := f.tables["loca"], f.tables["glyf"]
	f.loca = make([]uint32, f.numGlyphs+1)
	long := be.Uint16(head[50:]) == 1
	for i := range f.loca {
		switch {
		case long && 4*i+4 <= len(loca):
			f.loca[i] = be.Uint32(loca[4*i:])
		case !long && 2*i+2 <= len(loca):
			f.loca[i] = 2 * uint32(be.Uint16(loca[2*i:]))
		default:
			return nil, errors.New("loca table too short")
		}
		if f.loca[i] > uint32(len(glyf)) || (i > 0 && f.loca[i] < f.loca[i-1]) {
			return nil, errors.New("loca offsets out of order or range")
		}
	}
	f.name = shortName(f.tables["name"])
	return f, nil
}

// shortName keeps, of a name table, the Windows-platform records that identify the font: copyright,
// family, style, unique id, full name, version and PostScript name (IDs 0–6). Licence texts and
// descriptions (7 KB in Go Regular) would otherwise be compressed into every certificate; the
// copyright notice stays with the outlines. A table it cannot read is kept whole.
func shortName(t []byte) []byte {
	if len(t) < 6 || be.Uint16(t) != 0 {
		return t
	}
	count, strOff := int(be.Uint16(t[2:])), int(be.Uint16(t[4:]))
	if 6+12*count > len(t) || strOff > len(t) {
		return t
	}
	var recs [][]byte
	var strs []byte
	for i := 0; i < count; i++ {
		rec := t[6+12*i : 18+12*i]
		if be.Uint16(rec) != 3 || be.Uint16(rec[6:]) > 6 {
			continue
		}
		l, o := int(be.Uint16(rec[8:])), strOff+int(be.Uint16(rec[10:]))
		if o+l > len(t) {
			return t
		}
		nr := slices.Clone(rec)
		be.PutUint16(nr[10:], uint16(len(strs)))
		strs = append(strs, t[o:o+l]...)
		recs = append(recs, nr)
	}
	if len(recs) == 0 {
		return t
	}
	out := make([]byte, 6, 6+12*len(recs)+len(strs))
	be.PutUint16(out[2:], uint16(len(recs)))
	be.PutUint16(out[4:], uint16(6+12*len(recs)))
	for _, r := range recs {
		out = append(out, r...)
	}
	return append(out, strs...)
}

// glyph returns the glyf data of glyph gid (empty for a blank glyph such as a space).
func (f *sfnt) glyph(gid int) []byte {
	return f.tables["glyf"][f.loca[gid]:f.loca[gid+1]]
}

// metric returns the advance width and left side bearing of gid from hmtx.
func (f *sfnt) metric(gid int) (uint16, uint16) {
	hmtx := f.tables["hmtx"]
	if gid < f.numHMetrics {
		return be.Uint16(hmtx[4*gid:]), be.Uint16(hmtx[4*gid+2:])
	}
	adv := be.Uint16(hmtx[4*(f.numHMetrics-1):])
	return adv, be.Uint16(hmtx[4*f.numHMetrics+2*(gid-f.numHMetrics):])
}

// Composite glyph flags (OpenType glyf table).
const (
	argsAreWords     = 0x0001
	haveScale        = 0x0008
	moreComponents   = 0x0020
	haveXYScale      = 0x0040
	haveTwoByTwo     = 0x0080
	haveInstructions = 0x0100
	compositeHeader  = 10
)

// components calls fn with the offset (within g) of each component glyph index of composite glyph g.
func components(g []byte, fn func(at int)) error {
	if len(g) < compositeHeader || int16(be.Uint16(g)) >= 0 {
		return nil // empty or simple glyph
	}
	_, err := walkComponents(g, func(at, _ int) { fn(at + 2) })
	return err
}

// walkComponents calls fn with the offset and flags of each component record of composite glyph g and
// returns the offset just past the last record, where the glyph's instructions (if any) start.
func walkComponents(g []byte, fn func(at, flags int)) (int, error) {
	for at := compositeHeader; ; {
		if at+4 > len(g) {
			return 0, errors.New("composite glyph truncated")
		}
		flags := be.Uint16(g[at:])
		fn(at, int(flags))
		at += 4
		if flags&argsAreWords != 0 {
			at += 4
		} else {
			at += 2
		}
		switch {
		case flags&haveScale != 0:
			at += 2
		case flags&haveXYScale != 0:
			at += 4
		case flags&haveTwoByTwo != 0:
			at += 8
		}
		if flags&moreComponents == 0 {
			if at > len(g) {
				return 0, errors.New("composite glyph truncated")
			}
			return at, nil
		}
	}
}

// unhinted returns glyph g without its TrueType instructions. The subsets drop the hinting programs
// (fpgm, prep, cvt): PDF viewers rasterise at print and zoom resolutions where hinting buys little,
// and the bytecode would be a third of a Latin subset, compressed again for every certificate.
func unhinted(g []byte) ([]byte, error) {
	if len(g) < compositeHeader {
		return g, nil // empty glyph
	}
	if n := int(int16(be.Uint16(g))); n >= 0 {
		at := compositeHeader + 2*n // instructionLength
		if at+2 > len(g) {
			return nil, errors.New("simple glyph truncated")
		}
		l := int(be.Uint16(g[at:]))
		if at+2+l > len(g) {
			return nil, errors.New("simple glyph instructions truncated")
		}
		if l == 0 {
			return g, nil
		}
		out := make([]byte, 0, len(g)-l)
		out = append(out, g[:at]...)
		out = append(out, 0, 0)
		return append(out, g[at+2+l:]...), nil
	}
	out := slices.Clone(g)
	end, err := walkComponents(out, func(at, flags int) {
		be.PutUint16(out[at:], uint16(flags&^haveInstructions))
	})
	if err != nil {
		return nil, err
	}
	return out[:end], nil
}

// subset builds a standalone TrueType font holding glyph 0 and the glyphs of runes (gids[i] draws
// runes[i]), renumbered from 1 in the order given, plus the components of composite glyphs. Its cmap
// maps each rune to its new glyph; metrics, outlines and hinting programs are copied unchanged.
func (f *sfnt) subset(runes []rune, gids []uint) ([]byte, error) {
	newID := map[int]uint16{0: 0}
	order := []int{0}
	add := func(gid int) (uint16, error) {
		if id, ok := newID[gid]; ok {
			return id, nil
		}
		if gid < 0 || gid >= f.numGlyphs {
			return 0, fmt.Errorf("glyph %d out of range", gid)
		}
		if len(order) >= 0xFFFF {
			return 0, errors.New("too many glyphs")
		}
		id := uint16(len(order))
		newID[gid] = id
		order = append(order, gid)
		return id, nil
	}
	cmap := make([]cmapEntry, 0, len(runes))
	for i, r := range runes {
		id, err := add(int(gids[i]))
		if err != nil {
			return nil, err
		}
		cmap = append(cmap, cmapEntry{r, id})
	}
	// Components may be composites themselves: order grows while we walk it.
	for i := 0; i < len(order); i++ {
		var addErr error
		err := components(f.glyph(order[i]), func(at int) {
			if _, err := add(int(be.Uint16(f.glyph(order[i])[at:]))); err != nil && addErr == nil {
				addErr = err
			}
		})
		if err != nil {
			return nil, err
		}
		if addErr != nil {
			return nil, addErr
		}
	}

	n := len(order)
	var glyf []byte
	loca := make([]byte, 4*(n+1))
	hmtx := make([]byte, 4*n)
	for i, gid := range order {
		be.PutUint32(loca[4*i:], uint32(len(glyf)))
		g, err := unhinted(f.glyph(gid))
		if err != nil {
			return nil, fmt.Errorf("glyph %d: %w", gid, err)
		}
		start := len(glyf)
		glyf = append(glyf, g...)
		if err := components(glyf[start:], func(at int) {
			old := int(be.Uint16(glyf[start+at:]))
			be.PutUint16(glyf[start+at:], newID[old])
		}); err != nil {
			return nil, err
		}
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		adv, lsb := f.metric(gid)
		be.PutUint16(hmtx[4*i:], adv)
		be.PutUint16(hmtx[4*i+2:], lsb)
	}
	be.PutUint32(loca[4*n:], uint32(len(glyf)))

	head := slices.Clone(f.tables["head"])
	be.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	be.PutUint16(head[50:], 1) // long loca offsets
	hhea := slices.Clone(f.tables["hhea"])
	be.PutUint16(hhea[34:], uint16(n))
	maxp := slices.Clone(f.tables["maxp"])
	be.PutUint16(maxp[4:], uint16(n))
	post := slices.Clone(f.tables["post"][:32])
	be.PutUint32(post, 0x00030000) // version 3: no glyph names

	slices.SortFunc(cmap, func(a, b cmapEntry) int { return int(a.r - b.r) })
	out := assemble(map[string][]byte{
		"OS/2": f.tables["OS/2"], "cmap": buildCmap(cmap), "glyf": glyf, "head": head, "hhea": hhea,
		"hmtx": hmtx, "loca": loca, "maxp": maxp, "name": f.name, "post": post,
	})
	if at := headOffset(out); at >= 0 {
		be.PutUint32(out[at+8:], 0xB1B0AFBA-checksum(out))
	}
	return out, nil
}

// cmapEntry maps a rune to a glyph of the subset.
type cmapEntry struct {
	r  rune
	id uint16
}

// buildCmap writes a cmap with a (3,1) format-4 subtable for BMP runes and, when needed, a (3,10)
// format-12 subtable for the others; gopdf reads exactly these two. m is sorted by rune.
func buildCmap(m []cmapEntry) []byte {
	type seg struct {
		start, end rune
		id         uint16
	}
	var bmp, astral []seg
	for _, x := range m {
		list := &bmp
		if x.r > 0xFFFF {
			list = &astral
		}
		if k := len(*list); k > 0 {
			last := &(*list)[k-1]
			if x.r == last.end+1 && int(x.id) == int(last.id)+int(last.end-last.start)+1 {
				last.end = x.r
				continue
			}
		}
		*list = append(*list, seg{x.r, x.r, x.id})
	}
	bmp = append(bmp, seg{0xFFFF, 0xFFFF, 1}) // the required last segment, mapping 0xFFFF to glyph 0

	segs := len(bmp)
	f4 := make([]byte, 16+8*segs)
	be.PutUint16(f4[0:], 4)
	be.PutUint16(f4[2:], uint16(len(f4)))
	be.PutUint16(f4[6:], uint16(2*segs))
	sel := bits.Len(uint(segs)) - 1
	be.PutUint16(f4[8:], uint16(2<<sel))
	be.PutUint16(f4[10:], uint16(sel))
	be.PutUint16(f4[12:], uint16(2*segs-2<<sel))
	for i, s := range bmp {
		be.PutUint16(f4[14+2*i:], uint16(s.end))
		be.PutUint16(f4[16+2*segs+2*i:], uint16(s.start))
		delta := uint16(int(s.id) - int(s.start)) // modulo 65536, as the format defines
		if s.start == 0xFFFF {
			delta = 1
		}
		be.PutUint16(f4[16+4*segs+2*i:], delta)
		// idRangeOffset stays 0: glyph = rune + delta
	}

	numTables := 1
	if len(astral) > 0 {
		numTables = 2
	}
	head := 4 + 8*numTables
	out := make([]byte, head, head+len(f4)+16+12*len(astral))
	be.PutUint16(out[2:], uint16(numTables))
	be.PutUint16(out[4:], 3)
	be.PutUint16(out[6:], 1)
	be.PutUint32(out[8:], uint32(head))
	out = append(out, f4...)
	if len(astral) > 0 {
		be.PutUint16(out[12:], 3)
		be.PutUint16(out[14:], 10)
		be.PutUint32(out[16:], uint32(len(out)))
		f12 := make([]byte, 16+12*len(astral))
		be.PutUint16(f12[0:], 12)
		be.PutUint32(f12[4:], uint32(len(f12)))
		be.PutUint32(f12[12:], uint32(len(astral)))
		for i, s := range astral {
			be.PutUint32(f12[16+12*i:], uint32(s.start))
			be.PutUint32(f12[20+12*i:], uint32(s.end))
			be.PutUint32(f12[24+12*i:], uint32(s.id))
		}
		out = append(out, f12...)
	}
	return out
}

// assemble writes tables as one sfnt file, tags sorted, each table 4-byte aligned, with checksums.
func assemble(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	size := 12 + 16*len(tables)
	for tag, t := range tables {
		tags = append(tags, tag)
		size += (len(t) + 3) &^ 3
	}
	slices.Sort(tags)
	out := make([]byte, 12+16*len(tables), size)
	n := len(tables)
	sel := bits.Len(uint(n)) - 1
	be.PutUint32(out, 0x00010000)
	be.PutUint16(out[4:], uint16(n))
	be.PutUint16(out[6:], uint16(16<<sel))
	be.PutUint16(out[8:], uint16(sel))
	be.PutUint16(out[10:], uint16(16*n-16<<sel))
	for i, tag := range tags {
		t := tables[tag]
		rec := out[12+16*i:]
		copy(rec, tag)
		be.PutUint32(rec[4:], checksum(t))
		be.PutUint32(rec[8:], uint32(len(out)))
		be.PutUint32(rec[12:], uint32(len(t)))
		out = append(out, t...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// headOffset returns where the head table starts in an sfnt file, or -1.
func headOffset(font []byte) int {
	n := int(be.Uint16(font[4:]))
	for i := 0; i < n; i++ {
		rec := font[12+16*i:]
		if string(rec[:4]) == "head" {
			return int(be.Uint32(rec[8:]))
		}
	}
	return -1
}
