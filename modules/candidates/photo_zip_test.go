package candidates

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// zipEntry is one file of a test ZIP: gbk writes its name in GBK without the UTF-8 flag (as Chinese
// Windows does), unicodeExtra adds an Info-ZIP Unicode Path field beside such a name, store keeps the
// data uncompressed.
type zipEntry struct {
	name         string
	data         []byte
	gbk, store   bool
	unicodeExtra bool
}

func zipOf(tb testing.TB, entries ...zipEntry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.store {
			h.Method = zip.Store
		}
		if e.gbk || e.unicodeExtra {
			raw, err := simplifiedchinese.GBK.NewEncoder().String(e.name)
			if err != nil {
				tb.Fatal(err)
			}
			h.Name, h.NonUTF8 = raw, true
			if e.unicodeExtra {
				// A different stored name (as if a legacy code page had garbled it); the extra field rules.
				h.Name = "garbled\xff" + raw
				field := []byte{1, 0, 0, 0, 0}
				binary.LittleEndian.PutUint32(field[1:], crc32.ChecksumIEEE([]byte(h.Name)))
				field = append(field, e.name...)
				h.Extra = binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, 0x7075), uint16(len(field)))
				h.Extra = append(h.Extra, field...)
			}
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// noisyJPEG is a w×h JPEG of random pixels (so each is distinct and does not compress much).
func noisyJPEG(tb testing.TB, w, h int, seed uint64) []byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// hugeHeaderJPEG is a small real JPEG whose frame header claims 60000×60000 pixels.
func hugeHeaderJPEG(tb testing.TB) []byte {
	tb.Helper()
	b := jpegBytes(tb, 64, 64)
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		tb.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(b[i+5:], 60000) // height
	binary.BigEndian.PutUint16(b[i+7:], 60000) // width
	return b
}

