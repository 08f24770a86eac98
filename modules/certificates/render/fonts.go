package render

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/skillcert/skillcert/modules/platform"
)

// EnvFontPath names the environment variable that selects the CJK font explicitly: one path, or several
// joined by the OS path-list separator (":" on Linux), tried rune by rune in that order. When it is set,
// no other CJK font is looked for, so a typo fails loudly instead of silently picking another font.
const EnvFontPath = "SKILLCERT_CJK_FONT"

// FontPackage is the Debian package that provides the default CJK font (DroidSansFallbackFull.ttf,
// Apache-2.0): `apt-get install -y fonts-droid-fallback`. See docs/fonts.md.
const FontPackage = "fonts-droid-fallback"

// DebianFontPaths lists, best first, CJK fonts that Debian packages install and that gopdf can embed:
// TrueType outlines (glyf) with a Unicode format-4 cmap. The first one present is used. CFF-flavoured
// fonts such as Noto Sans CJK (fonts-noto-cjk) are absent on purpose: gopdf cannot subset them.
var DebianFontPaths = []string{
	// fonts-droid-fallback, Apache-2.0: all 20,902 URO ideographs and all 6,582 of Extension A
	// (names like 张䶮明), but no Latin: digits and ASCII come from the built-in Go font.
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	// fonts-wqy-zenhei, GPL-2 with a font-embedding exception: URO + Extension A + Latin; a collection.
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	// fonts-wqy-microhei, Apache-2.0 or GPL-3: URO + Latin, no Extension A; a collection.
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
}

// ErrFontNotFound is returned by New when no CJK font is configured or installed.
var ErrFontNotFound = platform.E(platform.KindInternal, "cjk_font_not_found",
	"no CJK TrueType font found: install the Debian package "+FontPackage+
		" (apt-get install -y "+FontPackage+") or set "+EnvFontPath+" to a TrueType .ttf/.ttc file")

// ErrFontUnusable is returned by New when a configured font file cannot be embedded by gopdf.
var ErrFontUnusable = platform.E(platform.KindInternal, "cjk_font_unusable", "the CJK font cannot be used")

// FindFonts returns the CJK font files to load: those named by EnvFontPath when getenv reports it set,
// else the first of DebianFontPaths that exists. It returns ErrFontNotFound when there is none.
func FindFonts(getenv func(string) string) ([]string, error) {
	return findFonts(getenv, DebianFontPaths)
}

func findFonts(getenv func(string) string, candidates []string) ([]string, error) {
	if v := strings.TrimSpace(getenv(EnvFontPath)); v != "" {
		var paths []string
		for _, p := range filepath.SplitList(v) {
			if p = strings.TrimSpace(p); p != "" {
				paths = append(paths, p)
			}
		}
		if len(paths) > 0 {
			return paths, nil
		}
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return []string{p}, nil
		}
	}
	return nil, ErrFontNotFound
}

// face is one font of the fallback chain, parsed once in New and read-only afterwards.
type face struct {
	name   string               // PDF-safe family name, without subset tag
	path   string               // file it came from, or "builtin:go-regular"
	probe  *gopdf.SubsetFontObj // gopdf's parse: glyph widths for layout
	src    *sfnt                // our parse: tables to cut per-document subsets from
	glyphs map[rune]uint        // rune → glyph index, for every rune the font draws
}

// osGetenv is os.Getenv, named so Options.Getenv can default to it.
var osGetenv = os.Getenv

func (f *face) has(r rune) bool {
	_, ok := f.glyphs[r]
	return ok
}

// fsType bits of the OS/2 table that forbid what we do: embed (restricted licence), subset, or embed
// outlines rather than bitmaps.
const (
	fsRestricted   = 0x0002
	fsNoSubsetting = 0x0100
	fsBitmapOnly   = 0x0200
)

// loadFace parses one font. name is a readable family name (letters and digits only).
func loadFace(name, path string, data []byte) (*face, error) {
	unusable := func(why string, err error) error {
		return platform.Wrap(platform.KindInternal, ErrFontUnusable.Code, "font "+path+": "+why, err)
	}
	data, err := sfntData(data)
	if err != nil {
		return nil, unusable("not embeddable", err)
	}
	src, err := parseSFNT(data)
	if err != nil {
		return nil, unusable("malformed TrueType font", err)
	}
	if os2 := src.tables["OS/2"]; len(os2) >= 10 {
		if fs := be.Uint16(os2[8:]); fs&0x000F == fsRestricted || fs&(fsNoSubsetting|fsBitmapOnly) != 0 {
			return nil, unusable(fmt.Sprintf("its licence flags (fsType 0x%04x) forbid subset embedding", fs), nil)
		}
	}
	probe := new(gopdf.SubsetFontObj)
	probe.SetTtfFontOption(gopdf.TtfOption{})
	if err := probe.SetTTFData(data); err != nil {
		return nil, unusable("gopdf cannot parse it (it needs TrueType outlines and a Unicode format-4 cmap)", err)
	}
	ttf := probe.GetTTFParser()
	f := &face{name: name, path: path, probe: probe, src: src, glyphs: make(map[rune]uint, len(ttf.Chars()))}
	for c, gid := range ttf.Chars() {
		if gid != 0 && int(gid) < src.numGlyphs {
			f.glyphs[rune(c)] = gid
		}
	}
	// gopdf maps runes above the BMP through the format-12 groups; mirror them so coverage agrees.
	for _, g := range ttf.GroupingTables() {
		for c := max(g.StartCharCode, 0x10000); c <= g.EndCharCode && c <= unicode.MaxRune; c++ {
			if gid := g.GlyphID + (c - g.StartCharCode); gid != 0 && int(gid) < src.numGlyphs {
				f.glyphs[rune(c)] = gid
			}
		}
	}
	return f, nil
}

