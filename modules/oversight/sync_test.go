package oversight_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/delivery"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.failAll || s.attempts <= s.fail {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var d delivery.Delivery
	_ = json.Unmarshal(body, &d)
	s.got = append(s.got, received{key: r.Header.Get("Idempotency-Key"), report: d,
		signature: delivery.VerifySignature(body, s.secret, r.Header.Get("X-SkillCert-Signature"))})
	w.WriteHeader(http.StatusOK)
}

const sinkSecret = "a-secret-of-the-regulator-system"

// deliverUntil runs delivery until done reports true or the time is up.
func deliverUntil(t *testing.T, svc *oversight.Service, ctx context.Context, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatal("deliveries did not complete in time")
		}
		if _, err := svc.Delivery.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestDeliveryThroughFailures is the acceptance test: an endpoint that answers 503 for a
// while, then 200, receives every report exactly once per Idempotency-Key, in order per institution,
// with a signature that verifies.
func TestDeliveryThroughFailures(t *testing.T) {
	k := testkit.New(t)
	svc, _ := newService(t, k, nil)
	reg := k.Tenant(t, tenants.KindRegulator, "320000")
	a := k.Tenant(t, tenants.KindEnterprise, "320102")
	b := k.Tenant(t, tenants.KindSocialOrg, "320583")
	snk := &sink{secret: []byte(sinkSecret), fail: 25}
	srv := httptest.NewServer(snk)
	defer srv.Close()
	ctx := regCtx(reg)
	if _, err := svc.Delivery.SetEndpoint(ctx, delivery.EndpointInput{URL: srv.URL + "/skillcert", Secret: sinkSecret}); err != nil {
		t.Fatal(err)
	}
	want := map[uuid.UUID][]uuid.UUID{}
	for i := 0; i < 12; i++ {
		for _, org := range []*testkit.Org{a, b} {
			id := emit(t, k, org, reports.CertificateIssued, uuid.NewString(), map[string]any{"n": i})
			want[org.Tenant.ID] = append(want[org.Tenant.ID], id)
		}
	}
	dispatch(t, svc)
	deliverUntil(t, svc, ctx, func() bool { return len(snk.accepted()) >= 24 })

	got := map[uuid.UUID][]uuid.UUID{}
	keys := map[string]int{}
	for _, r := range snk.accepted() {
		if !r.signature {
			t.Fatalf("signature of %s does not verify", r.key)
		}
		if r.key != r.report.ID.String() {
			t.Fatalf("Idempotency-Key %s for report %s", r.key, r.report.ID)
		}
		if r.report.RegulatorID != reg.Tenant.ID {
			t.Fatalf("delivery names regulator %s", r.report.RegulatorID)
		}
		keys[r.key]++
		got[r.report.InstitutionID] = append(got[r.report.InstitutionID], r.report.ID)
	}
	for key, n := range keys {
		if n != 1 {
			t.Fatalf("report %s accepted %d times", key, n)
		}
	}
	for inst, ids := range want {
		if len(got[inst]) != len(ids) {
			t.Fatalf("institution %s: %d delivered, want %d", inst, len(got[inst]), len(ids))
		}
		for i := range ids {
			if got[inst][i] != ids[i] {
				t.Fatalf("institution %s: delivery %d is %s, want %s (out of order)", inst, i, got[inst][i], ids[i])
			}
		}
	}
	st, err := svc.Delivery.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 0 || st.Delivered != 24 || st.Failures == 0 || st.LastError == "" || st.DeadLetters != 0 {
		t.Fatalf("state after recovery = %+v", st)
	}
	if snk.attempts <= 24 {
		t.Fatalf("the endpoint was never failing (%d attempts)", snk.attempts)
	}

	// Replay sends everything again, in the same order.
	n, err := svc.Delivery.Replay(ctx, time.Now().Add(-time.Hour))
	if err != nil || n != 24 {
		t.Fatalf("replay queued %d, %v", n, err)
	}
	deliverUntil(t, svc, ctx, func() bool { return len(snk.accepted()) >= 48 })
	again := snk.accepted()[24:]
	var replayed []uuid.UUID
	for _, r := range again {
		if r.report.InstitutionID == a.Tenant.ID {
			replayed = append(replayed, r.report.ID)
		}
	}
	if len(replayed) != len(want[a.Tenant.ID]) || replayed[0] != want[a.Tenant.ID][0] || replayed[len(replayed)-1] != want[a.Tenant.ID][len(replayed)-1] {
		t.Fatalf("replay delivered %v, want %v", replayed, want[a.Tenant.ID])
	}
}

