package candidates

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

func TestPartRole(t *testing.T) {
	tests := []struct {
		name            string
		allowed, needed bool
	}{
		{"[Content_Types].xml", true, true},
		{"_rels/.rels", true, true},
		{"xl/workbook.xml", true, true},
		{"xl/_rels/workbook.xml.rels", true, true},
		{"xl/worksheets/sheet1.xml", true, true},
		{"xl/worksheets/sheet12.xml", true, true},
		{"xl/sharedStrings.xml", true, true},
		{"XL/SharedStrings.xml", true, true},
		{`xl\worksheets\sheet1.xml`, true, true}, // written by some Windows tools; excelize reads it so
		{"xl/styles.xml", true, false},
		{"xl/theme/theme1.xml", true, false},
		{"xl/calcChain.xml", true, false},
		{"xl/vbaProject.bin", true, false},
		{"xl/cellimages.xml", true, false}, // WPS
		{"xl/_rels/cellimages.xml.rels", true, true},
		{"xl/worksheets/_rels/sheet1.xml.rels", true, false},
		{"xl/printerSettings/printerSettings1.bin", true, false},
		{"xl/media/image1.png", true, false},
		{"xl/drawings/drawing1.xml", true, false},
		{"xl/drawings/_rels/drawing1.xml.rels", true, false},
		{"xl/drawings/vmlDrawing1.vml", true, false},
		{"xl/embeddings/oleObject1.bin", true, false},
		{"xl/richData/rdrichvalue.xml", true, false},
		{"docProps/app.xml", true, false},
		{"docProps/core.xml", true, false},
		{"docProps/custom.xml", true, false},
		{"docProps/thumbnail.jpeg", true, false},
		{"customXml/item1.xml", true, false},
		{"customXml/_rels/item1.xml.rels", true, false},
		{"[trash]/0000.dat", true, false},
		{"xl/", true, false},
		{"xl/worksheets/", true, false},
		{"docProps/", true, false},
		// Refused: no part of a spreadsheet package.
		{"x/0", false, false},
		{"junk.bin", false, false},
		{"xl/junk/1.bin", false, false},
		{"xl/junk/", false, false},
		{"__MACOSX/._xl", false, false},
		{"/xl/workbook.xml", false, false},
		{"xl/../../etc/passwd", false, false},
		{"xl/./workbook.xml", false, false},
		{"xl//workbook.xml", false, false},
		{"xl/media/a/b/c.png", false, false},
		{"[Content_Types].xml/", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		allowed, needed := partRole(tt.name)
		if allowed != tt.allowed || (allowed && needed != tt.needed) {
			t.Errorf("partRole(%q) = %v, %v; want %v, %v", tt.name, allowed, needed, tt.allowed, tt.needed)
		}
	}
}

// bombBesideSheet is the shape of the reported bomb: a real workbook of rows, and beside it n entries of
// 1 MiB of zeros each (about 1 KiB compressed), named by name(i).
func bombBesideSheet(tb testing.TB, rows, n int, name func(int) string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	copyEntries(tb, zw, bulkXLSX(tb, 0, rows), nil)
	mib, crc := zerosDeflated(tb, 1)
	for i := 0; i < n; i++ {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name(i), Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(len(mib)), UncompressedSize64: 1 << 20})
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(mib)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// copyEntries copies the entries of the archive src into zw raw, but for those rename maps to "" (left
// out) or another name.
func copyEntries(tb testing.TB, zw *zip.Writer, src []byte, rename map[string]string) {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range zr.File {
		fh := f.FileHeader
		if to, ok := rename[f.Name]; ok {
			if to == "" {
				continue
			}
			fh.Name = to
		}
		raw, err := f.OpenRaw()
		if err != nil {
			tb.Fatal(err)
		}
		w, err := zw.CreateRaw(&fh)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestArchiveBombBesideSheetIsRefused is the reported bomb: a 200-odd KiB upload whose ZIP holds a sheet
// and ~190 entries of 1 MiB of zeros, each under the per-entry ratio floor, that excelize would have
// inflated into ~450 MiB of heap. Named as no workbook part, the entries are refused by name; named as
// workbook parts (media), the archive's total ratio refuses them. Either way nothing is inflated into
// memory, which the allocation counter shows.
func TestArchiveBombBesideSheetIsRefused(t *testing.T) {
	svc, db := newService(t)
	scope := newTenant(t, db, tenants.KindEnterprise)
	ctx := ctxOf(scope)
	tests := []struct {
		name string
		data []byte
		kind platform.Kind
		code string
	}{
		{"junk entries", bombBesideSheet(t, 10, 190, func(i int) string { return "x/" + strconv.Itoa(i) }),
			platform.KindUnprocessable, CodeArchiveUnexpected},
		{"media entries", bombBesideSheet(t, 10, 190, func(i int) string { return "xl/media/image" + strconv.Itoa(i) + ".png" }),
			platform.KindTooLarge, CodeArchiveRatio},
		{"sheets", bombBesideSheet(t, 10, 190, func(i int) string { return "xl/worksheets/sheet" + strconv.Itoa(i+2) + ".xml" }),
			platform.KindTooLarge, CodeArchiveRatio},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.data) > 400<<10 {
				t.Fatalf("the bomb is %d KiB, not the small upload reported", len(tt.data)>>10)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := svc.Import(ctx, "bomb.xlsx", tt.data)
			runtime.ReadMemStats(&after)
			mustFail(t, err, tt.kind, tt.code)
			// Before the fix this import allocated ~580 MiB and held ~450 MiB; refusing it needs less
			// than 1/32 of the default memory budget.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > DefaultImportMemory/32 {
				t.Fatalf("refusing the bomb allocated %d KiB", alloc>>10)
			}
		})
	}
	if n := countCandidates(t, db, scope.TenantID); n != 0 {
		t.Fatalf("%d candidates from bombs", n)
	}
}

