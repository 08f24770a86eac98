package oversight

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/oversight/crosscheck"
	"github.com/skillcert/skillcert/modules/oversight/decisions"
	"github.com/skillcert/skillcert/modules/oversight/delivery"
	"github.com/skillcert/skillcert/modules/oversight/facts"
	"github.com/skillcert/skillcert/modules/oversight/inbox"
	"github.com/skillcert/skillcert/modules/oversight/institutions"
	"github.com/skillcert/skillcert/modules/oversight/reconcile"
	"github.com/skillcert/skillcert/modules/oversight/stats"
	"github.com/skillcert/skillcert/modules/oversight/supervision"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Directory is what oversight needs of the tenant register (satisfied by *directory.Service).
type Directory interface {
	// Jurisdiction lists the institutions a regulator oversees.
	Jurisdiction(ctx context.Context, regulator tenants.Scope) ([]uuid.UUID, error)
	// ByID and BySlug resolve a tenant; an unknown one is a not_found error.
	ByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error)
	BySlug(ctx context.Context, slug string) (tenants.Tenant, error)
	// SetStatus changes an institution's status inside tx (suspend/reinstate), audited in its log.
	SetStatus(ctx context.Context, tx bun.Tx, id uuid.UUID, status tenants.Status, reason string) error
}

// Revoker revokes an institution's certificate on a regulator's decision, inside the regulator's
// transaction (satisfied by *certificates.Service).
type Revoker = decisions.Revoker

// Deps are the services oversight calls across modules, each through an interface it owns.
type Deps struct {
	// Directory is the tenant register (required).
	Directory Directory
	// Revoker revokes certificates on invalidate_certificate decisions; nil: those decisions answer 503.
	Revoker Revoker
	// Chains checks institutions' audit chains for the regulator's drill-down (audit.Service); nil:
	// that check answers 503.
	Chains institutions.Chains
	// Jobs is the job queue: deliveries start right after reports arrive, and the daily
	// reconciliation fans out per regulator. Nil: deliveries wait for the periodic tick.
	Jobs jobs.Enqueuer
}

// Backoff shapes the retries of a failing delivery (delivery.Backoff).
type Backoff = delivery.Backoff

