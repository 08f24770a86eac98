package oversight

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/audit"
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
// transaction (satisfied by certificates.Service.RevokeForDecision).
type Revoker interface {
	RevokeForDecision(ctx context.Context, tx bun.Tx, institutionID uuid.UUID, number, reason string) error
}

// Kicker starts work soon instead of at the next tick (tasks.go implements it on the job queue).
type Kicker interface {
	// KickDelivery asks for a delivery run for the regulator.
	KickDelivery(ctx context.Context, regulatorID uuid.UUID)
}

// Backoff shapes the retries of a failing delivery: the n-th retry waits about Base·2ⁿ⁻¹, capped at
// Max, with "equal jitter" (a uniformly random half of it added to the other half), so that many
// streams failing together do not retry together.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
}

// Options tune the service; zero fields take their defaults.
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

func (o *Options) defaults() {
	if o.Backoff.Base <= 0 {
		o.Backoff.Base = 2 * time.Second
	}
	if o.Backoff.Max <= 0 {
		o.Backoff.Max = 10 * time.Minute
	}
	if o.DeadAfter <= 0 {
		o.DeadAfter = 24 * time.Hour
	}
	if o.HTTPTimeout <= 0 {
		o.HTTPTimeout = 10 * time.Second
	}
	if o.DeliverBudget <= 0 {
		o.DeliverBudget = 25 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Deps are the services oversight calls across modules, each through an interface it owns.
type Deps struct {
	// Directory is the tenant register (required).
	Directory Directory
	// Revoker revokes certificates on invalidate_certificate decisions; nil: those decisions answer 503.
	Revoker Revoker
	// Jobs is the job queue: deliveries start right after reports arrive, and the daily
	// reconciliation fans out per regulator. Nil: deliveries wait for the periodic tick.
	Jobs jobs.Enqueuer
}

// Service is the oversight module: the regulator's view, reports, supervision and decisions.
type Service struct {
	db      *bun.DB
	dir     Directory
	revoker Revoker
	records Records
	kicker  Kicker
	opts    Options
	client  *http.Client
	guard   *guard
	m       *metrics

	personKey []byte // HMAC key of person hashes
	sealKey   []byte // AES-256 key sealing sync secrets

	// Tasks are the module's background tasks on the job queue (Deps.Jobs).
	Tasks *Tasks
}

// New returns the oversight service on db, calling across modules through deps.
func New(db *bun.DB, deps Deps, opts Options) (*Service, error) {
	opts.defaults()
	if len(opts.Secret) < 16 {
		return nil, platform.E(platform.KindInternal, "no_secret", "oversight needs a platform secret of at least 16 bytes")
	}
	if deps.Directory == nil {
		return nil, platform.E(platform.KindInternal, "no_directory", "oversight needs the tenant register")
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, dir: deps.Directory, revoker: deps.Revoker, opts: opts, m: m,
		personKey: derive(opts.Secret, "skillcert/oversight/person-key/v1"),
		sealKey:   derive(opts.Secret, "skillcert/oversight/sync-seal/v1"),
		records:   sqlRecords{},
	}
	s.guard = newGuard(opts.AllowPrivate)
	s.client = newSyncClient(s.guard, opts.HTTPTimeout)
	s.Tasks = &Tasks{svc: s, enq: deps.Jobs, log: opts.Log}
	if deps.Jobs != nil {
		s.kicker = s.Tasks
	}
	return s, nil
}

func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// jurisdiction is a regulator's scope with the institutions it oversees.
type jurisdiction struct {
	regulator tenants.Scope
	ids       []uuid.UUID
	set       map[uuid.UUID]bool
}

func (j jurisdiction) has(id uuid.UUID) bool { return j.set[id] }

// require is 404 for an institution outside the jurisdiction: never reveal that it exists.
func (j jurisdiction) require(id uuid.UUID) error {
	if !j.set[id] {
		return ErrInstitutionNotFound
	}
	return nil
}

func (s *Service) jurisdictionOf(ctx context.Context) (jurisdiction, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return jurisdiction{}, err
	}
	ids, err := s.dir.Jurisdiction(ctx, scope)
	if err != nil {
		return jurisdiction{}, err
	}
	j := jurisdiction{regulator: scope, ids: ids, set: make(map[uuid.UUID]bool, len(ids))}
	for _, id := range ids {
		j.set[id] = true
	}
	return j, nil
}

// oversee runs fn as the regulator in ctx in its oversight transaction: read-only, and row-level
// security lets it read its own rows and exactly the institutions in its jurisdiction.
func (s *Service) oversee(ctx context.Context, fn func(ctx context.Context, tx bun.Tx, j jurisdiction) error) error {
	j, err := s.jurisdictionOf(ctx)
	if err != nil {
		return err
	}
	return tenants.OversightTx(ctx, s.db, j.ids, func(ctx context.Context, tx bun.Tx) error {
		return fn(ctx, tx, j)
	})
}

// Jurisdiction returns the institutions the regulator in ctx oversees.
func (s *Service) Jurisdiction(ctx context.Context) ([]uuid.UUID, error) {
	j, err := s.jurisdictionOf(ctx)
	return j.ids, err
}

// timeKey is a keyset position of a list ordered by (time, id), read from its cursor.
type timeKey struct {
	at time.Time
	id uuid.UUID
}

func decodeTimeKey(cursor string) (timeKey, error) {
	var k timeKey
	_, err := platform.DecodeCursor(cursor, &k.at, &k.id)
	return k, err
}

// Institutions pages the institutions in the regulator's jurisdiction, oldest first.
func (s *Service) Institutions(ctx context.Context, req platform.PageRequest) (platform.Page[Institution], error) {
	if req.Desc {
		return platform.Page[Institution]{}, badParam("sort", "institutions are listed oldest first")
	}
	after, err := decodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[Institution]{}, err
	}
	var out []Institution
	err = s.oversee(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) (err error) {
		out, err = listInstitutions(ctx, tx, j.ids, after, req.Fetch())
		return err
	})
	return platform.CutPage(out, req, func(i Institution) string { return platform.EncodeCursor(i.CreatedAt, i.ID) }), err
}