// realisticWorkbook is a workbook as Excel, WPS or LibreOffice leave it: shared strings (not the
// stream writer's inline cells), a picture (drawing, media, sheet relationships), a second sheet,
// document properties — then re-zipped with folder entries, a thumbnail, printer settings, custom XML
// and WPS's cell images.
func realisticWorkbook(tb testing.TB, ids []string) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "考生名单")
	f.SetSheetRow("考生名单", "A1", &[]any{"2026年第一批考生名单"})
	f.SetSheetRow("考生名单", "A2", &[]any{"姓名", "证件号码", "学历", "从事本职业年限"})
	for i, id := range ids {
		f.SetSheetRow("考生名单", "A"+strconv.Itoa(i+3), &[]any{"考生" + strconv.Itoa(i), id, "中专", 6})
	}
	if err := f.AddPictureFromBytes("考生名单", "H2", &excelize.Picture{Extension: ".png", File: pngBytes(tb, 64, 64)}); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.NewSheet("说明"); err != nil {
		tb.Fatal(err)
	}
	f.SetCellValue("说明", "A1", "请勿修改表头")
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, dir := range []string{"_rels/", "docProps/", "xl/", "xl/worksheets/", "xl/media/"} {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: dir}); err != nil {
			tb.Fatal(err)
		}
	}
	copyEntries(tb, zw, buf.Bytes(), nil)
	extra := map[string][]byte{
		"docProps/thumbnail.jpeg":                 jpegBytes(tb, 256, 256),
		"docProps/custom.xml":                     []byte(`<?xml version="1.0"?><Properties/>`),
		"xl/printerSettings/printerSettings1.bin": bytes.Repeat([]byte{1, 2, 3, 4}, 1000),
		"xl/cellimages.xml":                       []byte(`<?xml version="1.0"?><etc:cellImages xmlns:etc="http://www.wps.cn/officeDocument/2017/etCustomData"/>`),
		"customXml/item1.xml":                     []byte(`<?xml version="1.0"?><b:Sources/>`),
		"customXml/_rels/item1.xml.rels":          []byte(`<?xml version="1.0"?><Relationships/>`),
		"xl/calcChain.xml":                        []byte(`<?xml version="1.0"?><calcChain/>`),
	}
	for name, b := range extra {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// TestRealWorkbooksPassAndReadOnlyTheirRows: files as the office suites write them pass the archive
// checks, and reading only their needed parts still reads every row (shared strings included).
func TestRealWorkbooksPassAndReadOnlyTheirRows(t *testing.T) {
	svc, db := newService(t)
	scope := newTenant(t, db, tenants.KindEnterprise)
	ctx := ctxOf(scope)
	ids := []string{residentID(501), residentID(502), residentID(503)}
	data := realisticWorkbook(t, ids)
	ca, err := checkArchive(data, DefaultImportLimits)
	if err != nil {
		t.Fatal(err)
	}
	wb, _, err := ca.neededArchive()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(wb), int64(len(wb)))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, f := range zr.File {
		kept = append(kept, f.Name)
		if _, needed := partRole(f.Name); !needed {
			t.Errorf("%s handed to excelize", f.Name)
		}
	}
	if len(kept) < 6 || len(kept) >= len(ca.zr.File)-5 {
		t.Fatalf("kept %v of %d entries", kept, len(ca.zr.File))
	}
	res, err := svc.Import(ctx, "名单.xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != len(ids) || res.RejectedTotal != 0 {
		t.Fatalf("%+v", res)
	}
	var stored []string
	if err := db.NewSelect().Table("candidates").Column("name").Where("tenant_id = ?", scope.TenantID).
		Scan(context.Background(), &stored); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, n := range stored {
		names[n] = true
	}
	for i := range ids {
		if !names["考生"+strconv.Itoa(i)] {
			t.Fatalf("names %v lack 考生%d", names, i)
		}
	}
}

