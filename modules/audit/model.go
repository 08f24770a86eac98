// Package audit is SkillCert's tamper-evident trail: every write, every denied attempt and every login
// appends an entry, in the same transaction as the change, to a hash chain of its tenant. Each entry's
// hash covers its content and the previous entry's hash, so editing, removing or reordering any past
// entry breaks the chain from there on; Verify names the first entry that does not fit.
package audit

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

// Permissions of audit, as routes, the console and policies/roles/*.csv name them.
const (
	PermAuditList   = "audit:list"   // read one's tenant's audit entries
	PermAuditVerify = "audit:verify" // check one's tenant's hash chain
)

// SortSeq is the one sort key of a tenant's entries: the chain's own order, oldest first.
const SortSeq = "seq"

// Filter narrows a list of entries; the zero value lists them all.
type Filter struct {
	Since time.Time // only entries at or after this time (zero: from the start)
}

// ErrNewestFirst answers a request for the chain newest first: it is read in the order it was written.
var ErrNewestFirst = platform.E(platform.KindInvalid, "invalid_sort", "the audit log lists oldest first (sort=seq)")

// ParseSince reads the since bound of a list, an RFC 3339 time ("" is no bound).
func ParseSince(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &platform.Error{Kind: platform.KindInvalid, Code: "invalid_parameter", Message: "since must be an RFC 3339 time",
			Fields: []platform.FieldError{{Field: "since", Code: "format", Message: "e.g. 2026-11-01T00:00:00Z"}}}
	}
	return t, nil
}

// Outcome of an audited attempt.
type Outcome string

// Outcomes.
const (
	OutcomeOK     Outcome = "ok"
	OutcomeDenied Outcome = "denied" // authorization refused
	OutcomeFailed Outcome = "failed" // e.g. a failed login
)

// GenesisHash is the previous hash of a tenant's first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Event is what a service records: the tenant, actor, time and request id come from the context.
type Event struct {
	Action     string // verb-like, namespaced: "batch.publish", "user.create", "auth.login"
	Outcome    Outcome
	TargetType string
	TargetID   string
	Before     any // state before the change (nil for creations)
	After      any // state after the change (nil for deletions)
}

// Entry is one stored link of a tenant's chain. Front ends show it as an EntryView.
type Entry struct {
	TenantID   uuid.UUID
	Seq        int64
	ID         uuid.UUID
	At         time.Time
	ActorID    *uuid.UUID
	ActorName  string
	Action     string
	Outcome    Outcome
	TargetType string
	TargetID   string
	Before     json.RawMessage
	After      json.RawMessage
	RequestID  string
	PrevHash   string
	Hash       string
}

// VerifyResult reports a chain check. FirstBadSeq is set when OK is false.
type VerifyResult struct {
	OK          bool
	Entries     int64
	Head        string // hash of the last entry that fits
	FirstBadSeq *int64
	FirstBadID  *uuid.UUID
	Reason      string
	Anchor      *Anchor // the latest checkpoint the chain agrees with (checkpoint.go)
}

// computeHash is SHA-256 over the previous hash and the entry's canonical content. Before/after JSON is
// canonicalised (keys sorted, numbers verbatim) because PostgreSQL's jsonb does not keep the bytes it
// was given; time is UTC at microsecond precision, what both databases store.
func computeHash(e *Entry) string {
	h := sha256.New()
	actor := ""
	if e.ActorID != nil {
		actor = e.ActorID.String()
	}
	fields := []string{
		e.PrevHash, e.TenantID.String(), strconv.FormatInt(e.Seq, 10), e.ID.String(),
		e.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano), actor, e.ActorName, e.Action,
		string(e.Outcome), e.TargetType, e.TargetID, string(canonical(e.Before)), string(canonical(e.After)), e.RequestID,
	}
	for _, f := range fields {
		// Length-prefixing each field makes the encoding unambiguous ("ab"+"c" ≠ "a"+"bc").
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// canonical re-encodes JSON with sorted object keys and numbers kept as written; null and empty are "".
func canonical(raw json.RawMessage) []byte {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	out, err := json.Marshal(v) // encoding/json sorts map keys
	if err != nil {
		return raw
	}
	return out
}

// toJSON marshals a before/after value; nil stays nil.
func toJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return canonical(raw), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return canonical(b), nil
}
