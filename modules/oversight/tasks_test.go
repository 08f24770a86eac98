package oversight_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/delivery"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestQueueDeliversReports runs the real job queue: the dispatch task moves reports into the store
// and kicks the delivery task, which sends them to the regulator's endpoint.
func TestQueueDeliversReports(t *testing.T) {
	k := testkit.New(t)
	redis, err := jobs.RedisFromURL(dbtest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := jobs.NewClient(redis)
	defer client.Close()
	svc, _ := newServiceWith(t, k, oversight.Deps{Jobs: client}, nil)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	js, err := jobs.NewServer(redis, jobs.Config{Concurrency: 4, PollInterval: 50 * time.Millisecond, Scope: k.Server.TaskScope,
		Logger: quiet, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Tasks.Register(js, nil); err != nil {
		t.Fatal(err)
	}
	if err := js.Start(); err != nil {
		t.Fatal(err)
	}
	defer js.Shutdown()

	reg := k.Tenant(t, tenants.KindRegulator, "620102")
	inst := k.Tenant(t, tenants.KindEnterprise, "620102")
	snk := &sink{secret: []byte(sinkSecret), fail: 2}
	srv := httptest.NewServer(snk)
	defer srv.Close()
	if _, err := svc.Delivery.SetEndpoint(regCtx(reg), delivery.EndpointInput{URL: srv.URL, Secret: sinkSecret}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		emit(t, k, inst, reports.BatchPublished, "b", map[string]any{"i": i})
	}
	if err := client.Enqueue(context.Background(), oversight.TaskDispatch, uuid.Nil, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(snk.accepted()) < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("the queue delivered %d of 5 reports", len(snk.accepted()))
		}
		// Retries after the endpoint's failures are due at once (5 ms backoff); the periodic
		// dispatch would kick them in production.
		for _, id := range mustDue(t, svc) {
			(&kicker{client}).KickDelivery(context.Background(), id)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i, r := range snk.accepted() {
		var p map[string]float64
		_ = json.Unmarshal(r.report.Payload, &p)
		if int(p["i"]) != i || !r.signature {
			t.Fatalf("delivery %d = %+v", i, r)
		}
	}
}

type kicker struct{ c *jobs.Client }

func (k *kicker) KickDelivery(ctx context.Context, id uuid.UUID) {
	_ = k.c.Enqueue(ctx, oversight.TaskDeliver, id, nil, jobs.TaskID("deliver"))
}

func mustDue(t *testing.T, svc *oversight.Service) []uuid.UUID {
	t.Helper()
	ids, err := svc.Delivery.DueRegulators(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSyncEndpointAPIAndReplayCommand(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "210102", "inspector", "viewer")
	put := map[string]any{"url": "https://203.0.114.9/skillcert/reports", "secret": sinkSecret}
	k.Do(t, "PUT", "/api/v1/oversight/sync-endpoint", reg.Tokens["inspector"], put).WantProblem(t, http.StatusForbidden, "forbidden")
	var st delivery.SyncState
	k.Do(t, "GET", "/api/v1/oversight/sync-endpoint", reg.Tokens["viewer"], nil).Want(t, http.StatusOK).Decode(t, &st)
	if st.Configured {
		t.Fatalf("state before configuration: %+v", st)
	}
	// The server runs without SKILLCERT_SYNC_ALLOW_PRIVATE.
	k.Do(t, "PUT", "/api/v1/oversight/sync-endpoint", reg.Admin, map[string]any{"url": "https://127.0.0.1:9/x", "secret": sinkSecret}).
		WantProblem(t, http.StatusUnprocessableEntity, "private_target")
	k.Do(t, "PUT", "/api/v1/oversight/sync-endpoint", reg.Admin, map[string]any{"url": "https://203.0.114.9/", "secret": "short"}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	res := k.Do(t, "PUT", "/api/v1/oversight/sync-endpoint", reg.Admin, put).Want(t, http.StatusOK)
	if strings.Contains(string(res.Body), sinkSecret) {
		t.Fatal("the secret is shown back")
	}
	k.Do(t, "POST", "/api/v1/oversight/sync-endpoint/pause", reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &st)
	if !st.Configured || !st.Paused || st.URL != put["url"] {
		t.Fatalf("paused state %+v", st)
	}
	k.Do(t, "POST", "/api/v1/oversight/sync-endpoint/resume", reg.Tokens["viewer"], nil).WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "POST", "/api/v1/oversight/sync-endpoint/resume", reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &st)
	if st.Paused {
		t.Fatal("still paused")
	}
	k.Do(t, "DELETE", "/api/v1/oversight/sync-endpoint", reg.Admin, nil).Want(t, http.StatusNoContent)
	k.Do(t, "DELETE", "/api/v1/oversight/sync-endpoint", reg.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")

	// skillcert sync replay --since: queues again what the regulator received since then.
	svc, _ := newService(t, k, nil)
	inst := k.Tenant(t, tenants.KindEnterprise, "210102")
	snk := &sink{secret: []byte(sinkSecret)}
	srv := httptest.NewServer(snk)
	defer srv.Close()
	ctx := regCtx(reg)
	if _, err := svc.Delivery.SetEndpoint(ctx, delivery.EndpointInput{URL: srv.URL, Secret: sinkSecret}); err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-time.Minute)
	for i := 0; i < 3; i++ {
		emit(t, k, inst, reports.CertificateIssued, "c", map[string]any{"i": i})
	}
	dispatch(t, svc)
	deliverUntil(t, svc, ctx, func() bool { return len(snk.accepted()) == 3 })
	var out bytes.Buffer
	if err := svc.ReplayCommand(context.Background(), []string{"--since", since.Format(time.RFC3339), "--regulator", reg.Tenant.Slug}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), reg.Tenant.Slug+": 3 report(s) queued") {
		t.Fatalf("replay printed %q", out.String())
	}
	deliverUntil(t, svc, ctx, func() bool { return len(snk.accepted()) == 6 })
	for _, args := range [][]string{{}, {"--since", "yesterday"}, {"--since", since.Format(time.RFC3339), "--regulator", "no-such-bureau"}} {
		if err := svc.ReplayCommand(context.Background(), args, io.Discard); err == nil {
			t.Errorf("replay %v succeeded", args)
		}
	}
}
