package candidates

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/skillcert/skillcert/modules/platform"
)

// ImportLimits bound what an import accepts. An XLSX file is a ZIP archive, so its limits are those of
// an archive: how many entries, which entries (the parts of a spreadsheet package, nothing else), how
// large they say they inflate to, how much smaller than that each entry and the whole archive are
// compressed (a real workbook's XML compresses 5–20:1; a bomb's zeros 1000:1), and how large they
// really inflate to, measured while inflating. Memory bounds what concurrent imports hold at once.
type ImportLimits struct {
	MaxRows           int           // data rows in a file
	MaxEntries        int           // entries of an XLSX archive
	MaxUncompressed   int64         // total uncompressed bytes of an XLSX archive, declared and real
	MaxRatio          int64         // uncompressed:compressed of one entry and of the archive (over ratioFloor)
	MaxRejectedListed int           // rejected rows listed in the answer (all are counted)
	Memory            *MemoryBudget // shared by the process's imports; nil = unbounded
	Photo             PhotoRule     // a certificate photo, uploaded alone or in a ZIP
}

// DefaultImportLimits are the limits of the API: 50,000 rows, 10,000 entries, 200 MiB, 100:1, the
// process-wide DefaultImportMemory budget and DefaultPhotoRule.
var DefaultImportLimits = ImportLimits{MaxRows: 50_000, MaxEntries: 10_000, MaxUncompressed: 200 << 20,
	MaxRatio: 100, MaxRejectedListed: 5_000, Memory: defaultMemoryBudget, Photo: DefaultPhotoRule}

// ratioFloor is the size under which an entry's, or a whole archive's, compression ratio is not
// checked: tiny parts (an empty sheet, a styles part of zeros) legitimately compress far beyond 100:1,
// and cannot hurt anyone.
const ratioFloor = 1 << 20

// Stable codes of a refused archive.
const (
	CodeArchiveEntries    = "archive_too_many_entries"
	CodeArchiveSize       = "archive_too_large"
	CodeArchiveRatio      = "archive_ratio_too_high"
	CodeArchiveMismatch   = "archive_size_mismatch"
	CodeArchiveUnexpected = "archive_unexpected_entry"
	CodeInvalidFile       = "invalid_file"
)

func archiveError(code, format string, args ...any) error {
	return platform.E(platform.KindTooLarge, code, fmt.Sprintf(format, args...))
}

func invalidFile(msg string, cause error) error {
	return platform.Wrap(platform.KindUnprocessable, CodeInvalidFile, msg, cause)
}

// packageDirs are the top-level folders of a spreadsheet package (ECMA-376 Part 2 and the parts Excel,
// WPS and LibreOffice write), and xlDirs the folders under xl/, lower-cased. An entry anywhere else is
// no part of a workbook: it is refused before anything is inflated.
var (
	packageDirs = map[string]bool{"_rels": true, "docprops": true, "xl": true, "customxml": true,
		"customui": true, "usercustomization": true, "_xmlsignatures": true, "[trash]": true}
	xlDirs = map[string]bool{"_rels": true, "worksheets": true, "chartsheets": true, "dialogsheets": true,
		"macrosheets": true, "theme": true, "drawings": true, "charts": true, "media": true,
		"printersettings": true, "embeddings": true, "activex": true, "ctrlprops": true, "tables": true,
		"querytables": true, "pivottables": true, "pivotcache": true, "externallinks": true,
		"threadedcomments": true, "persons": true, "richdata": true, "slicers": true, "slicercaches": true,
		"timelines": true, "timelinecaches": true, "webextensions": true, "model": true,
		"customproperties": true, "revisions": true, "diagrams": true, "ink": true, "namedsheetviews": true,
		"featurepropertybag": true, "documenttasks": true, "customstorage": true}
)

