package audit

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// EntryView is an audit entry as the JSON API and the console show it: everything it holds, since
// the hash covers every field and a reader checks it only if nothing is left out.
type EntryView struct {
	TenantID   uuid.UUID       `json:"tenant_id"`
	Seq        int64           `json:"seq"`
	ID         uuid.UUID       `json:"id"`
	At         time.Time       `json:"at"`
	ActorID    *uuid.UUID      `json:"actor_id"`
	ActorName  string          `json:"actor_name"`
	Action     string          `json:"action"`
	Outcome    string          `json:"outcome"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	RequestID  string          `json:"request_id"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// NewEntryView converts an entry for display.
func NewEntryView(e Entry) EntryView {
	return EntryView{TenantID: e.TenantID, Seq: e.Seq, ID: e.ID, At: e.At, ActorID: e.ActorID, ActorName: e.ActorName,
		Action: e.Action, Outcome: string(e.Outcome), TargetType: e.TargetType, TargetID: e.TargetID,
		Before: e.Before, After: e.After, RequestID: e.RequestID, PrevHash: e.PrevHash, Hash: e.Hash}
}

// VerifyView is a chain check as shown: `{"ok":true,"entries":n,"head":"…"}`, and on a broken
// chain the first entry that does not fit and why (API.md, Audit).
type VerifyView struct {
	OK          bool       `json:"ok"`
	Entries     int64      `json:"entries"`
	Head        string     `json:"head"`
	FirstBadSeq *int64     `json:"first_bad_seq,omitempty"`
	FirstBadID  *uuid.UUID `json:"first_bad_id,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	// Anchor is the latest signed checkpoint, held in a regulator's report store, that the chain
	// agrees with; absent until a checkpoint has reached a regulator.
	Anchor *Anchor `json:"anchor,omitempty"`
}

// NewVerifyView converts a chain check for display.
func NewVerifyView(r VerifyResult) VerifyView {
	return VerifyView{OK: r.OK, Entries: r.Entries, Head: r.Head, FirstBadSeq: r.FirstBadSeq, FirstBadID: r.FirstBadID,
		Reason: r.Reason, Anchor: r.Anchor}
}