// heapPeak runs fn while sampling the heap in use, and returns its highest rise over the heap before.
func heapPeak(tb testing.TB, fn func()) uint64 {
	tb.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base {
				peak = max(peak, m.HeapInuse-base)
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	return peak
}

// TestImportMemoryBudget: concurrent imports share the budget — they wait for each other and all
// succeed, never reserving more than it at once, and the heap they hold together stays within a small
// multiple of it; a file that alone exceeds the budget is 413, and an import that finds the budget
// taken past its wait is 503.
func TestImportMemoryBudget(t *testing.T) {
	svc, db := newService(t)
	const rows, parallel = 2000, 4
	files := make([][]byte, parallel)
	for i := range files {
		files[i] = bulkXLSX(t, 10_000*i, rows)
	}
	wb, inflated, err := neededWorkbook(files[0], DefaultImportLimits)
	if err != nil {
		t.Fatal(err)
	}
	one := xlsxCost(len(files[0]), len(wb), inflated)
	budget := NewMemoryBudget(one+one/2, time.Minute) // one import at a time
	svc.Limits.Memory = budget

	defer debug.SetGCPercent(debug.SetGCPercent(25)) // so that the heap in use tracks what is held
	var wg sync.WaitGroup
	errs := make([]error, parallel)
	results := make([]ImportResult, parallel)
	peak := heapPeak(t, func() {
		for i := range files {
			wg.Go(func() {
				ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
				results[i], errs[i] = svc.Import(ctx, "list.xlsx", files[i])
			})
		}
		wg.Wait()
	})
	for i, err := range errs {
		if err != nil || results[i].Created != rows {
			t.Fatalf("import %d: %+v, %v", i, results[i], err)
		}
	}
	if p := budget.peak.Load(); p > budget.Size() || p < one {
		t.Fatalf("reserved at most %d of a budget of %d (one import %d)", p, budget.Size(), one)
	}
	if budget.inUse.Load() != 0 {
		t.Fatalf("%d bytes still reserved", budget.inUse.Load())
	}
	t.Logf("budget %d MiB, one import %d MiB, heap peak %d MiB", budget.Size()>>20, one>>20, peak>>20)
	if peak > 3*uint64(budget.Size()) {
		t.Fatalf("%d imports held %d MiB of heap under a budget of %d MiB", parallel, peak>>20, budget.Size()>>20)
	}

	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	svc.Limits.Memory = NewMemoryBudget(one-1, time.Minute)
	_, err = svc.Import(ctx, "list.xlsx", files[0])
	mustFail(t, err, platform.KindTooLarge, CodeImportTooLarge)

	busy := NewMemoryBudget(one+one/2, 0)
	svc.Limits.Memory = busy
	release, err := busy.acquire(context.Background(), one) // another import holds the budget
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Import(ctx, "list.csv", bulkCSV(t, 50_000, rows))
	mustFail(t, err, platform.KindUnavailable, CodeImportBusy)
	release()
	release() // twice is harmless
	if res, err := svc.Import(ctx, "list.csv", bulkCSV(t, 50_000, rows)); err != nil || res.Created != rows {
		t.Fatalf("after release: %+v, %v", res, err)
	}

	// A wait that runs out is busy too, and a cancelled caller stops waiting.
	waiting := NewMemoryBudget(10<<20, time.Millisecond)
	hold, _ := waiting.acquire(context.Background(), 10<<20)
	defer hold()
	if _, err := waiting.acquire(context.Background(), 1); platform.CodeOf(err) != CodeImportBusy {
		t.Fatalf("wait ran out: %v", err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewMemoryBudget(10<<20, time.Hour).acquire(cancelled, 1); err != nil {
		t.Fatalf("a free budget refuses: %v", err)
	}
	if _, err := waiting.acquire(cancelled, 1); !errors.Is(err, context.Canceled) || platform.CodeOf(err) != CodeImportBusy {
		t.Fatalf("cancelled wait: %v", err)
	}
}

func TestImportLimitsFromEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		size    int64
		wait    time.Duration
		wantErr bool
	}{
		{env: nil, size: DefaultImportMemory, wait: DefaultImportWait},
		{env: map[string]string{"SKILLCERT_IMPORT_MEMORY": "512MiB"}, size: 512 << 20, wait: DefaultImportWait},
		{env: map[string]string{"SKILLCERT_IMPORT_MEMORY": "1g"}, size: 1 << 30, wait: DefaultImportWait},
		{env: map[string]string{"SKILLCERT_IMPORT_MEMORY": "67108864"}, size: 64 << 20, wait: DefaultImportWait},
		{env: map[string]string{"SKILLCERT_IMPORT_MEMORY": " 64 MiB "}, size: 64 << 20, wait: DefaultImportWait},
		{env: map[string]string{"SKILLCERT_IMPORT_WAIT": "0"}, size: DefaultImportMemory, wait: 0},
		{env: map[string]string{"SKILLCERT_IMPORT_WAIT": "30s", "SKILLCERT_IMPORT_MEMORY": "2GiB"}, size: 2 << 30, wait: 30 * time.Second},
		{env: map[string]string{"SKILLCERT_IMPORT_MEMORY": "lots"}, wantErr: true},
		{env: map[string]string{"SKILLCERT_IMPORT_MEMORY": "512KiB"}, wantErr: true},
		{env: map[string]string{"SKILLCERT_IMPORT_MEMORY": "-1"}, wantErr: true},
		{env: map[string]string{"SKILLCERT_IMPORT_MEMORY": "99999999999GiB"}, wantErr: true},
		{env: map[string]string{"SKILLCERT_IMPORT_WAIT": "soon"}, wantErr: true},
		{env: map[string]string{"SKILLCERT_IMPORT_WAIT": "-1s"}, wantErr: true},
	}
	for _, tt := range tests {
		lim, err := ImportLimitsFromEnv(func(k string) string { return tt.env[k] })
		if tt.wantErr {
			if err == nil {
				t.Errorf("%v: no error", tt.env)
			}
			continue
		}
		if err != nil || lim.Memory.Size() != tt.size || lim.Memory.wait != tt.wait || lim.MaxRows != DefaultImportLimits.MaxRows {
			t.Errorf("%v: %d %s %v", tt.env, lim.Memory.Size(), lim.Memory.wait, err)
		}
		if len(tt.env) == 0 && lim.Memory != defaultMemoryBudget {
			t.Error("without settings, the process-wide budget is not kept")
		}
	}
}