func TestImportPhotosEdgeCases(t *testing.T) {
	svc, db := newService(t)
	org := newTenant(t, db, tenants.KindEnterprise)
	ctx := ctxOf(org)
	var cands []Candidate
	for i := range 8 {
		in := validInput(5000 + i)
		in.Name = []string{"张三", "李四", "王五", "赵六", "阿卜杜·热合曼", "钱七", "孙八", "周九"}[i]
		c, err := svc.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		cands = append(cands, c)
	}
	id := func(i int) string { return cands[i].IDNumber }
	good := func(seed uint64) []byte { return noisyJPEG(t, 90, 120, seed) }
	// Over 2 MiB: a real JPEG followed by padding, stored so that the ZIP is no bomb.
	big := append(good(9), make([]byte, MaxPhotoBytes)...)

	entries := []zipEntry{
		{name: "张三_" + id(0) + ".jpg", data: good(1)},                                // matched, UTF-8 name
		{name: "李四_" + id(1) + ".JPG", data: good(2), gbk: true},                     // matched, GBK name
		{name: "2026/第一批/" + strings.ToLower(id(2)) + ".jpeg", data: good(3)},        // matched, nested, no name
		{name: "阿卜杜 热合曼_" + id(4) + ".jpg", data: good(4), unicodeExtra: true},       // matched, Unicode Path extra
		{name: "赵六_" + id(3) + ".jpg", data: pngBytes(t, 90, 120)},                   // a PNG renamed .jpg
		{name: "钱七_" + id(5) + ".jpg", data: []byte("just some text, not an image")}, // text renamed .jpg
		{name: "孙八_" + id(6) + ".jpg", data: hugeHeaderJPEG(t)},                      // 60000×60000 header
		{name: "周九_" + id(7) + ".jpg", data: jpegBytes(t, 16, 16)},                   // too small
		{name: "周九_" + id(7) + "_big.jpg", data: big, store: true},                   // unparseable id
		{name: id(7) + ".jpg", data: big, store: true},                               // over 2 MiB
		{name: "张三_" + id(0) + "(1).jpg", data: good(5)},                             // unknown id
		{name: "copy/张三_" + id(0) + ".jpg", data: good(6)},                           // duplicate
		{name: "王二_" + id(5) + ".jpg", data: good(7)},                                // name mismatch
		{name: "张三_" + badCheck(residentID(9999)) + ".jpg", data: good(8)},           // unknown number
		{name: "李四_" + id(1) + ".png", data: pngBytes(t, 90, 120)},                   // not a .jpg
		{name: "readme.txt", data: []byte("photos of batch 1")},                      // not a .jpg
		{name: "__MACOSX/._张三_" + id(0) + ".jpg", data: []byte{0, 5, 22, 7}},         // skipped
		{name: "Thumbs.db", data: []byte{1, 2, 3}},                                   // skipped
		{name: "2026/", data: nil},                                                   // a folder, skipped
	}
	res, err := svc.ImportPhotos(ctx, zipOf(t, entries...))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range res.Rejected {
		got[r.File] = r.Code
		if r.Message == "" {
			t.Errorf("%s: no message", r.File)
		}
	}
	want := map[string]string{
		"赵六_" + id(3) + ".jpg":                      PhotoNotJPEG,
		"钱七_" + id(5) + ".jpg":                      PhotoNotJPEG,
		"孙八_" + id(6) + ".jpg":                      PhotoTooLarge,
		"周九_" + id(7) + ".jpg":                      PhotoTooSmall,
		"周九_" + id(7) + "_big.jpg":                  PhotoUnknownCandidate,
		id(7) + ".jpg":                              PhotoTooLarge,
		"张三_" + id(0) + "(1).jpg":                   PhotoUnknownCandidate,
		"copy/张三_" + id(0) + ".jpg":                 PhotoDuplicate,
		"王二_" + id(5) + ".jpg":                      PhotoNameMismatch,
		"张三_" + badCheck(residentID(9999)) + ".jpg": PhotoUnknownCandidate,
		"李四_" + id(1) + ".png":                      PhotoNotJPEG,
		"readme.txt":                                PhotoNotJPEG,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("rejected (-want +got):\n%s", d)
	}
	if res.Matched != 4 {
		t.Fatalf("matched %d, want 4", res.Matched)
	}
	for i, seed := range map[int]uint64{0: 1, 1: 2, 2: 3, 4: 4} {
		p, err := svc.Photo(ctx, cands[i].ID)
		if err != nil {
			t.Fatalf("candidate %d: %v", i, err)
		}
		if !bytes.Equal(p.Data, good(seed)) || p.ContentType != "image/jpeg" || p.Width != 90 || p.Height != 120 {
			t.Fatalf("candidate %d got another photo (%s %d×%d)", i, p.ContentType, p.Width, p.Height)
		}
	}
	for _, i := range []int{3, 5, 6, 7} {
		if _, err := svc.Photo(ctx, cands[i].ID); err != ErrPhotoNotFound {
			t.Fatalf("candidate %d has a photo: %v", i, err)
		}
	}
	// Each stored photo is audited like a single upload, and the upload as a whole once.
	var actions []string
	if err := db.NewSelect().Table("audit_log").Column("action").Where("tenant_id = ?", org.TenantID).
		Where("action LIKE 'candidate.photo%'").Scan(ctx, &actions); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, a := range actions {
		n[a]++
	}
	if n["candidate.photo"] != 4 || n["candidate.photos"] != 1 {
		t.Fatalf("audited %v", n)
	}

	// Another institution's candidates are unknown here.
	other := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	res, err = svc.ImportPhotos(other, zipOf(t, zipEntry{name: "张三_" + id(0) + ".jpg", data: good(1)}))
	if err != nil || res.Matched != 0 || len(res.Rejected) != 1 || res.Rejected[0].Code != PhotoUnknownCandidate {
		t.Fatalf("other tenant: %+v %v", res, err)
	}
}

func TestImportPhotosRefusesBombs(t *testing.T) {
	svc, db := newService(t)
	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	zeros, crc := zerosDeflated(t, 300)
	tests := []struct {
		name string
		data []byte
		kind platform.Kind
		code string
	}{
		{"many entries", manyEntries(t, 20_000), platform.KindTooLarge, CodeArchiveEntries},
		{"300 MiB of zeros", rawZip(t, "张三_"+residentID(1)+".jpg", zeros, crc, 300<<20), platform.KindTooLarge, CodeArchiveSize},
		{"lies about its size", rawZip(t, residentID(1)+".jpg", zeros[:len(zeros)/3], 0, 1<<20), platform.KindTooLarge, CodeArchiveMismatch},
		{"not a zip", []byte("PK\x03\x04 but no more"), platform.KindUnprocessable, CodeInvalidFile},
		{"empty", nil, platform.KindUnprocessable, CodeInvalidFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.ImportPhotos(ctx, tt.data)
			mustFail(t, err, tt.kind, tt.code)
		})
	}
	small := svc.Limits
	small.MaxUncompressed = 4 << 20
	small.MaxRatio = 10
	svc.Limits = small
	zeros, crc = zerosDeflated(t, 2)
	_, err := svc.ImportPhotos(ctx, rawZip(t, residentID(1)+".jpg", zeros, crc, 2<<20))
	mustFail(t, err, platform.KindTooLarge, CodeArchiveRatio)
}

