package exams_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/jobs/jobstest"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/exams/archive"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// fontsOrSkip is the renderer of this machine's fonts; without a CJK font the test skips (CI has one).
var docRenderer = sync.OnceValues(func() (*render.Renderer, error) { return render.New(render.Options{}) })

func fontsOrSkip(t *testing.T) func() (*render.Renderer, error) {
	t.Helper()
	if _, err := docRenderer(); err != nil {
		if errors.Is(err, render.ErrFontNotFound) && os.Getenv("CI") != "true" {
			t.Skipf("no CJK font: %v", err)
		}
		t.Fatal(err)
	}
	return docRenderer
}

func jobCtx(tenantID uuid.UUID) context.Context {
	return tenants.WithScope(tenants.WithActor(context.Background(), tenants.Actor{Name: "system:job:" + exams.TaskRenderTickets}),
		tenants.Scope{TenantID: tenantID})
}

// arrangedExam is a closed batch of n applications seated in two sessions of two rooms of 5 seats.
func arrangedExam(t *testing.T, k *testkit.Kit, n int) (*exam, []sessionJSON) {
	t.Helper()
	org := institution(t, k)
	e := closedBatch(t, k, org, n, false)
	s := site(t, k, org, 5, 5)
	day := time.Now().AddDate(0, 0, 40).UTC().Truncate(time.Hour)
	theory := session(t, k, e, "theory", day, day.Add(90*time.Minute), s.Rooms[0].ID, s.Rooms[1].ID)
	practical := session(t, k, e, "practical", day.Add(5*time.Hour), day.Add(7*time.Hour), s.Rooms[0].ID, s.Rooms[1].ID)
	arrange(t, k, e, "sequential", "")
	return e, []sessionJSON{theory, practical}
}