// TestOrderHoldsWhileHeadFails shows that report n+1 of an institution is not sent while n fails,
// and that another institution's stream is not held up by it.
func TestOrderHoldsWhileHeadFails(t *testing.T) {
	k := testkit.New(t)
	svc, _ := newService(t, k, func(o *oversight.Options) { o.Backoff = oversight.Backoff{Base: time.Hour, Max: time.Hour} })
	reg := k.Tenant(t, tenants.KindRegulator, "330000")
	a := k.Tenant(t, tenants.KindEnterprise, "330106")
	var target uuid.UUID
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Idempotency-Key") == target.String() {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	ctx := regCtx(reg)
	if _, err := svc.Delivery.SetEndpoint(ctx, delivery.EndpointInput{URL: srv.URL, Secret: sinkSecret}); err != nil {
		t.Fatal(err)
	}
	first := emit(t, k, a, reports.BatchPublished, "b1", map[string]any{})
	target = emit(t, k, a, reports.BatchPublished, "b2", map[string]any{})
	emit(t, k, a, reports.BatchPublished, "b3", map[string]any{})
	dispatch(t, svc)
	res, err := svc.Delivery.Deliver(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Delivered != 1 || res.Failed != 1 {
		t.Fatalf("deliver = %+v, want the first delivered and the second failed", res)
	}
	st, _ := svc.Delivery.State(ctx)
	if st.Pending != 2 || len(st.Streams) != 1 || st.Streams[0].State != "retrying" || st.FailingStreams != 1 {
		t.Fatalf("state = %+v", st)
	}
	// Nothing is due during the backoff: the third report waits behind the second.
	res, err = svc.Delivery.Deliver(ctx)
	if err != nil || res.Delivered != 0 || res.Failed != 0 {
		t.Fatalf("deliver during backoff = %+v, %v", res, err)
	}
	_ = first
}

func TestDeadLetterPauseResume(t *testing.T) {
	k := testkit.New(t)
	svc, metrics := newService(t, k, func(o *oversight.Options) { o.DeadAfter = 50 * time.Millisecond })
	reg := k.Tenant(t, tenants.KindRegulator, "340000")
	a := k.Tenant(t, tenants.KindSchool, "340104")
	snk := &sink{secret: []byte(sinkSecret), failAll: true}
	srv := httptest.NewServer(snk)
	defer srv.Close()
	ctx := regCtx(reg)
	if _, err := svc.Delivery.SetEndpoint(ctx, delivery.EndpointInput{URL: srv.URL, Secret: sinkSecret}); err != nil {
		t.Fatal(err)
	}
	emit(t, k, a, reports.CertificateIssued, "c1", map[string]any{})
	emit(t, k, a, reports.CertificateIssued, "c2", map[string]any{})
	dispatch(t, svc)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := svc.Delivery.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.DeadLetters == 1 {
			if st.Alert == "" || st.Streams[0].State != "dead" || st.Streams[0].DeadReportID == nil || st.Pending != 2 {
				t.Fatalf("dead-letter state = %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never dead-lettered: %+v", st)
		}
		if _, err := svc.Delivery.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v := gathered(t, metrics, "skillcert_sync_dead_letters_total"); v != 1 {
		t.Fatalf("skillcert_sync_dead_letters_total = %v", v)
	}
	// A dead stream is not retried...
	before := snk.attempts
	if _, err := svc.Delivery.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if snk.attempts != before {
		t.Fatal("a dead-lettered stream was retried")
	}
	// ... until resumed; paused, nothing goes out.
	snk.mu.Lock()
	snk.failAll = false
	snk.mu.Unlock()
	if _, err := svc.Delivery.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	st, _ := svc.Delivery.Resume(ctx)
	if st.DeadLetters != 0 || st.Paused {
		t.Fatalf("after resume: %+v", st)
	}
	if _, err := svc.Delivery.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	if r, _ := svc.Delivery.Deliver(ctx); r.Delivered != 0 {
		t.Fatal("delivered while paused")
	}
	if _, err := svc.Delivery.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	deliverUntil(t, svc, ctx, func() bool { return len(snk.accepted()) == 2 })
}

// gathered returns the value of a counter or gauge named name in reg (0 when absent).
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			var v float64
			for _, m := range mf.GetMetric() {
				v += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
			return v
		}
	}
	return 0
}