func TestPhotoRuleConfigured(t *testing.T) {
	lim, err := ImportLimitsFromEnv(func(k string) string {
		return map[string]string{"SKILLCERT_PHOTO_MAX_BYTES": "64KiB", "SKILLCERT_PHOTO_MIN_SIDE": "100"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (PhotoRule{MaxBytes: 64 << 10, MinSide: 100, MaxSide: 4096}); lim.Photo != want {
		t.Fatalf("rule %+v, want %+v", lim.Photo, want)
	}
	for _, env := range []map[string]string{{"SKILLCERT_PHOTO_MAX_BYTES": "lots"}, {"SKILLCERT_PHOTO_MIN_SIDE": "0"},
		{"SKILLCERT_PHOTO_MIN_SIDE": "500", "SKILLCERT_PHOTO_MAX_SIDE": "400"}} {
		if _, err := ImportLimitsFromEnv(func(k string) string { return env[k] }); err == nil {
			t.Fatalf("%v accepted", env)
		}
	}

	// One rule for the single upload and the ZIP.
	svc, db := newService(t)
	svc.Limits = lim
	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	c, err := svc.Create(ctx, validInput(77))
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.SetPhoto(ctx, c.ID, noisyJPEG(t, 90, 120, 1))
	mustFail(t, err, platform.KindUnprocessable, "invalid_photo")
	_, err = svc.SetPhoto(ctx, c.ID, noisyJPEG(t, 300, 400, 1))
	mustFail(t, err, platform.KindTooLarge, "photo_too_large")
	res, err := svc.ImportPhotos(ctx, zipOf(t, zipEntry{name: c.IDNumber + ".jpg", data: noisyJPEG(t, 90, 120, 1)},
		zipEntry{name: "x/" + c.IDNumber + ".jpg", data: noisyJPEG(t, 300, 400, 1)},
		zipEntry{name: "y/" + c.IDNumber + ".jpg", data: noisyJPEG(t, 120, 160, 1)}))
	if err != nil {
		t.Fatal(err)
	}
	codes := []string{}
	for _, r := range res.Rejected {
		codes = append(codes, r.Code)
	}
	if res.Matched != 1 || !cmp.Equal(codes, []string{PhotoTooSmall, PhotoTooLarge}) {
		t.Fatalf("matched %d, rejected %v", res.Matched, codes)
	}
}

func TestHTTPImportPhotos(t *testing.T) {
	svc, db := newService(t)
	api := newTestAPI(t, svc, nil)
	org := newTenant(t, db, tenants.KindEnterprise)
	c, err := svc.Create(ctxOf(org), validInput(88))
	if err != nil {
		t.Fatal(err)
	}
	z := zipOf(t, zipEntry{name: c.Name + "_" + c.IDNumber + ".jpg", data: noisyJPEG(t, 90, 120, 1)},
		zipEntry{name: "nobody.jpg", data: noisyJPEG(t, 90, 120, 2)})
	mb, ctype := multipartBody(t, "file", "photos.zip", z)
	r := api.do(t, org, "POST", "/api/v1/candidates/photos", mb, ctype)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var out map[string]any
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"matched": float64(1), "rejected": []any{map[string]any{"file": "nobody.jpg",
		"code": "unknown_candidate", "message": out["rejected"].([]any)[0].(map[string]any)["message"]}}}
	if d := cmp.Diff(want, out); d != "" {
		t.Fatalf("answer (-want +got):\n%s", d)
	}
	bb, btype := multipartBody(t, "file", "bomb.zip", manyEntries(t, 20_000))
	r = api.do(t, org, "POST", "/api/v1/candidates/photos", bb, btype)
	if code, _ := r.problem(t); r.status != 413 || code != CodeArchiveEntries {
		t.Fatalf("bomb: %d %s", r.status, r.body)
	}
}
