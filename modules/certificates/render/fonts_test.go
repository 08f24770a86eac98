package render

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

func TestFindFonts(t *testing.T) {
	dir := t.TempDir()
	installed := filepath.Join(dir, "installed.ttf")
	if err := os.WriteFile(installed, goregular.TTF, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.ttf")
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvFontPath {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name       string
		getenv     func(string) string
		candidates []string
		want       []string
		wantErr    error
	}{
		{"variable wins over installed fonts", env("/a.ttf"), []string{installed}, []string{"/a.ttf"}, nil},
		{"variable lists several fonts", env("/a.ttf" + string(os.PathListSeparator) + " /b.ttc "), nil, []string{"/a.ttf", "/b.ttc"}, nil},
		{"first installed candidate", env(""), []string{missing, installed}, []string{installed}, nil},
		{"a directory is no font", env(""), []string{dir}, nil, ErrFontNotFound},
		{"nothing installed", env("  "), []string{missing}, nil, ErrFontNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findFonts(tt.getenv, tt.candidates)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFontNotFoundNamesThePackage: on a fresh machine the error must say what to install.
func TestFontNotFoundNamesThePackage(t *testing.T) {
	_, err := findFonts(func(string) string { return "" }, nil)
	if !errors.Is(err, ErrFontNotFound) {
		t.Fatalf("want ErrFontNotFound, got %v", err)
	}
	for _, want := range []string{"apt-get install -y " + FontPackage, EnvFontPath} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestNewRejectsUnusableFonts(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	restricted := bytes.Clone(goregular.TTF)
	binary.BigEndian.PutUint16(restricted[tableOffset(t, restricted, "OS/2")+8:], fsRestricted)
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "none.ttf"), "cannot read"},
		{"CFF OpenType", write("cff.otf", append([]byte("OTTO"), make([]byte, 64)...)), "CFF"},
		{"not a font", write("text.ttf", []byte("hello, this is not a font file")), "not a TrueType font"},
		{"licence forbids embedding", write("restricted.ttf", restricted), "fsType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{FontPaths: []string{tt.path}})
			if !errors.Is(err, ErrFontUnusable) {
				t.Fatalf("want ErrFontUnusable, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q should name the file and say %q", err, tt.want)
			}
		})
	}
}

// TestCollectionFace builds a two-face collection (Go Regular, Go Bold) and checks that face 1
// comes out as a standalone font with Go Bold's tables, which New then loads from a .ttc path.
func TestCollectionFace(t *testing.T) {
	ttc := makeCollection(t, goregular.TTF, gobold.TTF)
	face, err := extractCollectionFace(ttc, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseSFNT(face)
	if err != nil {
		t.Fatal(err)
	}
	want, err := parseSFNT(gobold.TTF)
	if err != nil {
		t.Fatal(err)
	}
	for tag, data := range want.tables {
		if tag == "head" {
			continue // checkSumAdjustment is recomputed
		}
		if !bytes.Equal(got.tables[tag], data) {
			t.Errorf("table %q differs from Go Bold's", tag)
		}
	}
	if sum := checksum(face); sum != 0xB1B0AFBA {
		t.Errorf("file checksum 0x%08x, want 0xB1B0AFBA", sum)
	}
	if _, err := extractCollectionFace(ttc, 2); err == nil {
		t.Error("face 2 of a two-face collection should not exist")
	}

	path := filepath.Join(t.TempDir(), "go.ttc")
	if err := os.WriteFile(path, ttc, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{FontPaths: []string{path}})
	if err != nil {
		t.Fatalf("New with a collection: %v", err)
	}
	if got := r.FontFiles(); len(got) != 2 || got[0] != path || got[1] != "builtin:go-regular" {
		t.Errorf("FontFiles = %q", got)
	}
	if m := r.MissingGlyphs("Abc 123"); m != nil {
		t.Errorf("collection face misses %U", m)
	}
}

// TestSubsetKeepsGlyphs cuts a subset of Go Regular and reads it back with gopdf's own parser: each
// rune maps to a glyph with the original outline (instructions removed) and advance width, nothing
// else is mapped, and runes above the BMP go through the format-12 cmap.
func TestSubsetKeepsGlyphs(t *testing.T) {
	src, err := parseSFNT(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	var probe gopdf.SubsetFontObj
	if err := probe.SetTTFData(goregular.TTF); err != nil {
		t.Fatal(err)
	}
	chars := probe.GetTTFParser().Chars()
	runes := []rune{'A', 'g', '1', 'é'}
	var gids []uint
	for _, c := range runes {
		gids = append(gids, chars[int(c)])
	}
	// A supplementary rune, drawn with the glyph of 'Z', tests the format-12 subtable.
	runes, gids = append(runes, 0x20000), append(gids, chars['Z'])

	data, err := src.subset(runes, gids)
	if err != nil {
		t.Fatal(err)
	}
	var sub gopdf.SubsetFontObj
	if err := sub.SetTTFData(data); err != nil {
		t.Fatalf("gopdf cannot parse the subset: %v", err)
	}
	out, err := parseSFNT(data)
	if err != nil {
		t.Fatal(err)
	}
	if out.numGlyphs != len(runes)+1 {
		t.Errorf("subset has %d glyphs, want .notdef and %d", out.numGlyphs, len(runes))
	}
	for i, c := range runes {
		ngid, err := sub.CharCodeToGlyphIndex(c)
		if err != nil || ngid == 0 {
			t.Errorf("%U: not mapped in the subset (%v)", c, err)
			continue
		}
		if got, want := sub.GlyphIndexToPdfWidth(ngid), probe.GlyphIndexToPdfWidth(gids[i]); got != want {
			t.Errorf("%U: width %d, want %d", c, got, want)
		}
		want, err := unhinted(src.glyph(int(gids[i])))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(trimPad(out.glyph(int(ngid))), trimPad(want)) {
			t.Errorf("%U: outline differs from the original", c)
		}
		if len(want) >= len(src.glyph(int(gids[i]))) {
			t.Errorf("%U: instructions were not removed", c)
		}
	}
	if gid, err := sub.CharCodeToGlyphIndex('B'); err == nil && gid != 0 {
		t.Error("'B' was not asked for but is mapped")
	}
	if out.tables["fpgm"] != nil {
		t.Error("the subset keeps the hinting program")
	}
}

// TestSubsetCompositeGlyphs uses the CJK font, where most ideographs are composites of shared
// components: in the subset each component must point at a copy of the original component outline.
func TestSubsetCompositeGlyphs(t *testing.T) {
	f := mustRenderer(t).faces[0]
	var runes []rune
	var gids []uint
	for _, c := range "职业技能等级证书张䶮明" {
		if gid, ok := f.glyphs[c]; ok && int16(binary.BigEndian.Uint16(f.src.glyph(int(gid)))) < 0 {
			runes, gids = append(runes, c), append(gids, gid)
		}
	}
	if len(runes) == 0 {
		t.Skipf("%s has no composite glyphs among the test characters", f.path)
	}
	data, err := f.src.subset(runes, gids)
	if err != nil {
		t.Fatal(err)
	}
	out, err := parseSFNT(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range runes {
		orig := f.src.glyph(int(gids[i]))
		var origIDs []int
		if err := components(orig, func(at int) { origIDs = append(origIDs, int(binary.BigEndian.Uint16(orig[at:]))) }); err != nil {
			t.Fatal(err)
		}
		got := out.glyph(i + 1) // runes are numbered from 1 in order
		k := 0
		if err := components(got, func(at int) {
			id := int(binary.BigEndian.Uint16(got[at:]))
			want, err := unhinted(f.src.glyph(origIDs[k]))
			if err != nil {
				t.Fatal(err)
			}
			if id >= out.numGlyphs || !bytes.Equal(trimPad(out.glyph(id)), trimPad(want)) {
				t.Errorf("%U component %d: glyph %d is not a copy of original glyph %d", runes[i], k, id, origIDs[k])
			}
			k++
		}); err != nil {
			t.Fatal(err)
		}
		if k != len(origIDs) || k == 0 {
			t.Errorf("%U: %d components, want %d", runes[i], k, len(origIDs))
		}
	}
}

// trimPad drops the zero padding that aligns glyphs to 4 bytes.
func trimPad(b []byte) []byte { return bytes.TrimRight(b, "\x00") }

// makeCollection wraps fonts into a TrueType collection (TTC 1.0), shifting table offsets.
func makeCollection(t *testing.T, fonts ...[]byte) []byte {
	t.Helper()
	be := binary.BigEndian
	head := 12 + 4*len(fonts)
	out := make([]byte, head)
	copy(out, "ttcf")
	be.PutUint32(out[4:], 0x00010000)
	be.PutUint32(out[8:], uint32(len(fonts)))
	for i, f := range fonts {
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		base := len(out)
		be.PutUint32(out[12+4*i:], uint32(base))
		shifted := bytes.Clone(f)
		n := int(be.Uint16(f[4:]))
		for j := 0; j < n; j++ {
			rec := shifted[12+16*j:]
			be.PutUint32(rec[8:], be.Uint32(rec[8:])+uint32(base))
		}
		out = append(out, shifted...)
	}
	return out
}

// tableOffset returns where table tag starts in font.
func tableOffset(t *testing.T, font []byte, tag string) int {
	t.Helper()
	n := int(binary.BigEndian.Uint16(font[4:]))
	for i := 0; i < n; i++ {
		rec := font[12+16*i:]
		if string(rec[:4]) == tag {
			return int(binary.BigEndian.Uint32(rec[8:]))
		}
	}
	t.Fatalf("no %s table", tag)
	return 0
}

// TestFallbackChainOrder: Latin text takes Go Regular before any font added for rare ideographs, and
// such a font does draw what the main font lacks.
func TestFallbackChainOrder(t *testing.T) {
	main := mustRenderer(t).faces[0].path
	extra := filepath.Join(t.TempDir(), "GoBold.ttf")
	if err := os.WriteFile(extra, gobold.TTF, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{FontPaths: []string{main, extra}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.FontFiles(); !slices.Equal(got, []string{main, "builtin:go-regular", extra}) {
		t.Fatalf("chain %q", got)
	}
	for _, c := range "1Az" {
		if i := r.faceOf(c); i == 2 {
			t.Errorf("%q is drawn with the extra font", c)
		}
	}

	// With Debian's fonts-hanazono, Extension B names render (docs/fonts.md); optional on this machine.
	const hanaB = "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"
	if _, err := os.Stat(hanaB); err != nil {
		t.Logf("%s absent: Extension B part not run", hanaB)
		return
	}
	r, err = New(Options{FontPaths: []string{main, hanaB}})
	if err != nil {
		t.Fatal(err)
	}
	c := sample()
	c.HolderName = "张\U00020000明"
	pdf := render(t, r, c)
	if fonts := tool(t, pdf, "pdffonts"); !strings.Contains(fonts, "+HanaMinB") {
		t.Errorf("HanaMinB not embedded:\n%s", fonts)
	}
}
