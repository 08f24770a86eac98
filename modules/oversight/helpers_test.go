package oversight_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/delivery"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testSecret is the platform secret of services the tests build themselves.
var testSecret = func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}()

// newService builds an oversight service on the kit's database with test-friendly timings.
func newService(tb testing.TB, k *testkit.Kit, mod func(*oversight.Options)) (*oversight.Service, *prometheus.Registry) {
	tb.Helper()
	return newServiceWith(tb, k, oversight.Deps{}, mod)
}

// newServiceWith is newService with deps (the kit's directory unless given).
func newServiceWith(tb testing.TB, k *testkit.Kit, deps oversight.Deps, mod func(*oversight.Options)) (*oversight.Service, *prometheus.Registry) {
	tb.Helper()
	if deps.Directory == nil {
		deps.Directory = k.Server.Directory
	}
	reg := prometheus.NewRegistry()
	opts := oversight.Options{
		AllowPrivate:  true,
		Secret:        testSecret,
		Backoff:       oversight.Backoff{Base: 5 * time.Millisecond, Max: 40 * time.Millisecond},
		DeadAfter:     time.Hour,
		HTTPTimeout:   2 * time.Second,
		DeliverBudget: 5 * time.Second,
		Registerer:    reg,
		Log:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if mod != nil {
		mod(&opts)
	}
	svc, err := oversight.New(k.DB, deps, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return svc, reg
}

// emit writes a report of org to the outbox, as a module would in the transaction of a change.
func emit(tb testing.TB, k *testkit.Kit, org *testkit.Org, kind reports.Kind, subjectID string, payload any) uuid.UUID {
	tb.Helper()
	var id uuid.UUID
	err := tenants.WithTx(org.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) (err error) {
		id, err = reports.Emit(ctx, tx, kind, "test", subjectID, payload)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// dispatch runs the dispatcher until the outbox is empty.
func dispatch(tb testing.TB, svc *oversight.Service) {
	tb.Helper()
	for i := 0; i < 100; i++ {
		r, err := svc.Inbox.Dispatch(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if r.Events == 0 && r.Skipped == 0 {
			return
		}
	}
	tb.Fatal("dispatch did not drain the outbox")
}

// regCtx is a service-level context acting as a user of the regulator org with the given roles.
func regCtx(org *testkit.Org) context.Context {
	return org.Ctx(context.Background())
}

// received is what a test endpoint accepted.
type received struct {
	key       string
	report    delivery.Delivery
	signature bool
}

// sink records accepted deliveries; it answers 503 to the first fail requests.
type sink struct {
	mu       sync.Mutex
	secret   []byte
	fail     int
	failAll  bool
	attempts int
	got      []received
}

func (s *sink) accepted() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
