package certificates

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// zipPage is how many PDFs the ZIP stream reads per query: a short transaction each, so a slow
// download never holds a database connection for long.
const zipPage = 20

// WriteBatchZIP streams the PDFs of entries (BatchCertificates of a batch of the tenant in ctx) to w
// as one ZIP archive, one file per certificate named by its number, flushing after each page of
// PDFs. The API and the console both serve it from a response body stream writer, after the status
// is sent: on a read error it stops without the central directory, so the client sees a broken
// archive rather than a silently incomplete one.
func (s *Service) WriteBatchZIP(ctx context.Context, w *bufio.Writer, entries []BatchEntry) error {
	zw := zip.NewWriter(w)
	for start := 0; start < len(entries); start += zipPage {
		part := entries[start:min(start+zipPage, len(entries))]
		ids := make([]uuid.UUID, len(part))
		for i, e := range part {
			ids[i] = e.ID
		}
		pdfs, err := s.PDFs(ctx, ids)
		if err != nil {
			s.log.ErrorContext(ctx, "certificates: streaming a batch ZIP", "err", err)
			_ = w.Flush()
			return err
		}
		for _, e := range part {
			// PDFs are compressed already; storing them saves CPU for nothing lost.
			f, err := zw.CreateHeader(&zip.FileHeader{Name: e.Number + ".pdf", Method: zip.Store, Modified: time.Now()})
			if err == nil {
				_, err = f.Write(pdfs[e.ID])
			}
			if err != nil {
				return fmt.Errorf("writing %s: %w", e.Number, err)
			}
		}
		if err := w.Flush(); err != nil {
			return err // the client went away
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return w.Flush()
}
