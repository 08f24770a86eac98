package candidates

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"runtime"
	"strconv"
	"testing"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// zerosDeflated returns a raw DEFLATE stream of mib MiB of zeros without ever holding them: the
// compressor's output for a first MiB, then the sync-flushed block encoding a second MiB (whose
// back-references reach only zeros, so it is valid after any MiB of zeros) repeated, then an empty final
// block. It also returns the CRC-32 of the whole.
func zerosDeflated(tb testing.TB, mib int) ([]byte, uint32) {
	tb.Helper()
	zeros := make([]byte, 1<<20)
	var buf, tail bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	w.Write(zeros)
	w.Flush()
	head := bytes.Clone(buf.Bytes())
	w.Write(zeros)
	w.Flush()
	block := bytes.Clone(buf.Bytes()[len(head):])
	w.Reset(&tail)
	w.Close()
	out := bytes.NewBuffer(head)
	crc := crc32.NewIEEE()
	crc.Write(zeros)
	for i := 1; i < mib; i++ {
		out.Write(block)
		crc.Write(zeros)
	}
	out.Write(tail.Bytes())
	return out.Bytes(), crc.Sum32()
}

// rawZip builds an archive with one deflated entry whose header declares declared bytes.
func rawZip(tb testing.TB, name string, deflated []byte, crc uint32, declared uint64) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(deflated)), UncompressedSize64: declared})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(deflated); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func manyEntries(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < n; i++ {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: "x/" + strconv.Itoa(i), Method: zip.Store}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestZerosDeflatedIsValid(t *testing.T) {
	data, crc := zerosDeflated(t, 3)
	archive := rawZip(t, "a", data, crc, 3<<20)
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := inflatedSize(zr.File[0], 10<<20)
	if err != nil || n != 3<<20 {
		t.Fatalf("inflated %d, %v", n, err)
	}
	rc, _ := zr.File[0].Open()
	var sink bytes.Buffer
	if _, err := sink.ReadFrom(rc); err != nil { // archive/zip checks the CRC and size too
		t.Fatalf("archive/zip rejects the crafted entry: %v", err)
	}
}

// TestArchiveBombsAreRefusedBeforeInflating feeds the import bombs of each kind. None is inflated:
// allocation during the refusal stays far below what inflating would need (a 1 GiB entry, 100,000
// entries), which is asserted on the allocation counter, never on time.
func TestArchiveBombsAreRefusedBeforeInflating(t *testing.T) {
	svc, db := newService(t)
	scope := newTenant(t, db, tenants.KindEnterprise)
	ctx := ctxOf(scope)

	gib, crcGiB := zerosDeflated(t, 1024)
	mib150, crc150 := zerosDeflated(t, 150)
	mib64, _ := zerosDeflated(t, 64)
	tests := []struct {
		name string
		data []byte
		code string
	}{
		// Declares 1 GiB in ~1 MiB: over the 200 MiB total.
		{"huge entry", rawZip(t, "xl/worksheets/sheet1.xml", gib, crcGiB, 1<<30), CodeArchiveSize},
		// Declares 150 MiB (under the total) compressed 1000:1.
		{"ratio", rawZip(t, "xl/worksheets/sheet1.xml", mib150, crc150, 150<<20), CodeArchiveRatio},
		// Lies: declares 50× its compressed size (passing the declared checks) and inflates to 64 MiB.
		{"lying sizes", rawZip(t, "xl/worksheets/sheet1.xml", mib64, 0, uint64(len(mib64))*50), CodeArchiveMismatch},
		// 100,000 empty entries: refused by counting the central directory's records.
		{"100k entries", manyEntries(t, 100_000), CodeArchiveEntries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := svc.Import(ctx, "bomb.xlsx", tt.data)
			runtime.ReadMemStats(&after)
			mustFail(t, err, platform.KindTooLarge, tt.code)
			// Inflating would allocate or stream hundreds of MiB; parsing 100,000 directory entries
			// with archive/zip alone allocates over 20 MiB. The checks need next to nothing.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Fatalf("refusing the bomb allocated %d KiB", alloc>>10)
			}
			t.Logf("allocated %d KiB", (after.TotalAlloc-before.TotalAlloc)>>10)
		})
	}
	if n := countCandidates(t, db, scope.TenantID); n != 0 {
		t.Fatalf("%d candidates from bombs", n)
	}
}

func TestCountEntriesAgreesWithArchiveZip(t *testing.T) {
	for _, n := range []int{1, 10, 70_000} { // 70,000 needs ZIP64's end records
		data := manyEntries(t, n)
		got, err := countEntries(data)
		if err != nil || got != n {
			t.Fatalf("countEntries = %d, %v; want %d", got, err, n)
		}
	}
	// Prepended bytes (a self-extractor stub) shift offsets; the count still holds.
	data := append(bytes.Repeat([]byte{'#'}, 1000), manyEntries(t, 5)...)
	if got, err := countEntries(data); err != nil || got != 5 {
		t.Fatalf("with a prefix: %d, %v", got, err)
	}
	if _, err := countEntries([]byte("PK\x03\x04not a zip")); err == nil {
		t.Fatal("garbage counted")
	}
}

func TestArchiveLimitsAdmitRealWorkbooks(t *testing.T) {
	// A real workbook passes every check, including the real-size pass.
	if _, err := checkArchive(bulkXLSX(t, 0, 2000), DefaultImportLimits); err != nil {
		t.Fatal(err)
	}
	tpl, err := ImportTemplate(tenants.KindEnterprise)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkArchive(tpl, DefaultImportLimits); err != nil {
		t.Fatal(err)
	}
}

func TestArchiveZipAloneWouldAllocate(t *testing.T) {
	// Guards the threshold above: archive/zip parsing the 100,000-entry directory is what countEntries
	// saves, and it costs well over the 4 MiB the refusal may use.
	data := manyEntries(t, 100_000)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	runtime.ReadMemStats(&after)
	if err != nil || len(zr.File) != 100_000 {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc < 8<<20 {
		t.Fatalf("archive/zip allocated only %d KiB; the bomb test's threshold proves nothing", alloc>>10)
	}
}