// Institution returns one institution in jurisdiction (404 otherwise).
func (s *Service) Institution(ctx context.Context, id uuid.UUID) (Institution, error) {
	var out Institution
	err := s.oversee(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) (err error) {
		if err := j.require(id); err != nil {
			return err
		}
		out, err = getInstitution(ctx, tx, id)
		return err
	})
	return out, err
}

// InstitutionAudit pages an institution's audit log, oldest first (entries at or after since when set).
func (s *Service) InstitutionAudit(ctx context.Context, id uuid.UUID, since time.Time, req platform.PageRequest) (platform.Page[audit.Entry], error) {
	var after int64
	if _, err := platform.DecodeCursor(req.Cursor, &after); err != nil {
		return platform.Page[audit.Entry]{}, err
	}
	var out []audit.Entry
	err := s.oversee(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) (err error) {
		if err := j.require(id); err != nil {
			return err
		}
		out, err = listAudit(ctx, tx, id, after, since, req.Fetch())
		return err
	})
	return platform.CutPage(out, req, func(e audit.Entry) string { return platform.EncodeCursor(e.Seq) }), err
}

// InstitutionBatches pages an institution's batches, newest first.
func (s *Service) InstitutionBatches(ctx context.Context, id uuid.UUID, f RecordFilter, req platform.PageRequest) (platform.Page[BatchRecord], error) {
	after, err := decodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[BatchRecord]{}, err
	}
	var out []BatchRecord
	err = s.oversee(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) (err error) {
		if err := j.require(id); err != nil {
			return err
		}
		out, err = s.records.Batches(ctx, tx, id, f, after, req.Fetch())
		return err
	})
	return platform.CutPage(out, req, func(b BatchRecord) string { return platform.EncodeCursor(b.CreatedAt, b.ID) }), err
}

// InstitutionCertificates pages an institution's certificates, newest first.
func (s *Service) InstitutionCertificates(ctx context.Context, id uuid.UUID, f RecordFilter, req platform.PageRequest) (platform.Page[CertificateRecord], error) {
	after, err := decodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[CertificateRecord]{}, err
	}
	var out []CertificateRecord
	err = s.oversee(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) (err error) {
		if err := j.require(id); err != nil {
			return err
		}
		out, err = s.records.Certificates(ctx, tx, id, f, after, req.Fetch())
		return err
	})
	return platform.CutPage(out, req, func(c CertificateRecord) string { return platform.EncodeCursor(c.CreatedAt, c.ID) }), err
}

// systemActor is the actor of the module's background work.
func systemCtx(ctx context.Context, scope tenants.Scope, name string) context.Context {
	return tenants.WithActor(tenants.WithScope(ctx, scope), tenants.Actor{Name: "system:oversight:" + name})
}

func scopeOf(t tenants.Tenant) tenants.Scope {
	return tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}
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
