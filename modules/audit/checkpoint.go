package audit

// # Anchoring
//
// The hash chain alone shows that entries were not edited by someone who left the chain as it was; a
// database superuser can still rewrite an entry and recompute every later hash and the head. So the
// chain is anchored outside the database, in the spirit of Certificate Transparency's signed tree
// heads: a checkpoint states "the chain of tenant T has N entries and its head is H", signed by the
// platform's Ed25519 key, which is derived from the master key and never stored in the database. Each
// checkpoint is written to the reports outbox in the transaction that makes it, so the oversight
// dispatcher copies it, like any report, into the append-only report store of every regulator
// covering the institution and POSTs it to their external systems: evidence the institution can't
// rewrite. Checkpoints are made for institutions (the tenants that report) whenever they reported
// since their last checkpoint (a trigger on report_outbox marks them; a task every few seconds signs)
// and hourly whenever their head moved.
//
// Making a checkpoint appends no audit entry: the entry would move the head the checkpoint signs, so
// the next run would sign again, without end. A checkpoint's own record is the checkpoint itself,
// kept in audit_checkpoints, in the outbox and in the regulators' hash-chained report stores.
//
// Verify reads the tenant's checkpoints from the regulators' report stores (not from the tenant's own
// data), checks each copy's signature with the platform key, and requires the entry at each
// checkpoint's seq to have the checkpoint's head. It reports the latest checkpoint that agrees as the
// chain's anchor, and the first entry that disagrees with one.

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

// CheckpointVersion opens the signed bytes of a checkpoint (see Checkpoint.SignedBytes).
const CheckpointVersion = "skillcert-audit-checkpoint-v1"

// signedAtLayout writes a checkpoint's time in its signed bytes and in its JSON: UTC, always six
// fractional digits, so that the string in the payload is exactly the string that was signed.
const signedAtLayout = "2006-01-02T15:04:05.000000Z"

// ErrChainRewritten is returned instead of a checkpoint when the chain no longer has, at the seq of
// the tenant's previous checkpoint, the head that checkpoint signed: the platform never signs a chain
// that contradicts what it signed before.
var ErrChainRewritten = platform.E(platform.KindConflict, "audit_chain_rewritten",
	"the audit chain disagrees with its previous checkpoint; it is not signed again")

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Checkpoint is a signed statement of one tenant's audit chain: it had Seq entries and its head (the
// hash of entry Seq) was Head at SignedAt. It is the payload of the audit.checkpoint report.
type Checkpoint struct {
	TenantID  uuid.UUID
	Seq       int64
	Head      string
	SignedAt  time.Time
	KID       string // the signing key's RFC 7638 thumbprint, as published at /.well-known/skillcert/audit-keys
	Signature string // base64url (no padding) of the Ed25519 signature over SignedBytes
}

// checkpointJSON is a checkpoint on the wire: {"tenant_id","seq","head","signed_at","kid","signature"}.
type checkpointJSON struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	Seq       int64     `json:"seq"`
	Head      string    `json:"head"`
	SignedAt  string    `json:"signed_at"`
	KID       string    `json:"kid"`
	Signature string    `json:"signature"`
}

// MarshalJSON writes signed_at exactly as it is signed.
func (c Checkpoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(checkpointJSON{TenantID: c.TenantID, Seq: c.Seq, Head: c.Head,
		SignedAt: c.SignedAt.UTC().Format(signedAtLayout), KID: c.KID, Signature: c.Signature})
}

// UnmarshalJSON reads a checkpoint, refusing a signed_at that is not in the signed form.
func (c *Checkpoint) UnmarshalJSON(b []byte) error {
	var w checkpointJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	at, err := time.Parse(signedAtLayout, w.SignedAt)
	if err != nil {
		return fmt.Errorf("checkpoint signed_at %q: %w", w.SignedAt, err)
	}
	*c = Checkpoint{TenantID: w.TenantID, Seq: w.Seq, Head: w.Head, SignedAt: at, KID: w.KID, Signature: w.Signature}
	return nil
}

// SignedBytes is what the platform key signs: five lines, each ended by a line feed (0x0A),
//
//	skillcert-audit-checkpoint-v1
//	tenant_id:<tenant UUID, lowercase, hyphenated>
//	seq:<decimal entry count, no leading zeros>
//	head:<hash of entry seq, 64 lowercase hex digits>
//	signed_at:<UTC time, YYYY-MM-DDThh:mm:ss.ffffffZ, always six fractional digits>
//
// Every value is also a member of the JSON payload, written the same way, so a verifier rebuilds the
// bytes from the payload and checks the signature with the key named by kid.
func (c Checkpoint) SignedBytes() []byte {
	return []byte(CheckpointVersion + "\n" +
		"tenant_id:" + c.TenantID.String() + "\n" +
		"seq:" + strconv.FormatInt(c.Seq, 10) + "\n" +
		"head:" + c.Head + "\n" +
		"signed_at:" + c.SignedAt.UTC().Format(signedAtLayout) + "\n")
}