// partRole classifies an entry of an XLSX archive by its name: whether a spreadsheet package may hold
// it at all, and whether reading the rows of a sheet needs it. The needed parts are the package's
// content types and relationships, the workbook, its relationships, its worksheets and the shared
// strings; everything else (styles, themes, drawings, media, printer settings, document properties …)
// is measured but never handed to excelize, which would inflate every entry into memory.
func partRole(name string) (allowed, needed bool) {
	name = strings.ToLower(strings.ReplaceAll(name, `\`, "/")) // as excelize reads names
	dir := strings.HasSuffix(name, "/")
	segs := strings.Split(strings.TrimSuffix(name, "/"), "/")
	if len(segs) > 4 || slices.ContainsFunc(segs, func(s string) bool { return s == "" || s == "." || s == ".." }) {
		return false, false
	}
	switch top := segs[0]; {
	case len(segs) == 1 && !dir:
		ok := top == "[content_types].xml"
		return ok, ok
	case !packageDirs[top]:
		return false, false
	case top != "xl":
		return true, name == "_rels/.rels"
	case len(segs) == 1: // the folder xl/ itself
		return true, false
	case len(segs) == 2 && !dir: // xl/workbook.xml, xl/styles.xml, xl/vbaProject.bin …
		return true, segs[1] == "workbook.xml" || segs[1] == "sharedstrings.xml"
	case !xlDirs[segs[1]]:
		return false, false
	}
	// xl/_rels/workbook.xml.rels, xl/worksheets/sheet1.xml; xl/worksheets/_rels/…, xl/media/… are not needed.
	return true, !dir && len(segs) == 3 && (segs[1] == "_rels" || segs[1] == "worksheets")
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

// checkedArchive is an archive checkArchive accepted: the parsed archive, the real inflated size of each
// entry, and which entries reading the rows needs.
type checkedArchive struct {
	zr       *zip.Reader
	inflated []int64 // by index in zr.File
	needed   []bool
}

// checkArchive inspects a ZIP archive's directories — without inflating a byte — and then inflates
// every entry once into nothing, through limited readers, to measure its real size. It refuses, with
// 413 and a stable code: more than MaxEntries entries (counted by walking the central directory's
// records, before archive/zip allocates anything for them); a declared total over MaxUncompressed; an
// entry, or an archive, whose declared ratio is over MaxRatio (the archive's catches many small
// entries of zeros, each under ratioFloor); and an entry that inflates to other than it declares or
// to more than the remaining budget (the declared sizes are only claims, so every entry's real size
// is counted: once all are measured, the real total is the declared one checked above). An entry
// that is no part of a spreadsheet package is refused with 422 before anything is inflated.
func checkArchive(data []byte, lim ImportLimits) (checkedArchive, error) {
	return checkZip(data, lim, xlsxArchive)
}

// archiveKind is what an archive must be: its name in messages, and which entries it may hold and
// which of them its reader needs.
type archiveKind struct {
	what string
	role func(name string) (allowed, needed bool)
}

// xlsxArchive is a spreadsheet package.
var xlsxArchive = archiveKind{what: "XLSX workbook", role: partRole}

// checkZip is checkArchive for an archive of kind.
func checkZip(data []byte, lim ImportLimits, kind archiveKind) (checkedArchive, error) {
	n, err := countEntries(data)
	if err != nil {
		return checkedArchive{}, err
	}
	if n > lim.MaxEntries {
		return checkedArchive{}, archiveError(CodeArchiveEntries, "the file holds %d archive entries; at most %d are accepted", n, lim.MaxEntries)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return checkedArchive{}, invalidFile("the file is not a valid ZIP archive ("+kind.what+")", err)
	}
	if len(zr.File) > lim.MaxEntries {
		return checkedArchive{}, archiveError(CodeArchiveEntries, "the file holds %d archive entries; at most %d are accepted", len(zr.File), lim.MaxEntries)
	}
	ca := checkedArchive{zr: zr, inflated: make([]int64, len(zr.File)), needed: make([]bool, len(zr.File))}
	var declared uint64
	for i, f := range zr.File {
		allowed, needed := kind.role(f.Name)
		if !allowed {
			return checkedArchive{}, platform.E(platform.KindUnprocessable, CodeArchiveUnexpected,
				fmt.Sprintf("the archive holds %q, which is no part of an %s", f.Name, kind.what))
		}
		ca.needed[i] = needed
		declared += f.UncompressedSize64
		if declared > uint64(lim.MaxUncompressed) {
			return checkedArchive{}, archiveError(CodeArchiveSize, "the file inflates to more than %d MiB", lim.MaxUncompressed>>20)
		}
		if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64 > f.CompressedSize64*uint64(lim.MaxRatio) {
			return checkedArchive{}, archiveError(CodeArchiveRatio, "entry %q is compressed more than %d:1", f.Name, lim.MaxRatio)
		}
	}
	if declared > ratioFloor && declared > uint64(len(data))*uint64(lim.MaxRatio) {
		return checkedArchive{}, archiveError(CodeArchiveRatio, "the file is compressed more than %d:1", lim.MaxRatio)
	}
	budget := lim.MaxUncompressed
	var inf inflater
	for i, f := range zr.File {
		n, err := inf.size(f, min(int64(f.UncompressedSize64), budget))
		if err != nil {
			return checkedArchive{}, err
		}
		if n != int64(f.UncompressedSize64) {
			return checkedArchive{}, archiveError(CodeArchiveMismatch, "entry %q inflates to other than the %d bytes it declares", f.Name, f.UncompressedSize64)
		}
		ca.inflated[i] = n
		budget -= n
	}
	return ca, nil
}

// neededArchive returns an archive of only the entries reading the rows needs, copied raw (nothing
// is inflated or compressed again), and their total inflated size.
func (ca checkedArchive) neededArchive() ([]byte, int64, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var inflated int64
	for i, f := range ca.zr.File {
		if !ca.needed[i] {
			continue
		}
		raw, err := f.OpenRaw()
		if err != nil {
			return nil, 0, invalidFile("the file is not a valid XLSX (ZIP) file", err)
		}
		fh := f.FileHeader
		w, err := zw.CreateRaw(&fh)
		if err != nil {
			return nil, 0, invalidFile("the file is not a valid XLSX (ZIP) file", err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			return nil, 0, invalidFile(fmt.Sprintf("entry %q is damaged", f.Name), err)
		}
		inflated += ca.inflated[i]
	}
	if err := zw.Close(); err != nil {
		return nil, 0, invalidFile("the file is not a valid XLSX (ZIP) file", err)
	}
	return buf.Bytes(), inflated, nil
}

// inflatedSize inflates f's raw data itself (not through archive/zip's reader, so the count does not
// depend on the declared size it is checking) into io.Discard, reading at most limit+1 bytes: a result
// over limit means the entry is larger than allowed.
func inflatedSize(f *zip.File, limit int64) (int64, error) {
	var inf inflater
	return inf.size(f, limit)
}

// inflater measures entries with one decompressor, reset for each (a decompressor's window and tables
// are some 40 KiB: one per entry of a many-entry archive would add up).
type inflater struct {
	fr io.ReadCloser
}

func (in *inflater) size(f *zip.File, limit int64) (int64, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return 0, invalidFile("the file is not a valid ZIP archive", err)
	}
	var r io.Reader
	switch f.Method {
	case zip.Store:
		r = raw
	case zip.Deflate:
		if in.fr == nil {
			in.fr = flate.NewReader(raw)
		} else if err := in.fr.(flate.Resetter).Reset(raw, nil); err != nil {
			return 0, invalidFile(fmt.Sprintf("entry %q is damaged", f.Name), err)
		}
		r = in.fr
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
		return 0, invalidFile("the file is not a valid ZIP archive: "+why, nil)
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
