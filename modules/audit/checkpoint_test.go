package audit_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/delivery"
	"github.com/skillcert/skillcert/modules/oversight/inbox"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// checkpoint signs the head of org's chain now.
func checkpoint(t *testing.T, k *testkit.Kit, org *testkit.Org) audit.Checkpoint {
	t.Helper()
	cp, made, err := k.Server.Audit.Checkpoint(org.Ctx(context.Background()))
	if err != nil || !made {
		t.Fatalf("checkpoint: made %v, err %v", made, err)
	}
	return cp
}

// overseer is an oversight service on the kit's database that may deliver to this machine
// (SKILLCERT_SYNC_ALLOW_PRIVATE), with test-friendly timings.
func overseer(t *testing.T, k *testkit.Kit) *oversight.Service {
	t.Helper()
	svc, err := oversight.New(k.DB, oversight.Deps{Directory: k.Server.Directory}, oversight.Options{AllowPrivate: true, Secret: []byte("a test platform secret of 32 b.."),
		Backoff: oversight.Backoff{Base: 5 * time.Millisecond, Max: 40 * time.Millisecond}, HTTPTimeout: 2 * time.Second,
		DeliverBudget: 5 * time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// dispatch moves every pending report into the regulators' report stores, as oversight:dispatch does.
func dispatch(t *testing.T, svc *oversight.Service) {
	t.Helper()
	for i := 0; i < 100; i++ {
		r, err := svc.Inbox.Dispatch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if r.Events == 0 && r.Skipped == 0 {
			return
		}
	}
	t.Fatal("dispatch did not drain the outbox")
}

// rewrite is what a database superuser can do: with the append-only triggers off for the session,
// change entry seq, recompute its hash and every later one, and move the head along (from = 0) — or
// remove every entry after seq and set the head back (truncate).
func rewrite(t *testing.T, db *bun.DB, tenantID uuid.UUID, seq int64, truncate bool) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec("SET session_replication_role = replica")
	defer exec("SET session_replication_role = DEFAULT")
	if truncate {
		exec("DELETE FROM audit_log WHERE tenant_id = ? AND seq > ?", tenantID, seq)
		exec("UPDATE audit_heads SET seq = ?, hash = (SELECT hash FROM audit_log WHERE tenant_id = ? AND seq = ?) WHERE tenant_id = ?",
			seq, tenantID, seq, tenantID)
		return
	}
	var entries []audit.Entry
	if err := db.NewRaw("SELECT * FROM audit_log WHERE tenant_id = ? AND seq >= ? ORDER BY seq", tenantID, seq).Scan(ctx, &entries); err != nil {
		t.Fatal(err)
	}
	entries[0].ActorName = "someone else"
	prev := entries[0].PrevHash
	for i := range entries {
		e := &entries[i]
		e.PrevHash = prev
		e.Hash = audit.ComputeHash(e)
		prev = e.Hash
		exec("UPDATE audit_log SET actor_name = ?, prev_hash = ?, hash = ? WHERE tenant_id = ? AND seq = ?",
			e.ActorName, e.PrevHash, e.Hash, tenantID, e.Seq)
	}
	exec("UPDATE audit_heads SET hash = ? WHERE tenant_id = ?", prev, tenantID)
}

// chainOnly is the check without checkpoints: what a rewrite that recomputes the chain passes.
func chainOnly(t *testing.T, k *testkit.Kit, tenantID uuid.UUID) audit.VerifyResult {
	t.Helper()
	var res audit.VerifyResult
	err := tenants.SystemReadTx(context.Background(), k.DB, func(ctx context.Context, tx bun.Tx) (err error) {
		res, err = audit.VerifyChain(ctx, tx, tenantID, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestAnchoredVerifyCatchesASuperuserRewrite is the acceptance test: a superuser rewrites the
// log and recomputes the chain, which the chain check alone accepts; the checkpoints held in the
// regulator's report store catch it, name the first entry that disagrees with one, and report the last
// checkpoint that still agrees as the anchor.
func TestAnchoredVerifyCatchesASuperuserRewrite(t *testing.T) {
	k := testkit.New(t)
	ov := overseer(t, k)
	key, err := k.Server.Audit.CheckpointKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		truncate       bool
		province, city string // a province of its own per case: its only regulator is the source
	}{
		{"entry rewritten and chain recomputed", false, "330000", "330106"},
		{"tail removed and head set back", true, "340000", "340104"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := k.Tenant(t, tenants.KindRegulator, tc.province)
			inst := k.Tenant(t, tenants.KindEnterprise, tc.city)
			record(t, k, inst, 3)
			cp1 := checkpoint(t, k, inst)
			record(t, k, inst, 1)
			cp2 := checkpoint(t, k, inst)
			record(t, k, inst, 3)
			cp3 := checkpoint(t, k, inst)
			dispatch(t, ov)

			res := verify(t, k, inst)
			want := &audit.Anchor{Seq: cp3.Seq, Head: cp3.Head, SignedAt: cp3.SignedAt, KID: key.KID(), Source: "regulator:" + reg.Tenant.Slug}
			if !res.OK || res.Anchor == nil || *res.Anchor != *want {
				t.Fatalf("intact chain: %+v, anchor %+v, want %+v", res, res.Anchor, want)
			}

			wantBad := cp2.Seq // the rewritten entry is the one cp2 signed; cp1 still agrees
			if tc.truncate {
				rewrite(t, k.DB, inst.Tenant.ID, cp2.Seq, true)
				wantBad = cp2.Seq + 1 // the first removed entry, vouched for by cp3
			} else {
				rewrite(t, k.DB, inst.Tenant.ID, cp2.Seq, false)
			}
			if old := chainOnly(t, k, inst.Tenant.ID); !old.OK {
				t.Fatalf("the rewrite does not even pass the chain check: %+v", old)
			}
			res = verify(t, k, inst)
			if res.OK || res.FirstBadSeq == nil || *res.FirstBadSeq != wantBad {
				t.Fatalf("rewritten chain: %+v, want first bad seq %d", res, wantBad)
			}
			anchorSeq := cp1.Seq
			if tc.truncate {
				anchorSeq = cp2.Seq
			}
			if res.Anchor == nil || res.Anchor.Seq != anchorSeq {
				t.Fatalf("anchor of the rewritten chain %+v, want the checkpoint of entry %d", res.Anchor, anchorSeq)
			}
			if !strings.Contains(res.Reason, "checkpoint") {
				t.Fatalf("reason %q does not name the checkpoint", res.Reason)
			}
			// The platform does not sign the rewritten chain.
			if _, _, err := k.Server.Audit.Checkpoint(inst.Ctx(context.Background())); !errors.Is(err, audit.ErrChainRewritten) {
				t.Fatalf("checkpoint of a rewritten chain: %v", err)
			}
		})
	}
}

// TestCheckpointSignature: a checkpoint verifies with the key published at
// /.well-known/skillcert/audit-keys, offline, and fails when any signed byte changes.
func TestCheckpointSignature(t *testing.T) {
	k := testkit.New(t)
	inst := k.Tenant(t, tenants.KindSchool, "440106")
	cp := checkpoint(t, k, inst)

	res := k.Do(t, "GET", "/.well-known/skillcert/audit-keys", "", nil).Want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/jwk-set+json" {
		t.Fatalf("content type %q", ct)
	}
	var set credential.JWKSet
	res.Decode(t, &set)
	if len(set.Keys) != 1 || set.Keys[0].Kid != cp.KID {
		t.Fatalf("published keys %+v, checkpoint kid %s", set.Keys, cp.KID)
	}
	pub, err := set.Keys[0].PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	// What the regulator receives is the JSON payload of the report.
	var text string
	if err := k.DB.NewRaw("SELECT payload::text FROM report_outbox WHERE tenant_id = ? AND kind = ?", inst.Tenant.ID,
		string(reports.AuditCheckpoint)).Scan(context.Background(), &text); err != nil {
		t.Fatal(err)
	}
	payload := []byte(text)
	var got audit.Checkpoint
	if err := json.Unmarshal(payload, &got); err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(pub); err != nil {
		t.Fatalf("reported checkpoint does not verify: %v", err)
	}
	if got.TenantID != inst.Tenant.ID || got.Seq != cp.Seq || got.Head != cp.Head || !got.SignedAt.Equal(cp.SignedAt) {
		t.Fatalf("reported %+v, made %+v", got, cp)
	}
	var raw map[string]any
	_ = json.Unmarshal(payload, &raw)
	if s, _ := raw["signed_at"].(string); !strings.Contains(string(got.SignedBytes()), "\nsigned_at:"+s+"\n") {
		t.Fatalf("signed_at %q in the payload is not the signed string:\n%s", s, got.SignedBytes())
	}

	sig, _ := base64.RawURLEncoding.DecodeString(got.Signature)
	sig[10] ^= 1
	for name, change := range map[string]func(c *audit.Checkpoint){
		"tenant":    func(c *audit.Checkpoint) { c.TenantID = uuid.New() },
		"seq":       func(c *audit.Checkpoint) { c.Seq++ },
		"head":      func(c *audit.Checkpoint) { c.Head = strings.Repeat("0", 63) + "1" },
		"signed at": func(c *audit.Checkpoint) { c.SignedAt = c.SignedAt.Add(time.Microsecond) },
		"signature": func(c *audit.Checkpoint) { c.Signature = base64.RawURLEncoding.EncodeToString(sig) },
	} {
		t.Run(name, func(t *testing.T) {
			c := got
			change(&c)
			if err := c.Verify(pub); err == nil {
				t.Fatal("an altered checkpoint verifies")
			}
		})
	}
}

// TestSignedBytes pins the documented byte string a checkpoint's signature covers.
func TestSignedBytes(t *testing.T) {
	c := audit.Checkpoint{TenantID: uuid.MustParse("0b6f3a4e-8f0e-4c6b-9a51-6f1d2c3b4a59"), Seq: 42,
		Head:     "5f2b6c0e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c",
		SignedAt: time.Date(2026, 11, 24, 8, 30, 0, 120000000, time.FixedZone("CST", 8*3600))}
	want := "skillcert-audit-checkpoint-v1\n" +
		"tenant_id:0b6f3a4e-8f0e-4c6b-9a51-6f1d2c3b4a59\n" +
		"seq:42\n" +
		"head:5f2b6c0e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c\n" +
		"signed_at:2026-11-24T00:30:00.120000Z\n"
	if got := string(c.SignedBytes()); got != want {
		t.Fatalf("signed bytes\n%q\nwant\n%q", got, want)
	}
}

// sink is a regulator's external system: it keeps what it accepts.
type sink struct {
	mu  sync.Mutex
	got []delivery.Delivery
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var d delivery.Delivery
	if err := json.Unmarshal(body, &d); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.got = append(s.got, d)
	s.mu.Unlock()
}

func (s *sink) deliveries() []delivery.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery.Delivery(nil), s.got...)
}

// TestCheckpointFollowsEveryReport: a report marks its institution; the next checkpoint run signs its
// head, in the outbox right behind the report; oversight copies both into the regulator's report store
// and POSTs both, in order, to its external system, where the checkpoint verifies with the published
// key; and the institution's verify is anchored to that copy.
func TestCheckpointFollowsEveryReport(t *testing.T) {
	k := testkit.New(t)
	ov := overseer(t, k)
	reg := k.Tenant(t, tenants.KindRegulator, "320000")
	inst := k.Tenant(t, tenants.KindEnterprise, "320102")
	snk := &sink{}
	srv := httptest.NewServer(snk)
	defer srv.Close()
	if _, err := ov.Delivery.SetEndpoint(reg.Ctx(context.Background()), delivery.EndpointInput{URL: srv.URL, Secret: "a-secret-of-the-regulator-system"}); err != nil {
		t.Fatal(err)
	}
	// A change and its report, audited in the same transaction, as the reporting modules do.
	var reportID uuid.UUID
	err := tenants.WithTx(inst.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) (err error) {
		if err := audit.Record(ctx, tx, audit.Event{Action: "certificate.issue", TargetType: "certificate", TargetID: "C-1"}); err != nil {
			return err
		}
		reportID, err = reports.Emit(ctx, tx, reports.CertificateIssued, "certificate", "C-1", map[string]any{"number": "C-1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	head := verify(t, k, inst)

	due := func() int {
		n, err := k.DB.NewSelect().Table("audit_checkpoint_due").Where("tenant_id = ?", inst.Tenant.ID).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	if due() != 1 {
		t.Fatal("the report did not mark its institution for a checkpoint")
	}
	if _, err := k.Server.Audit.CheckpointReported(context.Background()); err != nil {
		t.Fatal(err)
	}
	if due() != 0 {
		t.Fatal("the mark outlived the checkpoint")
	}
	var kinds []string
	if err := k.DB.NewSelect().Table("report_outbox").Column("kind").Where("tenant_id = ?", inst.Tenant.ID).
		OrderExpr("seq").Scan(context.Background(), &kinds); err != nil {
		t.Fatal(err)
	}
	if strings.Join(kinds, ",") != "certificate.issued,audit.checkpoint" {
		t.Fatalf("outbox of the institution: %v", kinds)
	}
	// A checkpoint is not itself a report that calls for another one, and it appends no audit entry.
	if due() != 0 {
		t.Fatal("the checkpoint marked its institution again")
	}
	if after := verify(t, k, inst); after.Entries != head.Entries || after.Head != head.Head {
		t.Fatalf("making a checkpoint moved the head: %+v → %+v", head, after)
	}

	dispatch(t, ov)
	var page struct {
		Items []inbox.Report `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/oversight/reports?kind=audit.checkpoint&institution_id="+inst.Tenant.ID.String(), reg.Admin, nil).
		Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) != 1 {
		t.Fatalf("regulator's store holds %d checkpoints of the institution", len(page.Items))
	}
	key, err := k.Server.Audit.CheckpointKey()
	if err != nil {
		t.Fatal(err)
	}
	stored := page.Items[0]
	var cp audit.Checkpoint
	if err := json.Unmarshal(stored.Payload, &cp); err != nil || cp.Verify(key.Public()) != nil || cp.Head != head.Head || cp.Seq != head.Entries {
		t.Fatalf("stored checkpoint %s: %v", stored.Payload, err)
	}

	ctx := reg.Ctx(context.Background())
	deadline := time.Now().Add(20 * time.Second)
	for len(snk.deliveries()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d of 2 reports", len(snk.deliveries()))
		}
		if _, err := ov.Delivery.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := snk.deliveries()
	if got[0].ID != reportID || got[1].Kind != string(reports.AuditCheckpoint) || got[1].ID != stored.ID {
		t.Fatalf("delivered %s %s then %s %s", got[0].Kind, got[0].ID, got[1].Kind, got[1].ID)
	}
	var sent audit.Checkpoint
	if err := json.Unmarshal(got[1].Payload, &sent); err != nil || sent.Verify(key.Public()) != nil || sent != cp {
		t.Fatalf("checkpoint as POSTed %s: %v", got[1].Payload, err)
	}

	res := verify(t, k, inst)
	if !res.OK || res.Anchor == nil || res.Anchor.Seq != cp.Seq || res.Anchor.Source != "regulator:"+reg.Tenant.Slug {
		t.Fatalf("verify after delivery: %+v anchor %+v", res, res.Anchor)
	}
	// A copy altered in the regulator's store (by someone without the key) is tamper evidence too.
	conn, err := k.DB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"SET session_replication_role = replica",
		"UPDATE oversight_reports SET payload = jsonb_set(payload, '{head}', to_jsonb(repeat('0', 64))) WHERE id = '" + stored.ID.String() + "'",
		"SET session_replication_role = DEFAULT"} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	if res := verify(t, k, inst); res.OK || !strings.Contains(res.Reason, "does not verify") {
		t.Fatalf("verify with an altered checkpoint copy: %+v", res)
	}
}

// TestHourlyCheckpointsFollowMovedHeads: the hourly run signs each institution whose head moved, once;
// regulators are not checkpointed.
func TestHourlyCheckpointsFollowMovedHeads(t *testing.T) {
	k := testkit.New(t)
	ctx := context.Background()
	inst := k.Tenant(t, tenants.KindSocialOrg, "510104")
	reg := k.Tenant(t, tenants.KindRegulator, "510000")
	count := func(id uuid.UUID) (n int, seq int64) {
		t.Helper()
		if err := k.DB.NewRaw("SELECT count(*), coalesce(max(seq), 0) FROM audit_checkpoints WHERE tenant_id = ?", id).Scan(ctx, &n, &seq); err != nil {
			t.Fatal(err)
		}
		return n, seq
	}
	run := func() {
		t.Helper()
		if _, err := k.Server.Audit.CheckpointMoved(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run()
	n, seq := count(inst.Tenant.ID)
	if head := verify(t, k, inst); n != 1 || seq != head.Entries {
		t.Fatalf("after the first run: %d checkpoints, last of entry %d; head %+v", n, seq, head)
	}
	run()
	if n, _ := count(inst.Tenant.ID); n != 1 {
		t.Fatalf("a head that did not move was signed again (%d checkpoints)", n)
	}
	record(t, k, inst, 2)
	run()
	n, seq = count(inst.Tenant.ID)
	if head := verify(t, k, inst); n != 2 || seq != head.Entries {
		t.Fatalf("after the head moved: %d checkpoints, last of entry %d; head %+v", n, seq, head)
	}
	if n, _ := count(reg.Tenant.ID); n != 0 {
		t.Fatalf("a regulator was checkpointed %d times", n)
	}
	if _, _, err := k.Server.Audit.Checkpoint(reg.Ctx(ctx)); !errors.Is(err, tenants.ErrNotInstitution) {
		t.Fatalf("checkpoint of a regulator: %v", err)
	}
}

// TestUnanchoredVerifyKeepsItsShape: a chain without checkpoints answers exactly as before.
func TestUnanchoredVerifyKeepsItsShape(t *testing.T) {
	k := testkit.New(t)
	inst := k.Tenant(t, tenants.KindEnterprise, "110105")
	var body map[string]json.RawMessage
	k.Do(t, "GET", "/api/v1/audit/verify", inst.Admin, nil).Want(t, http.StatusOK).Decode(t, &body)
	if len(body) != 3 || body["ok"] == nil || body["entries"] == nil || body["head"] == nil {
		t.Fatalf("verify body %v", body)
	}
}

// TestReportStoreSchema pins the columns of oversight's report store (and the outbox) that anchoring
// reads and triggers on: a change there must change modules/audit too.
func TestReportStoreSchema(t *testing.T) {
	k := testkit.New(t)
	want := map[string]map[string]string{
		"oversight_reports": {"tenant_id": "uuid", "id": "uuid", "institution_id": "uuid", "kind": "text",
			"payload": "jsonb", "reported_at": "timestamp with time zone"},
		"report_outbox": {"seq": "bigint", "tenant_id": "uuid", "kind": "text"},
	}
	for table, cols := range want {
		var rows []struct {
			Name string `bun:"column_name"`
			Type string `bun:"data_type"`
		}
		if err := k.DB.NewRaw("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", table).
			Scan(context.Background(), &rows); err != nil {
			t.Fatal(err)
		}
		have := map[string]string{}
		for _, r := range rows {
			have[r.Name] = r.Type
		}
		for c, typ := range cols {
			if have[c] != typ {
				t.Errorf("%s.%s is %q, want %q", table, c, have[c], typ)
			}
		}
	}
}