// Verify checks the checkpoint's signature with pub.
func (c Checkpoint) Verify(pub ed25519.PublicKey) error {
	if !hexHash.MatchString(c.Head) || c.Seq < 1 {
		return errors.New("checkpoint: malformed head or seq")
	}
	sig, err := base64.RawURLEncoding.DecodeString(c.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("checkpoint: signature is not base64url of 64 bytes")
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, c.SignedBytes(), sig) {
		return errors.New("checkpoint: signature does not verify")
	}
	return nil
}

// Anchor is the checkpoint a chain check found the chain to agree with: the latest one, read from
// outside the tenant's data (Source), so entries up to Seq can't have been rewritten since SignedAt.
type Anchor struct {
	Seq      int64     `json:"seq"`
	Head     string    `json:"head"`
	SignedAt time.Time `json:"signed_at"`
	KID      string    `json:"kid"`
	// Source is where the checkpoint was read: "regulator:<slug>", that regulator's report store.
	Source string `json:"source"`
}

// checkpointCopy is one copy of a checkpoint as found outside the tenant's data.
type checkpointCopy struct {
	cp       Checkpoint
	source   string
	reportID uuid.UUID
	problem  string // why the copy is not evidence (altered); "" for a copy whose signature verifies
}

func (c *checkpointCopy) anchor() *Anchor {
	return &Anchor{Seq: c.cp.Seq, Head: c.cp.Head, SignedAt: c.cp.SignedAt.UTC(), KID: c.cp.KID, Source: c.source}
}

func (c *checkpointCopy) String() string {
	return fmt.Sprintf("checkpoint of entry %d signed %s (report %s in %s)", c.cp.Seq,
		c.cp.SignedAt.UTC().Format(time.RFC3339), c.reportID, c.source)
}

// Evidence is what a chain is checked against besides itself: the tenant's checkpoints as copied to
// regulators' report stores, each copy already checked against the platform key. The zero value and
// nil hold no checkpoints (the chain check alone).
type Evidence struct {
	bySeq  map[int64][]*checkpointCopy // copies whose signature verifies
	forged []*checkpointCopy           // copies that claim the platform key but do not verify
	agreed *checkpointCopy             // the latest checkpoint the chain agreed with so far
}

func newEvidence(copies []checkpointCopy) *Evidence {
	ev := &Evidence{bySeq: map[int64][]*checkpointCopy{}}
	for i := range copies {
		c := &copies[i]
		if c.problem != "" {
			ev.forged = append(ev.forged, c)
			continue
		}
		ev.bySeq[c.cp.Seq] = append(ev.bySeq[c.cp.Seq], c)
	}
	return ev
}

// check compares entry e (already found to fit the chain) with the checkpoints signed at its seq and
// returns why it disagrees, or "".
func (ev *Evidence) check(e *Entry) string {
	if ev == nil {
		return ""
	}
	for _, c := range ev.bySeq[e.Seq] {
		if c.cp.Head != e.Hash {
			after := "no earlier checkpoint agrees"
			if ev.agreed != nil {
				after = fmt.Sprintf("the last checkpoint that agrees is of entry %d", ev.agreed.cp.Seq)
			}
			return fmt.Sprintf("entry %d disagrees with the %s: the log was rewritten at or before this entry (%s)",
				e.Seq, c, after)
		}
		if ev.agreed == nil || c.cp.Seq > ev.agreed.cp.Seq ||
			(c.cp.Seq == ev.agreed.cp.Seq && c.cp.SignedAt.After(ev.agreed.cp.SignedAt)) {
			ev.agreed = c
		}
	}
	return ""
}

// finish runs after a chain of last entries passed: a checkpoint of an entry past the end means
// entries were removed; a forged copy means a regulator's store was altered. It returns the seq to
// name and why, or "".
func (ev *Evidence) finish(last int64) (int64, string) {
	if ev == nil {
		return 0, ""
	}
	var beyond *checkpointCopy
	for seq, cs := range ev.bySeq {
		if seq > last && (beyond == nil || seq > beyond.cp.Seq) {
			beyond = cs[0]
		}
	}
	if beyond != nil {
		return last + 1, fmt.Sprintf("the chain ends at entry %d, but the %s vouches for more (entries removed from the end)", last, beyond)
	}
	if len(ev.forged) > 0 {
		c := ev.forged[0]
		seq := max(c.cp.Seq, 1)
		return seq, fmt.Sprintf("a copy of a checkpoint in %s does not verify with the platform key (%s): the report store was altered (report %s)",
			c.source, c.problem, c.reportID)
	}
	return 0, ""
}

// anchor is the latest checkpoint the chain agreed with, or nil.
func (ev *Evidence) anchor() *Anchor {
	if ev == nil || ev.agreed == nil {
		return nil
	}
	return ev.agreed.anchor()
}
