package exams_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/exams/ticketpdf"
	"github.com/skillcert/skillcert/modules/testkit"
)

// benchTickets is the size of the benchmark batch: one chunk.
const benchTickets = exams.TicketChunkSize

// BenchmarkTicketPipeline measures the admission ticket pipeline per ticket: queue the batch's tickets
// (sign tokens, write rows and chunk), then what a worker does per chunk — lock the pending rows, read
// each application's seats and photo, render the PDF, store it and mark the ticket ready, in one
// transaction. Compare its tickets/s with BenchmarkTicketRenderLoop's in the same run:
//
//	go test ./modules/exams -run '^$' -bench 'Ticket(Pipeline|RenderLoop)' -benchtime 20x -cpu 1
func BenchmarkTicketPipeline(b *testing.B) {
	k := testkit.New(b)
	if _, err := docRenderer(); err != nil {
		b.Skip(err)
	}
	org := institution(b, k)
	e := closedBatch(b, k, org, benchTickets, false)
	s := site(b, k, org, benchTickets)
	day := time.Now().AddDate(0, 0, 40).UTC().Truncate(time.Hour)
	session(b, k, e, "theory", day, day.Add(90*time.Minute), s.Rooms[0].ID)
	arrange(b, k, e, "sequential", "")
	var cands []uuid.UUID
	if err := k.DB.NewSelect().Table("applications").Column("candidate_id").Where("batch_id = ?", e.batch).
		Scan(context.Background(), &cands); err != nil {
		b.Fatal(err)
	}
	photo := benchPhoto(b)
	for _, c := range cands {
		if _, err := k.Server.Lifecycle.Candidates.SetPhoto(org.Ctx(context.Background()), c, photo); err != nil {
			b.Fatal(err)
		}
	}
	d := exams.NewDocuments(exams.DocumentsConfig{DB: k.DB, Photos: k.Server.Lifecycle.Candidates, Renderer: docRenderer,
		TicketKey: exams.TicketKey([]byte("benchmark-secret-0123456789"))})
	ctx := org.Ctx(context.Background())
	jctx := jobCtx(org.Tenant.ID)
	rendered := 0
	b.ResetTimer()
	for range b.N {
		if _, err := d.IssueTickets(ctx, e.batch); err != nil {
			b.Fatal(err)
		}
		n, err := d.RenderBatch(jctx, e.batch)
		if err != nil {
			b.Fatal(err)
		}
		rendered += n
		b.StopTimer()
		if err := k.Server.Exams.Exams.DeleteTickets(ctx, e.batch); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(rendered)/b.Elapsed().Seconds(), "tickets/s")
}

// BenchmarkTicketRenderLoop renders the same two-session ticket with a photo in a loop, benchTickets
// per op: the upper bound of the pipeline.
func BenchmarkTicketRenderLoop(b *testing.B) {
	fonts, err := docRenderer()
	if err != nil {
		b.Skip(err)
	}
	r := ticketpdf.New(fonts)
	start := time.Date(2026, 12, 20, 1, 0, 0, 0, time.UTC)
	t := ticketpdf.Ticket{Institution: "北京某某电力设备有限公司", Batch: "电工四级认定", Number: "2026000100001", Name: "考生01",
		IDNumber: "11010519491231002X", Occupation: "电工 6-31-01-03", Level: "四级/中级工",
		Token: exams.SignTicket(make([]byte, 32), exams.TicketClaims{TicketNumber: "2026000100001"}), Photo: benchPhoto(b),
		Sessions: []ticketpdf.Session{{Method: "theory", StartsAt: start, EndsAt: start.Add(90 * time.Minute), Site: "朝阳考点",
			Address: "北京市朝阳区某路1号", Room: "第1考场", Seat: 1}}}
	b.ResetTimer()
	for range b.N {
		for range benchTickets {
			if err := r.Render(io.Discard, t); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*benchTickets)/b.Elapsed().Seconds(), "tickets/s")
}

// benchPhoto is a 300×400 JPEG, the size of a scanned 2-inch photo.
func benchPhoto(tb testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 300, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 300; x++ {
			img.Set(x, y, color.RGBA{uint8(120 + x%60), uint8(140 + y%50), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
