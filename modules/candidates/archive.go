package candidates

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/skillcert/skillcert/modules/platform"
)

// ImportLimits bound what an import accepts. An XLSX file is a ZIP archive, so its limits are those of
// an archive: how many entries, how large they say they inflate to, how much smaller than that each is
// compressed (a real workbook's XML compresses 5–20:1; a bomb's zeros 1000:1), and how large they really
// inflate to, measured while inflating.
type ImportLimits struct {
	MaxRows           int   // data rows in a file
	MaxEntries        int   // entries of an XLSX archive
	MaxUncompressed   int64 // total uncompressed bytes of an XLSX archive, declared and real
	MaxRatio          int64 // uncompressed:compressed of one entry (for entries over ratioFloor)
	MaxRejectedListed int   // rejected rows listed in the answer (all are counted)
}

// DefaultImportLimits are the limits of the API: 50,000 rows, 10,000 entries, 200 MiB, 100:1.
var DefaultImportLimits = ImportLimits{MaxRows: 50_000, MaxEntries: 10_000, MaxUncompressed: 200 << 20,
	MaxRatio: 100, MaxRejectedListed: 5_000}

// ratioFloor is the size under which an entry's compression ratio is not checked: tiny parts (an empty
// sheet, a styles part of zeros) legitimately compress far beyond 100:1, and cannot hurt anyone.
const ratioFloor = 1 << 20

// Stable codes of a refused archive.
const (
	CodeArchiveEntries  = "archive_too_many_entries"
	CodeArchiveSize     = "archive_too_large"
	CodeArchiveRatio    = "archive_ratio_too_high"
	CodeArchiveMismatch = "archive_size_mismatch"
	CodeInvalidFile     = "invalid_file"
)

func archiveError(code, format string, args ...any) error {
	return platform.E(platform.KindTooLarge, code, fmt.Sprintf(format, args...))
}

func invalidFile(msg string, cause error) error {
	return platform.Wrap(platform.KindUnprocessable, CodeInvalidFile, msg, cause)
}

// ZIP record signatures and sizes (APPNOTE.TXT 4.3).
const (
	sigEOCD       = 0x06054b50
	sigEOCD64     = 0x06064b50
	sigEOCD64Loc  = 0x07064b50
	sigCentralDir = 0x02014b50
	eocdLen       = 22
	eocd64LocLen  = 20
	centralHdrLen = 46
)

// checkArchive inspects a ZIP archive's directories — without inflating a byte — and then inflates
// every entry once into nothing, through limited readers, to measure its real size. It refuses, with
// 413 and a stable code: more than MaxEntries entries (counted by walking the central directory's
// records, before archive/zip allocates anything for them); a declared total over MaxUncompressed; an
// entry whose declared ratio is over MaxRatio; and an entry that inflates to more than it declares or
// than the remaining budget (the declared sizes are only claims). It returns the parsed archive.
func checkArchive(data []byte, lim ImportLimits) (*zip.Reader, error) {
	n, err := countEntries(data)
	if err != nil {
		return nil, err
	}
	if n > lim.MaxEntries {
		return nil, archiveError(CodeArchiveEntries, "the file holds %d archive entries; at most %d are accepted", n, lim.MaxEntries)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, invalidFile("the file is not a valid XLSX (ZIP) file", err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, archiveError(CodeArchiveEntries, "the file holds %d archive entries; at most %d are accepted", len(zr.File), lim.MaxEntries)
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
		if declared > uint64(lim.MaxUncompressed) {
			return nil, archiveError(CodeArchiveSize, "the file inflates to more than %d MiB", lim.MaxUncompressed>>20)
		}
		if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64 > f.CompressedSize64*uint64(lim.MaxRatio) {
			return nil, archiveError(CodeArchiveRatio, "entry %q is compressed more than %d:1", f.Name, lim.MaxRatio)
		}
	}
	budget := lim.MaxUncompressed
	for _, f := range zr.File {
		n, err := inflatedSize(f, min(int64(f.UncompressedSize64), budget))
		if err != nil {
			return nil, err
		}
		if n > int64(f.UncompressedSize64) {
			return nil, archiveError(CodeArchiveMismatch, "entry %q inflates to more than the %d bytes it declares", f.Name, f.UncompressedSize64)
		}
		budget -= n
	}
	return zr, nil
}

// inflatedSize inflates f's raw data itself (not through archive/zip's reader, so the count does not
// depend on the declared size it is checking) into io.Discard, reading at most limit+1 bytes: a result
// over limit means the entry is larger than allowed.
func inflatedSize(f *zip.File, limit int64) (int64, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return 0, invalidFile("the file is not a valid XLSX (ZIP) file", err)
	}
	var r io.Reader
	switch f.Method {
	case zip.Store:
		r = raw
	case zip.Deflate:
		fr := flate.NewReader(raw)
		defer fr.Close()
		r = fr
	default:
		return 0, invalidFile(fmt.Sprintf("entry %q uses an unsupported compression method", f.Name), nil)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(r, limit+1))
	if err != nil {
		return n, invalidFile(fmt.Sprintf("entry %q is damaged", f.Name), err)
	}
	return n, nil
}

// countEntries counts the records of a ZIP archive's central directory by walking them (46 fixed bytes
// plus three variable lengths each), from the offset the end-of-central-directory record gives, with
// ZIP64 support. It allocates nothing per entry.
func countEntries(data []byte) (int, error) {
	bad := func(why string) (int, error) {
		return 0, invalidFile("the file is not a valid XLSX (ZIP) file: "+why, nil)
	}
	eocd := findEOCD(data)
	if eocd < 0 {
		return bad("no end of central directory")
	}
	le := binary.LittleEndian
	dirOffset := uint64(le.Uint32(data[eocd+16:]))
	if dirOffset == 0xFFFFFFFF || le.Uint16(data[eocd+10:]) == 0xFFFF {
		loc := eocd - eocd64LocLen
		if loc < 0 || le.Uint32(data[loc:]) != sigEOCD64Loc {
			return bad("damaged ZIP64 locator")
		}
		rec := le.Uint64(data[loc+8:])
		if rec > uint64(len(data))-56 || le.Uint32(data[rec:]) != sigEOCD64 {
			return bad("damaged ZIP64 directory record")
		}
		dirOffset = le.Uint64(data[rec+48:])
	}
	// Data prepended to the archive (self-extractors) shifts every offset; archive/zip corrects for it
	// the same way, by the difference between where the directory ends and where it says it starts.
	dirSize := uint64(le.Uint32(data[eocd+12:]))
	if dirSize != 0xFFFFFFFF && dirOffset+dirSize < uint64(eocd) {
		dirOffset = uint64(eocd) - dirSize
	}
	n := 0
	for p := dirOffset; p+4 <= uint64(len(data)) && le.Uint32(data[p:]) == sigCentralDir; n++ {
		if p+centralHdrLen > uint64(len(data)) {
			return bad("truncated central directory")
		}
		p += centralHdrLen + uint64(le.Uint16(data[p+28:])) + uint64(le.Uint16(data[p+30:])) + uint64(le.Uint16(data[p+32:]))
	}
	if n == 0 {
		return bad("empty central directory")
	}
	return n, nil
}

// findEOCD returns the offset of the end-of-central-directory record: the last signature within the
// final 22 bytes plus the longest comment (65,535 bytes), or -1.
func findEOCD(data []byte) int {
	lo := max(0, len(data)-eocdLen-0xFFFF)
	for i := len(data) - eocdLen; i >= lo; i-- {
		if binary.LittleEndian.Uint32(data[i:]) == sigEOCD {
			return i
		}
	}
	return -1
}
