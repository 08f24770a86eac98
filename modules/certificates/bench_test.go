package certificates_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/tenants"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// BenchmarkIssuancePipeline measures issuing on one core what a worker does per certificate: load the
// pending rows, check the scope, allocate numbers and status entries, render the PDF, sign the
// credential, store both, publish the lookup row, audit, report and mark issued, in chunks of
// ChunkSize per transaction. Compare with BenchmarkRenderTightLoop (ns/op are per certificate):
//
//	go test ./modules/certificates -run '^$' -bench 'IssuancePipeline|RenderTightLoop' -cpu 1
func BenchmarkIssuancePipeline(b *testing.B) {
	e := setup(b)
	org, _ := e.institution(b, tenants.KindEnterprise)
	svc, rec := e.service(b, func(c *certificates.Config) { c.Log = quietLog })
	// Warm up: the first issuance creates the key and the status list, and loads the fonts.
	finalize(b, e, svc, org, 1, 4)
	run(b, svc, rec.take())

	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(b.N-done, certificates.ChunkSize)
		b.StopTimer()
		finalize(b, e, svc, org, n, 4)
		tasks := rec.take()
		b.StartTimer()
		run(b, svc, tasks)
		done += n
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "certs/s")
}

// BenchmarkRenderTightLoop renders the same certificate with the same fonts and QR code in a loop:
// the upper bound of the pipeline.
func BenchmarkRenderTightLoop(b *testing.B) {
	rend, err := sharedRenderer()
	if err != nil {
		b.Fatal(err)
	}
	c := render.Certificate{
		Institution: "北京市东城区某某科技有限公司", IssueDate: time.Now(), HolderName: holderName(7), IDType: "居民身份证",
		IDNumber: "110105199001010007", Occupation: "电工", OccupationCode: electrician, Level: credential.LevelName(4),
		Number: "Y000011123456264000007", VerifyURL: "https://skillcert.test/verify/Y000011123456264000007",
		QueryAddresses: []string{"https://skillcert.test/verify", render.NationalQueryURL},
	}
	var buf bytes.Buffer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := rend.Render(&buf, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "certs/s")
}

var _ = uuid.Nil
var _ = context.Background