// Options tune the module; zero fields take their defaults.
type Options struct {
	// AllowPrivate lets sync endpoints resolve to private, loopback and link-local addresses
	// (SKILLCERT_SYNC_ALLOW_PRIVATE; tests and labs only).
	AllowPrivate bool
	// Secret is the platform secret: it keys the person hash of the cross-institution checks and
	// seals sync secrets at rest. Wiring derives it from SKILLCERT_MASTER_KEY (see PlatformSecret).
	Secret []byte
	// Backoff of failing deliveries; default 2 s doubling up to 10 min.
	Backoff Backoff
	// DeadAfter is how long a report may keep failing before it is dead-lettered; default 24 h.
	DeadAfter time.Duration
	// HTTPTimeout bounds one delivery request; default 10 s.
	HTTPTimeout time.Duration
	// DeliverBudget bounds one delivery run (a task); default 25 s.
	DeliverBudget time.Duration
	// Registerer receives the sync metrics; nil: not registered.
	Registerer prometheus.Registerer
	// Log receives operational logs; default slog.Default().
	Log *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Service is the oversight module: the regulator's side of SkillCert, one service per concern.
type Service struct {
	// Institutions is the regulator's read-only view of the institutions in its jurisdiction.
	Institutions *institutions.Service
	// Inbox dispatches reports into the regulators' report stores and serves them.
	Inbox *inbox.Service
	// Delivery sends reports on to the regulators' external systems.
	Delivery *delivery.Service
	// Stats computes the statistics of a jurisdiction.
	Stats *stats.Service
	// Supervision keeps inspections, sampling, complaints and computes monitoring scores.
	Supervision *supervision.Service
	// Decisions records and applies regulators' decisions and the institutions' answers.
	Decisions *decisions.Service
	// CrossCheck runs the cross-institution checks and serves their flags.
	CrossCheck *crosscheck.Service
	// Reconcile compares holdings with reports and serves the differences.
	Reconcile *reconcile.Service
	// Tasks are the module's background tasks on the job queue (Deps.Jobs).
	Tasks *Tasks
}

// New returns the oversight module on db, calling across modules through deps.
func New(db *bun.DB, deps Deps, opts Options) (*Service, error) {
	if len(opts.Secret) < 16 {
		return nil, platform.E(platform.KindInternal, "no_secret", "oversight needs a platform secret of at least 16 bytes")
	}
	if deps.Directory == nil {
		return nil, platform.E(platform.KindInternal, "no_directory", "oversight needs the tenant register")
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	base := core.Base{DB: db, Dir: deps.Directory, Clock: opts.Now}
	dopts := delivery.Options{AllowPrivate: opts.AllowPrivate, SealKey: core.Derive(opts.Secret, "skillcert/oversight/sync-seal/v1"),
		Backoff: opts.Backoff, DeadAfter: opts.DeadAfter, HTTPTimeout: opts.HTTPTimeout, DeliverBudget: opts.DeliverBudget,
		Registerer: opts.Registerer, Log: opts.Log}
	tasks := &Tasks{enq: deps.Jobs, dir: deps.Directory, db: db, lease: dopts.Lease(), log: opts.Log}
	// Without a queue there is no one to kick: deliveries wait for the periodic tick.
	var kicker interface {
		KickDelivery(ctx context.Context, regulatorID uuid.UUID)
	}
	if deps.Jobs != nil {
		kicker = tasks
	}
	send, err := delivery.New(base, dopts, kicker)
	if err != nil {
		return nil, fmt.Errorf("oversight: %w", err)
	}
	keeper := facts.NewKeeper(core.Derive(opts.Secret, "skillcert/oversight/person-key/v1"))
	records := institutions.Records{}
	in := inbox.New(base, inbox.Deps{Tenants: deps.Directory, Facts: keeper, Outbound: send, Kicker: kicker})
	rec := reconcile.New(base, reconcile.Deps{Holdings: records, Log: opts.Log,
		Dispatch: func(ctx context.Context) error { _, err := in.Dispatch(ctx); return err }})
	sup := supervision.New(base, supervision.Deps{Tenants: deps.Directory, Supervisors: records, Differences: rec, Risks: records})
	s := &Service{
		Institutions: institutions.New(base, deps.Chains),
		Inbox:        in,
		Delivery:     send,
		Stats:        stats.New(base, sup),
		Supervision:  sup,
		Decisions:    decisions.New(base, decisions.Deps{Tenants: deps.Directory, Revoker: deps.Revoker}),
		CrossCheck:   crosscheck.New(base, crosscheck.Deps{Facts: keeper, Applications: records}),
		Reconcile:    rec,
		Tasks:        tasks,
	}
	tasks.svc = s
	return s, nil
}

// ReplayCommand runs `skillcert sync replay` (delivery.Service.ReplayCommand).
func (s *Service) ReplayCommand(ctx context.Context, args []string, stdout io.Writer) error {
	return s.Delivery.ReplayCommand(ctx, args, stdout)
}

// OptionsFromEnv reads the sync tuning an operator may set: SKILLCERT_SYNC_DEAD_AFTER (how long a
// report may keep failing before it is dead-lettered, default 24h), SKILLCERT_SYNC_BACKOFF_BASE
// (default 2s) and SKILLCERT_SYNC_BACKOFF_MAX (default 10m), as Go durations. Unset values keep the
// defaults; a malformed one is an error naming the variable.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var o Options
	for _, v := range []struct {
		name string
		dst  *time.Duration
	}{
		{"SKILLCERT_SYNC_DEAD_AFTER", &o.DeadAfter},
		{"SKILLCERT_SYNC_BACKOFF_BASE", &o.Backoff.Base},
		{"SKILLCERT_SYNC_BACKOFF_MAX", &o.Backoff.Max},
	} {
		raw := getenv(v.name)
		if raw == "" {
			continue
		}
		d, err := time.ParseDuration(raw)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("%s must be a positive duration like 24h, got %q", v.name, raw)
		}
		*v.dst = d
	}
	return o, nil
}
