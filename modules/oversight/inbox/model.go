// Package inbox is the regulators' side of reporting: the dispatcher moves what institutions wrote to
// their outbox (modules/reports) into the report store of every regulator whose jurisdiction covers
// them — an append-only, hash-chained copy per regulator — feeds the facts, and queues each copy for
// the regulator's external system (delivery). Regulators list, read and verify what they received.
package inbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

// GenesisHash is the previous hash of a regulator's first report.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// dispatchBatch is how many outbox events of one institution one transaction moves.
const dispatchBatch = 500

// ErrReportNotFound is the 404 of a report the regulator did not receive.
var ErrReportNotFound = platform.NotFound("report")

// Filter narrows a report listing.
type Filter struct {
	Since         time.Time // received at or after
	InstitutionID uuid.UUID
	Kind          string
}

// DispatchResult counts what a dispatch pass moved.
type DispatchResult struct {
	Institutions int // institutions whose events were dispatched
	Events       int // outbox events dispatched
	Copies       int // report copies stored, one per covering regulator
	Skipped      int // institutions another dispatcher was working on
}

func (r *DispatchResult) add(o DispatchResult) {
	r.Institutions += o.Institutions
	r.Events += o.Events
	r.Copies += o.Copies
	r.Skipped += o.Skipped
}

// reportHash is SHA-256 over the previous hash and the copy's content, each field length-prefixed
// so that the encoding is unambiguous. The payload is hashed in canonical form (sorted keys), since
// PostgreSQL's jsonb does not keep the bytes it was given.
func reportHash(regulatorID uuid.UUID, r *reportRow) string {
	h := sha256.New()
	for _, f := range []string{
		r.PrevHash, regulatorID.String(), strconv.FormatInt(r.Seq, 10), r.ID.String(), r.InstitutionID.String(),
		r.InstitutionRegion, r.Kind, r.SubjectType, r.SubjectID, string(canonicalJSON(r.Payload)),
		r.ReportedAt.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
		r.ReceivedAt.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
	} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalJSON re-encodes JSON with sorted object keys and numbers as written.
func canonicalJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}