// TestTicketsExactlyOnceUnderKilledWorker: a worker process dies (SIGKILL) mid-chunk holding its lease;
// its rendering rolls back whole with its connection; when the lease expires the reconciler hands the
// chunk to a new task, which renders every ticket once; the dead worker's task, redelivered, renders
// nothing; nothing is lost or doubled.
func TestTicketsExactlyOnceUnderKilledWorker(t *testing.T) {
	k := testkit.New(t)
	fonts := fontsOrSkip(t)
	e, _ := arrangedExam(t, k, 7)
	var mu sync.Mutex
	now := time.Now().UTC()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	rec := &jobstest.Recorder{}
	key := exams.TicketKey([]byte("exactly-once-test-secret"))
	d := exams.NewDocuments(exams.DocumentsConfig{DB: k.DB, Jobs: rec, Photos: k.Server.Lifecycle.Candidates,
		Renderer: fonts, TicketKey: key, Now: clock})
	ctx := e.org.Ctx(context.Background())

	queued, err := d.IssueTickets(ctx, e.batch)
	if err != nil || queued != 7 {
		t.Fatalf("issue: %d %v", queued, err)
	}
	first := rec.Take()
	if len(first) != 1 || first[0].Type != exams.TaskRenderTickets {
		t.Fatalf("tasks %+v", first)
	}
	var p struct {
		ChunkID uuid.UUID `json:"chunk_id"`
	}
	if err := first[0].Decode(&p); err != nil {
		t.Fatal(err)
	}

	// A worker process takes the chunk's task as a worker does (HandleRenderTickets: the lease held and
	// renewed while it renders), renders three tickets and is SIGKILLed there, its transaction open.
	killTicketWorker(t, first[0], key)
	if st := statuses(t, d, ctx, e.batch); st[exams.TicketPending] != 7 {
		t.Fatalf("after the crash %v, want 7 pending", st)
	}
	jctx := jobCtx(e.org.Tenant.ID)

	// While the lease lives, the reconciler leaves the chunk alone; once it expired, it re-enqueues it.
	if n, err := d.ReconcileTickets(context.Background()); err != nil || countChunk(rec.Take(), p.ChunkID) != 0 || n < 0 {
		t.Fatalf("reconciled a leased chunk: %v", err)
	}
	mu.Lock()
	now = time.Now().UTC().Add(exams.TicketLease + time.Second) // the dead worker renewed its lease by the real clock
	mu.Unlock()
	if _, err := d.ReconcileTickets(context.Background()); err != nil {
		t.Fatal(err)
	}
	again := rec.Take()
	if countChunk(again, p.ChunkID) != 1 {
		t.Fatalf("re-enqueued %+v", again)
	}
	for _, task := range again {
		if err := d.HandleRenderTickets(jobCtx(task.TenantID), task); err != nil {
			t.Fatal(err)
		}
	}
	// The dead worker's task comes back (asynq's recovery) and finds nothing to do; so does a third.
	for range 2 {
		if err := d.HandleRenderTickets(jctx, first[0]); err != nil {
			t.Fatal(err)
		}
	}
	if st := statuses(t, d, ctx, e.batch); st[exams.TicketReady] != 7 || len(st) != 1 {
		t.Fatalf("after recovery %v, want 7 ready", st)
	}
	page, err := d.Tickets(ctx, e.batch, platform.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	apps := map[uuid.UUID]bool{}
	for _, tk := range page.Items {
		c, err := exams.VerifyTicket(key, e.org.Tenant.ID, e.batch, tk.Token)
		if err != nil || c.ApplicationID != tk.ApplicationID || c.TicketNumber != tk.TicketNumber {
			t.Fatalf("token of %s: %+v %v", tk.TicketNumber, c, err)
		}
		if seen[tk.TicketNumber] || apps[tk.ApplicationID] {
			t.Fatalf("ticket %s twice", tk.TicketNumber)
		}
		seen[tk.TicketNumber], apps[tk.ApplicationID] = true, true
	}
	var rows int
	if err := k.DB.NewSelect().TableExpr("exam_tickets").ColumnExpr("count(*)").Where("batch_id = ? AND status = 'ready' AND pdf IS NOT NULL", e.batch).
		Scan(context.Background(), &rows); err != nil || rows != 7 || len(apps) != 7 {
		t.Fatalf("%d ready rows with a PDF, %d applications (%v)", rows, len(apps), err)
	}
	// Issuing again queues nothing: every ticket is there.
	if queued, err := d.IssueTickets(ctx, e.batch); err != nil || queued != 0 || len(rec.Take()) != 0 {
		t.Fatalf("issued again: %d %v", queued, err)
	}
}

func countChunk(tasks []jobs.Task, chunk uuid.UUID) int {
	n := 0
	for _, task := range tasks {
		var p struct {
			ChunkID uuid.UUID `json:"chunk_id"`
		}
		if task.Decode(&p) == nil && p.ChunkID == chunk {
			n++
		}
	}
	return n
}

func statuses(t *testing.T, d *exams.Documents, ctx context.Context, batch uuid.UUID) map[string]int {
	t.Helper()
	page, err := d.Tickets(ctx, batch, platform.PageRequest{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, tk := range page.Items {
		out[tk.Status]++
	}
	return out
}

// TestTicketsSheetsAndArchiveOverHTTP walks the document side through the API: tickets issued (202),
// listed, rendered, downloaded as a ZIP and by the candidate; sign-in sheets; the archive of the
// finalized batch verified against the published keys, a tampered file failing; and the batch
// immutable once archived.
func TestTicketsSheetsAndArchiveOverHTTP(t *testing.T) {
	k := testkit.New(t)
	fontsOrSkip(t)
	e, _ := arrangedExam(t, k, 6)
	org, path := e.org, "/api/v1/batches/"+e.batch.String()
	ctx := org.Ctx(context.Background())

	// A photo for the first candidate, through the bulk upload.
	var app0 struct {
		CandidateID uuid.UUID `json:"candidate_id"`
	}
	k.Do(t, "GET", "/api/v1/applications/"+e.apps[0].String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &app0)

	k.Do(t, "GET", path+"/tickets.zip", org.Admin, nil).Want(t, http.StatusOK)
	var queued struct{ Queued int }
	k.Do(t, "POST", path+"/tickets", org.Admin, nil).Want(t, http.StatusAccepted).Decode(t, &queued)
	if queued.Queued != 6 {
		t.Fatalf("queued %d", queued.Queued)
	}
	k.Do(t, "POST", path+"/arrangement", org.Admin, arrangeBody("sequential", "")).WantProblem(t, http.StatusConflict, "tickets_issued")
	k.Do(t, "POST", path+"/tickets", org.Tokens["evaluator"], nil).Want(t, http.StatusForbidden)

	type page struct {
		Items []struct {
			ApplicationID uuid.UUID `json:"application_id"`
			TicketNumber  string    `json:"ticket_number"`
			Status        string    `json:"status"`
			Token         string    `json:"token"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	var p page
	k.Do(t, "GET", path+"/tickets?limit=4", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &p)
	if len(p.Items) != 4 || p.NextCursor == "" || p.Items[0].Status != "pending" || !strings.HasPrefix(p.Items[0].Token, "T1.") {
		t.Fatalf("first page %+v", p)
	}
	k.Do(t, "GET", path+"/tickets?sort=name", org.Admin, nil).WantProblem(t, http.StatusBadRequest, "invalid_sort")
	if n, err := k.Server.Exams.Documents.RenderBatch(jobCtx(org.Tenant.ID), e.batch); err != nil || n != 6 {
		t.Fatalf("rendered %d: %v", n, err)
	}
	k.Do(t, "GET", path+"/tickets?limit=500", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &p)
	for _, it := range p.Items {
		if it.Status != "ready" {
			t.Fatalf("ticket %+v", it)
		}
	}
	// The check-in desk takes the ticket's token (the server's key signed it).
	var sessions struct {
		Items []struct {
			ID uuid.UUID `json:"id"`
		} `json:"items"`
	}
	k.Do(t, "GET", path+"/sessions", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &sessions)

	res := k.Do(t, "GET", path+"/tickets.zip", org.Admin, nil).Want(t, http.StatusOK)
	zr, err := zip.NewReader(bytes.NewReader(res.Body), int64(len(res.Body)))
	if err != nil || len(zr.File) != 6 || !strings.HasSuffix(zr.File[0].Name, ".pdf") {
		t.Fatalf("tickets zip: %v", err)
	}

	// The candidate sees their own ticket once their login is theirs.
	if _, err := k.DB.NewUpdate().Table("candidates").Set("user_id = ?", org.Users["candidate"].ID).
		Where("id = ?", app0.CandidateID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	var own struct {
		Items []struct {
			BatchID      uuid.UUID `json:"batch_id"`
			TicketNumber string    `json:"ticket_number"`
			Status       string    `json:"status"`
			Sessions     []struct {
				Method string `json:"method"`
				Seat   int    `json:"seat"`
			} `json:"sessions"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/me/tickets", org.Tokens["candidate"], nil).Want(t, http.StatusOK).Decode(t, &own)
	if len(own.Items) != 1 || own.Items[0].BatchID != e.batch || own.Items[0].Status != "ready" || len(own.Items[0].Sessions) != 2 {
		t.Fatalf("own tickets %+v", own)
	}
	pdf := k.Do(t, "GET", "/api/v1/me/tickets/"+e.batch.String()+"/pdf", org.Tokens["candidate"], nil).Want(t, http.StatusOK)
	if !bytes.HasPrefix(pdf.Body, []byte("%PDF")) {
		t.Fatal("own ticket is no PDF")
	}
	text := pdfText(t, pdf.Body)
	if !strings.Contains(text, e.idNums[0]) || !strings.Contains(text, own.Items[0].TicketNumber) || !strings.Contains(text, "考场规则") {
		t.Fatalf("own ticket text:\n%s", text)
	}
	k.Do(t, "GET", "/api/v1/me/tickets/"+uuid.NewString()+"/pdf", org.Tokens["candidate"], nil).Want(t, http.StatusNotFound)
	k.Do(t, "GET", "/api/v1/me/tickets", org.Admin, nil).Want(t, http.StatusForbidden)

	// Sign-in sheets: a page per (session, room) at least, masked id numbers.
	sheets := k.Do(t, "GET", path+"/sign-in-sheets.pdf", org.Tokens["supervisor"], nil).Want(t, http.StatusOK)
	st := pdfText(t, sheets.Body)
	if strings.Count(strings.ReplaceAll(st, " ", ""), "考场签到表") < 4 || !strings.Contains(st, candidates.MaskIDNumber(e.idNums[0])) || strings.Contains(st, e.idNums[0]) {
		t.Fatalf("sign-in sheets:\n%s", st)
	}

	// The archive waits for the batch to be finalized.
	k.Do(t, "GET", path+"/archive.zip", org.Admin, nil).WantProblem(t, http.StatusConflict, "invalid_state")
	for _, a := range e.apps {
		k.Do(t, "PUT", "/api/v1/applications/"+a.String()+"/scores", org.Tokens["evaluator"],
			map[string]any{"theory": 80, "practical": 75}).Want(t, http.StatusOK)
	}
	k.Do(t, "POST", path+"/results/publish", org.Admin, nil).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/finalize", org.Admin, nil).Want(t, http.StatusOK)
	ar := k.Do(t, "GET", path+"/archive.zip", org.Admin, nil).Want(t, http.StatusOK)
	var jwks credential.JWKSet
	k.Do(t, "GET", "/.well-known/skillcert/keys", "", nil).Want(t, http.StatusOK).Decode(t, &jwks)
	m, kid, err := archive.Verify(bytes.NewReader(ar.Body), int64(len(ar.Body)), jwks)
	if err != nil {
		t.Fatalf("archive: %v", err)
	}
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	if m.BatchID != e.batch || kid == "" || strings.Join(paths, ",") != strings.Join(exams.ArchiveFiles, ",") {
		t.Fatalf("manifest %+v kid %q", m, kid)
	}
	files := unzip(t, ar.Body)
	if !strings.Contains(files["candidates.csv"], e.idNums[0]) || !strings.Contains(files["scores.csv"], "pass") ||
		strings.Count(files["arrangement.csv"], "\n") != 1+2*6 || !strings.Contains(files["attendance.csv"], "expected") ||
		!bytes.HasPrefix([]byte(files["sign-in-sheets.pdf"]), []byte("%PDF")) || !strings.Contains(files["certificates.csv"], "pending") {
		t.Fatalf("archive files: %v", files["arrangement.csv"])
	}
	var pub struct {
		Results []struct{ Name, IDNumber, Result string } `json:"results"`
	}
	if err := json.Unmarshal([]byte(files["publicity.json"]), &pub); err != nil || len(pub.Results) != 6 || strings.Contains(files["publicity.json"], e.idNums[0]) {
		t.Fatalf("publicity.json %s", files["publicity.json"])
	}
	// A tampered file fails the verification.
	files["scores.csv"] = strings.Replace(files["scores.csv"], "80", "99", 1)
	tampered := rezip(t, ar.Body, "scores.csv", files["scores.csv"])
	if _, _, err := archive.Verify(bytes.NewReader(tampered), int64(len(tampered)), jwks); platform.CodeOf(err) != archive.CodeDigestMismatch {
		t.Fatalf("tampered archive: %v", err)
	}

	// Archived: the batch refuses every change.
	k.Do(t, "POST", path+"/tickets", org.Admin, nil).WantProblem(t, http.StatusConflict, "archived")
	k.Do(t, "POST", path+"/evaluators", org.Admin, map[string]any{"user_ids": []string{org.Users["evaluator"].ID.String()}}).
		WantProblem(t, http.StatusConflict, "archived")
	k.Do(t, "POST", path+"/cancel", org.Admin, map[string]any{"reason": "x"}).WantProblem(t, http.StatusConflict, "archived")
	// And a second archive holds the same records.
	ar2 := k.Do(t, "GET", path+"/archive.zip", org.Admin, nil).Want(t, http.StatusOK)
	if f2 := unzip(t, ar2.Body); f2["candidates.csv"] != unzip(t, ar.Body)["candidates.csv"] {
		t.Fatal("the archive changed")
	}
	_ = ctx
	_ = sessions
}

func unzip(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(b)
	}
	return out
}

func rezip(t *testing.T, data []byte, name, content string) []byte {
	t.Helper()
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == name {
			b = []byte(content)
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	zw.Close()
	return buf.Bytes()
}

// pdfText is pdftotext's reading of a PDF; without poppler the test skips (CI has it).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext missing")
		}
		t.Skip("pdftotext missing")
	}
	file := filepath.Join(t.TempDir(), "d.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestTicketsConcurrentTasksRenderOnce: two workers given the same chunk at once (a duplicate
// delivery) render each ticket once between them.
func TestTicketsConcurrentTasksRenderOnce(t *testing.T) {
	k := testkit.New(t)
	fonts := fontsOrSkip(t)
	e, _ := arrangedExam(t, k, 9)
	rec := &jobstest.Recorder{}
	d := exams.NewDocuments(exams.DocumentsConfig{DB: k.DB, Jobs: rec, Photos: k.Server.Lifecycle.Candidates,
		Renderer: fonts, TicketKey: exams.TicketKey([]byte("concurrent-test-secret"))})
	ctx := e.org.Ctx(context.Background())
	if _, err := d.IssueTickets(ctx, e.batch); err != nil {
		t.Fatal(err)
	}
	tasks := rec.Take()
	var p struct {
		ChunkID uuid.UUID `json:"chunk_id"`
	}
	if len(tasks) != 1 || tasks[0].Decode(&p) != nil {
		t.Fatalf("tasks %+v", tasks)
	}
	var wg sync.WaitGroup
	counts := make([]int, 3)
	errs := make([]error, 3)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = d.RenderChunk(jobCtx(e.org.Tenant.ID), p.ChunkID)
		}()
	}
	wg.Wait()
	total := 0
	for i, n := range counts {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		total += n
	}
	if st := statuses(t, d, ctx, e.batch); total != 9 || st[exams.TicketReady] != 9 {
		t.Fatalf("rendered %v (total %d), statuses %v", counts, total, st)
	}
}