// builtinLatin is the second face of every chain: Go Regular (BSD-3-Clause, from the Go module
// golang.org/x/image), which gives digits, Latin letters and ASCII punctuation to CJK fonts that lack
// them, as DroidSansFallbackFull does.
func builtinLatin() (*face, error) {
	return loadFace("GoRegular", "builtin:go-regular", goregular.TTF)
}

// readFont reads a font file for loadFace.
func readFont(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, platform.Wrap(platform.KindInternal, ErrFontUnusable.Code, "cannot read font "+path, err)
	}
	return data, nil
}

// fontName makes a PDF-safe family name from a file name: DroidSansFallbackFull.ttf → DroidSansFallbackFull.
func fontName(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var b strings.Builder
	for _, r := range base {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "CJKFont"
	}
	return b.String()
}

// subsetTag derives the six capital letters PDF prefixes to the name of an embedded subset (ISO 32000-1
// §9.6.4). Deriving it from the font data keeps output reproducible and gives different fonts different tags.
func subsetTag(data []byte) string {
	sum := sha256.Sum256(data)
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	return string(tag)
}

// sfntData returns font data gopdf can parse: a plain TrueType font as is, and face 0 of a TrueType
// collection (.ttc, such as the WenQuanYi fonts) rebuilt as a standalone font, since gopdf reads only
// the first table directory of a file. CFF-based fonts are refused with a clear reason.
func sfntData(data []byte) ([]byte, error) {
	if len(data) < 12 {
		return nil, errors.New("file too short to be a font")
	}
	switch tag := string(data[:4]); tag {
	case "\x00\x01\x00\x00":
		return data, nil
	case "ttcf":
		return extractCollectionFace(data, 0)
	case "OTTO":
		return nil, errors.New("OpenType font with CFF outlines: gopdf embeds only TrueType (glyf) outlines, " +
			"so use e.g. " + FontPackage + " rather than fonts-noto-cjk")
	case "true":
		return nil, errors.New("Apple 'true' TrueType font: not supported by gopdf")
	default:
		return nil, fmt.Errorf("not a TrueType font (signature %q)", tag)
	}
}

// extractCollectionFace copies face index of a TrueType collection into a standalone font file:
// a new table directory followed by each of the face's tables, 4-byte aligned. Table checksums do not
// change (the bytes do not) and head.checkSumAdjustment is recomputed for the new file.
func extractCollectionFace(data []byte, index int) ([]byte, error) {
	be := binary.BigEndian
	numFonts := int(be.Uint32(data[8:12]))
	if index < 0 || index >= numFonts || 12+4*numFonts > len(data) {
		return nil, fmt.Errorf("font collection has %d faces, no face %d", numFonts, index)
	}
	off := int(be.Uint32(data[12+4*index:]))
	if off+12 > len(data) {
		return nil, errors.New("font collection: face offset out of range")
	}
	if v := be.Uint32(data[off:]); v != 0x00010000 {
		return nil, fmt.Errorf("font collection face %d is not TrueType-flavoured (0x%08x)", index, v)
	}
	numTables := int(be.Uint16(data[off+4:]))
	dir := off + 12
	if dir+16*numTables > len(data) {
		return nil, errors.New("font collection: table directory out of range")
	}
	type table struct {
		tag              [4]byte
		sum, off, length uint32
	}
	tables := make([]table, numTables)
	size := 12 + 16*numTables
	for i := range tables {
		rec := data[dir+16*i:]
		t := table{sum: be.Uint32(rec[4:]), off: be.Uint32(rec[8:]), length: be.Uint32(rec[12:])}
		copy(t.tag[:], rec[:4])
		if uint64(t.off)+uint64(t.length) > uint64(len(data)) {
			return nil, fmt.Errorf("font collection: table %q out of range", t.tag[:])
		}
		tables[i] = t
		size += int(t.length+3) &^ 3
	}
	out := make([]byte, size)
	copy(out[:12], data[off:off+12]) // sfnt version, numTables, searchRange, entrySelector, rangeShift
	pos := 12 + 16*numTables
	headAt := -1
	for i, t := range tables {
		rec := out[12+16*i:]
		copy(rec[:4], t.tag[:])
		be.PutUint32(rec[4:], t.sum)
		be.PutUint32(rec[8:], uint32(pos))
		be.PutUint32(rec[12:], t.length)
		copy(out[pos:], data[t.off:t.off+t.length])
		if string(t.tag[:]) == "head" && t.length >= 12 {
			headAt = pos
		}
		pos += int(t.length+3) &^ 3
	}
	if headAt >= 0 {
		be.PutUint32(out[headAt+8:], 0)
		be.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	}
	return out, nil
}

// checksum is the sfnt table checksum: the sum of big-endian uint32 words, zero-padded.
func checksum(b []byte) uint32 {
	var sum uint32
	for len(b) >= 4 {
		sum += binary.BigEndian.Uint32(b)
		b = b[4:]
	}
	if len(b) > 0 {
		var last [4]byte
		copy(last[:], b)
		sum += binary.BigEndian.Uint32(last[:])
	}
	return sum
}