func TestPrivateTargetsRefused(t *testing.T) {
	k := testkit.New(t)
	strict, _ := newService(t, k, func(o *oversight.Options) { o.AllowPrivate = false })
	lax, _ := newService(t, k, nil)
	reg := k.Tenant(t, tenants.KindRegulator, "350000")
	a := k.Tenant(t, tenants.KindEnterprise, "350102")
	ctx := regCtx(reg)
	for _, u := range []string{
		"https://127.0.0.1/x", "https://localhost:8443/x", "https://10.1.2.3/", "https://192.168.1.1/", "https://172.16.0.9/",
		"https://169.254.169.254/latest/meta-data", "https://[::1]/", "https://[fe80::1]/", "https://100.64.0.1/", "https://0.0.0.0/",
		"https://[::ffff:127.0.0.1]/", "https://[::127.0.0.1]/", "https://[64:ff9b::10.0.0.1]/", "https://[2002:a00:1::1]/",
	} {
		_, err := strict.Delivery.SetEndpoint(ctx, delivery.EndpointInput{URL: u, Secret: sinkSecret})
		if platform.CodeOf(err) != "private_target" {
			t.Errorf("%s: err = %v, want private_target", u, err)
		}
	}
	if _, err := strict.Delivery.SetEndpoint(ctx, delivery.EndpointInput{URL: "http://203.0.114.9/", Secret: sinkSecret}); platform.CodeOf(err) != "validation_failed" {
		t.Errorf("plain http accepted: %v", err)
	}

	// Configured while allowed, the loopback target is refused again at delivery time: the address
	// is checked where the connection is made.
	snk := &sink{secret: []byte(sinkSecret)}
	srv := httptest.NewServer(snk)
	defer srv.Close()
	if _, err := lax.Delivery.SetEndpoint(ctx, delivery.EndpointInput{URL: srv.URL, Secret: sinkSecret}); err != nil {
		t.Fatal(err)
	}
	emit(t, k, a, reports.BatchPublished, "b", map[string]any{})
	dispatch(t, strict)
	res, err := strict.Delivery.Deliver(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := strict.Delivery.State(ctx)
	if res.Delivered != 0 || res.Failed < 1 || snk.attempts != 0 || !strings.Contains(st.LastError, "refusing a private") {
		t.Fatalf("private target reached at delivery: %+v, attempts %d, state %+v", res, snk.attempts, st)
	}
}

func TestBlockedAddresses(t *testing.T) {
	cases := []struct {
		addr    string
		blocked bool
	}{
		{"127.0.0.1", true}, {"10.0.0.1", true}, {"172.31.255.255", true}, {"192.168.0.1", true}, {"169.254.1.1", true},
		{"100.64.1.1", true}, {"0.0.0.0", true}, {"224.0.0.1", true}, {"::1", true}, {"fe80::1", true}, {"fc00::1", true},
		{"::ffff:10.0.0.1", true}, {"64:ff9b::a00:1", true}, {"198.18.0.1", true},
		{"8.8.8.8", false}, {"114.114.114.114", false}, {"2400:3200::1", false}, {"203.119.1.1", false},
	}
	for _, c := range cases {
		if got := delivery.BlockedAddr(netip.MustParseAddr(c.addr)); got != c.blocked {
			t.Errorf("%s: blocked = %v, want %v", c.addr, got, c.blocked)
		}
	}
}
