package candidates

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// rowFunc receives one row of a sheet with the number a spreadsheet shows for it (1-based).
type rowFunc func(row int, cells []string) error

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// csvText returns a reader of the CSV file as UTF-8 and the encoding it was in: UTF-8 (with or without
// the BOM Excel writes), UTF-16 with a BOM (Excel's "Unicode text"), or else GB18030 — the superset of
// GBK and GB2312 that Excel on Chinese Windows saves CSV in. A file that is valid UTF-8 is UTF-8: GBK
// text is almost never valid UTF-8, while the reverse guess would garble every UTF-8 file.
func csvText(data []byte) (io.Reader, string, error) {
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		data = data[len(utf8BOM):]
		if !utf8.Valid(data) {
			return nil, "", invalidFile("the file starts with a UTF-8 byte-order mark but is not UTF-8 text", nil)
		}
		return bytes.NewReader(data), "utf-8", nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(bytes.NewReader(data), dec), "utf-16", nil
	case utf8.Valid(data):
		return bytes.NewReader(data), "utf-8", nil
	case bytes.IndexByte(data, 0) >= 0:
		return nil, "", invalidFile("the file is neither a spreadsheet nor text", nil)
	}
	return transform.NewReader(bytes.NewReader(data), simplifiedchinese.GB18030.NewDecoder()), "gb18030", nil
}

// sniffDelimiter picks the separator of the header line among comma, tab and semicolon.
func sniffDelimiter(line string) rune {
	best, bestN := ',', 0
	for _, d := range []rune{',', '\t', ';'} {
		if n := strings.Count(line, string(d)); n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

// readCSV streams the records of a CSV file to fn with the row numbers a spreadsheet opening the file
// shows: blank lines count as rows (encoding/csv skips them, so they are counted from the gap between
// records' lines), and a quoted cell spanning several lines is one row.
func readCSV(data []byte, fn rowFunc) error {
	text, _, err := csvText(data)
	if err != nil {
		return err
	}
	br := newPeekReader(text)
	first, err := br.peekLine()
	if err != nil {
		return invalidFile("the file cannot be read as text", err)
	}
	r := csv.NewReader(br)
	r.Comma = sniffDelimiter(first)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	row, prevEnd := 0, 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return invalidFile("the file is not valid CSV", err)
		}
		start, _ := r.FieldPos(0)
		row += 1 + max(0, start-prevEnd-1)
		prevEnd = start
		for _, f := range rec {
			prevEnd += strings.Count(f, "\n")
		}
		if err := fn(row, rec); err != nil {
			return err
		}
	}
}

// peekReader lets the first line be looked at before the CSV reader consumes it.
type peekReader struct {
	r   io.Reader
	buf []byte
}

func newPeekReader(r io.Reader) *peekReader { return &peekReader{r: r} }

func (p *peekReader) peekLine() (string, error) {
	chunk := make([]byte, 4096)
	for !bytes.ContainsAny(p.buf, "\r\n") && len(p.buf) < 1<<16 {
		n, err := p.r.Read(chunk)
		p.buf = append(p.buf, chunk[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	line := p.buf
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	return string(line), nil
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// Estimates of an import's peak heap, from measuring it (runtime.MemStats.HeapInuse, sampled) while
// importing 5,000 and 50,000 rows: about 1.1 KiB a row (the staged row, its index entries, the store's
// batches) on top of the file, which is 12 times the CSV's bytes and 2.3 times the inflated XML's.
const (
	importBaseCost  = 4 << 20 // buffers, the transaction, the answer
	costPerRow      = 1536    // bytes a data row holds until it is stored
	csvCostPerByte  = 12      // per byte of CSV text
	xlsxCostPerByte = 3       // per inflated byte of the parts excelize reads (they are held and parsed too)
)

// csvCost estimates the heap a CSV import of n bytes holds: the file, and its rows until stored (never
// more than MaxRows of them).
func csvCost(n int, lim ImportLimits) int64 {
	return importBaseCost + int64(n) + min(csvCostPerByte*int64(n), int64(lim.MaxRows)*costPerRow)
}

// xlsxCost estimates the heap an XLSX import holds: the upload, the copy of its needed parts excelize
// reads, and those parts inflated, parsed and turned into rows.
func xlsxCost(upload, needed int, inflated int64) int64 {
	return importBaseCost + int64(upload) + int64(needed) + xlsxCostPerByte*inflated
}

// readUpload streams the rows of an upload of format to fn inside the import memory budget (lim.Memory):
// a workbook is checked first (checkArchive, which inflates nothing into memory), then the estimate of
// what reading and storing the file holds is reserved, waiting for other imports if need be. It
// returns the release of that reservation, which the caller calls once the rows are stored.
func readUpload(ctx context.Context, format string, data []byte, lim ImportLimits, fn rowFunc) (release func(), err error) {
	if format != FormatXLSX {
		if release, err = lim.Memory.acquire(ctx, csvCost(len(data), lim)); err != nil {
			return nil, err
		}
		if err := readCSV(data, fn); err != nil {
			release()
			return nil, err
		}
		return release, nil
	}
	wb, inflated, err := neededWorkbook(data, lim)
	if err != nil {
		return nil, err
	}
	if release, err = lim.Memory.acquire(ctx, xlsxCost(len(data), len(wb), inflated)); err != nil {
		return nil, err
	}
	if err := readWorkbook(wb, lim, fn); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// neededWorkbook checks an XLSX archive (checkArchive) and returns the archive of only the parts
// reading rows needs, with their inflated size.
func neededWorkbook(data []byte, lim ImportLimits) ([]byte, int64, error) {
	ca, err := checkArchive(data, lim)
	if err != nil {
		return nil, 0, err
	}
	return ca.neededArchive()
}

// readXLSX streams the rows of the first sheet of a workbook to fn, outside any memory budget (tests
// and benchmarks; imports go through readUpload).
func readXLSX(data []byte, lim ImportLimits, fn rowFunc) error {
	wb, _, err := neededWorkbook(data, lim)
	if err != nil {
		return err
	}
	return readWorkbook(wb, lim, fn)
}

// readWorkbook streams the rows of the first sheet of a checked workbook to fn. The archive holds only
// the parts reading rows needs (neededWorkbook), so excelize, which inflates every entry it is given
// (into memory, or into a temporary file for sheets and shared strings over its XML limit), inflates
// nothing else; its own unzip limits are set as well. Cells are read raw (a date is its serial number,
// which parseCellDate understands), so cell formats cannot change what is imported.
func readWorkbook(data []byte, lim ImportLimits, fn rowFunc) error {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true,
		UnzipSizeLimit: lim.MaxUncompressed, UnzipXMLSizeLimit: min(16<<20, lim.MaxUncompressed)})
	if err != nil {
		return invalidFile("the file is not a readable XLSX workbook", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return invalidFile("the workbook has no sheet", nil)
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return invalidFile("the first sheet cannot be read", err)
	}
	defer rows.Close()
	for row := 1; rows.Next(); row++ {
		cells, err := rows.Columns()
		if err != nil {
			return invalidFile("the first sheet cannot be read", err)
		}
		if err := fn(row, cells); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return invalidFile("the first sheet cannot be read", err)
	}
	return nil
}
