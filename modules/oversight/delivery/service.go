package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/oversight/inbox"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Options tune deliveries; zero fields take their defaults.
type Options struct {
	// AllowPrivate lets sync endpoints resolve to private, loopback and link-local addresses
	// (SKILLCERT_SYNC_ALLOW_PRIVATE; tests and labs only).
	AllowPrivate bool
	// SealKey is the AES-256 key sealing sync secrets at rest (derived from the platform secret).
	SealKey []byte
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
}

// Lease is how long one delivery run may hold the streams it claimed: its budget and the requests
// under way when the budget ends. The delivery task's timeout.
func (o Options) Lease() time.Duration {
	o.defaults()
	return o.DeliverBudget + 3*o.HTTPTimeout
}

// Kicker starts a regulator's deliveries soon instead of at the next tick (the job queue).
type Kicker interface {
	KickDelivery(ctx context.Context, regulatorID uuid.UUID)
}

// Service configures regulators' external systems and delivers their reports to them.
type Service struct {
	base   core.Base
	opts   Options
	kicker Kicker // nil: deliveries wait for the periodic tick
	client *http.Client
	guard  *guard
	m      *metrics
}

var _ inbox.Outbound = (*Service)(nil)

// New returns the service; kicker may be nil.
func New(base core.Base, opts Options, kicker Kicker) (*Service, error) {
	opts.defaults()
	if len(opts.SealKey) != 32 {
		return nil, platform.E(platform.KindInternal, "no_secret", "sync deliveries need a 32-byte sealing key")
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	g := newGuard(opts.AllowPrivate)
	return &Service{base: base, opts: opts, kicker: kicker, guard: g, client: newSyncClient(g, opts.HTTPTimeout), m: m}, nil
}

func (s *Service) kick(ctx context.Context, regID uuid.UUID) {
	if s.kicker != nil {
		s.kicker.KickDelivery(ctx, regID)
	}
}

// SetEndpoint configures the external system of the regulator in ctx. The address is checked now
// (and again at every delivery): private, loopback and link-local targets are refused unless allowed.
// Reports received from now on are delivered; older ones can be sent with Replay.
func (s *Service) SetEndpoint(ctx context.Context, in EndpointInput) (SyncState, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return SyncState{}, err
	}
	if err := in.Validate(s.opts.AllowPrivate); err != nil {
		return SyncState{}, err
	}
	if err := s.guardTarget(ctx, in.URL); err != nil {
		return SyncState{}, err
	}
	sealed, err := s.seal(scope.TenantID, in.Secret)
	if err != nil {
		return SyncState{}, err
	}
	now := s.base.Now()
	err = tenants.WithTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		prev, perr := endpointOf(ctx, tx, scope.TenantID)
		if perr != nil && !tenants.IsNoRows(perr) {
			return perr
		}
		row := &endpointRow{TenantID: scope.TenantID, URL: in.URL, SecretSealed: sealed, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(row).ExcludeColumn("last_error_at", "last_success_at").
			On("CONFLICT (tenant_id) DO UPDATE").
			Set("url = EXCLUDED.url, secret_sealed = EXCLUDED.secret_sealed, updated_at = EXCLUDED.updated_at").
			Exec(ctx); err != nil {
			return err
		}
		var before any
		if perr == nil {
			before = map[string]any{"url": prev.URL}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.sync_endpoint.set", TargetType: "sync_endpoint",
			TargetID: scope.TenantID.String(), Before: before, After: map[string]any{"url": in.URL, "secret": "(set)"}})
	})
	if err != nil {
		return SyncState{}, err
	}
	s.kick(ctx, scope.TenantID)
	return s.State(ctx)
}

func (s *Service) guardTarget(ctx context.Context, raw string) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := s.guard.checkTarget(cctx, raw)
	switch {
	case errors.Is(err, errBlockedAddress):
		return ErrPrivateTarget
	case err != nil:
		return &platform.Error{Kind: platform.KindUnprocessable, Code: "unresolvable_host", Message: "the sync endpoint's host does not resolve",
			Fields: []platform.FieldError{{Field: "url", Code: "unresolvable", Message: "the host name does not resolve"}}, Err: err}
	}
	return nil
}

// DeleteEndpoint removes the regulator's external system and what was still queued for it.
func (s *Service) DeleteEndpoint(ctx context.Context) error {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return err
	}
	return tenants.WithTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		prev, err := endpointOf(ctx, tx, scope.TenantID)
		if err != nil {
			if tenants.IsNoRows(err) {
				return ErrNoEndpoint
			}
			return err
		}
		for _, m := range []any{(*endpointRow)(nil), (*streamRow)(nil), (*deliveryRow)(nil)} {
			if _, err := tx.NewDelete().Model(m).Where("tenant_id = ?", scope.TenantID).Exec(ctx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.sync_endpoint.delete", TargetType: "sync_endpoint",
			TargetID: scope.TenantID.String(), Before: map[string]any{"url": prev.URL}})
	})
}

// Pause stops deliveries (reports keep arriving and queue up); Resume restarts them and gives
// dead-lettered reports a fresh start.
func (s *Service) Pause(ctx context.Context) (SyncState, error) { return s.setPaused(ctx, true) }

// Resume restarts deliveries after Pause, and re-arms dead-lettered streams.
func (s *Service) Resume(ctx context.Context) (SyncState, error) { return s.setPaused(ctx, false) }

func (s *Service) setPaused(ctx context.Context, paused bool) (SyncState, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return SyncState{}, err
	}
	now := s.base.Now()
	err = tenants.WithTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*endpointRow)(nil)).Set("paused = ?", paused).Set("updated_at = ?", now).
			Where("tenant_id = ?", scope.TenantID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoEndpoint
		}
		rearmed := 0
		if !paused {
			r, err := tx.NewUpdate().Model((*streamRow)(nil)).
				Set("state = ?, attempts = 0, first_failed_at = NULL, last_error = '', next_attempt_at = ?, lease_until = NULL", streamOK, now).
				Where("tenant_id = ?", scope.TenantID).Where("state = ?", streamDead).Exec(ctx)
			if err != nil {
				return err
			}
			n, _ := r.RowsAffected()
			rearmed = int(n)
			if _, err := tx.NewUpdate().Model((*deliveryRow)(nil)).Set("dead_at = NULL").
				Where("tenant_id = ?", scope.TenantID).Where("dead_at IS NOT NULL").Where("delivered_at IS NULL").Exec(ctx); err != nil {
				return err
			}
		}
		action := "oversight.sync_endpoint.pause"
		if !paused {
			action = "oversight.sync_endpoint.resume"
		}
		return audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "sync_endpoint", TargetID: scope.TenantID.String(),
			After: map[string]any{"paused": paused, "rearmed_streams": rearmed}})
	})
	if err != nil {
		return SyncState{}, err
	}
	if !paused {
		s.kick(ctx, scope.TenantID)
	}
	return s.State(ctx)
}

// Replay queues again every report the regulator in ctx received at or after since, to be delivered
// in order to its external system (`skillcert sync replay --since`). It returns how many were queued.
func (s *Service) Replay(ctx context.Context, since time.Time) (int, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return 0, err
	}
	now := s.base.Now()
	var n int64
	err = tenants.WithTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		has, err := hasEndpoint(ctx, tx, scope.TenantID)
		if err != nil {
			return err
		}
		if !has {
			return ErrNoEndpoint
		}
		received := inbox.Received(tx, scope.TenantID, since).ColumnExpr("tenant_id, id, institution_id, seq")
		res, err := tx.NewRaw(`INSERT INTO oversight_sync_deliveries (tenant_id, report_id, institution_id, seq) ?
			ON CONFLICT (tenant_id, report_id) DO UPDATE SET delivered_at = NULL, dead_at = NULL`, received).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		at := "?"
		if platform.IsPostgres(tx) {
			at = "CAST(? AS timestamptz)" // an untyped literal in a SELECT list would be text
		}
		streams := inbox.Received(tx, scope.TenantID, since).ColumnExpr("DISTINCT tenant_id, institution_id, ?, 0, "+at+", ''", streamOK, now)
		if _, err := tx.NewRaw(`INSERT INTO oversight_sync_streams (tenant_id, institution_id, state, attempts, next_attempt_at, last_error) ?
			ON CONFLICT (tenant_id, institution_id) DO UPDATE SET state = EXCLUDED.state, attempts = 0, first_failed_at = NULL,
			  last_error = '', next_attempt_at = EXCLUDED.next_attempt_at, lease_until = NULL`, streams).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.sync.replay", TargetType: "sync_endpoint",
			TargetID: scope.TenantID.String(), After: map[string]any{"since": since.UTC(), "reports": n}})
	})
	if err != nil {
		return 0, err
	}
	s.kick(ctx, scope.TenantID)
	return int(n), nil
}

// State reports the delivery state of the regulator in ctx.
func (s *Service) State(ctx context.Context) (SyncState, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return SyncState{}, err
	}
	st := SyncState{Streams: []StreamInfo{}}
	err = tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		ep, err := endpointOf(ctx, tx, scope.TenantID)
		if err != nil {
			if tenants.IsNoRows(err) {
				return nil
			}
			return err
		}
		st.Configured, st.URL, st.Paused = true, ep.URL, ep.Paused
		st.Delivered, st.Failures, st.DeadLetterTotal = ep.DeliveredTotal, ep.FailuresTotal, ep.DeadLettersTotal
		st.LastError, st.LastErrorAt, st.LastSuccessAt = ep.LastError, core.UTCPtr(ep.LastErrorAt), core.UTCPtr(ep.LastSuccessAt)
		var counts []struct {
			InstitutionID uuid.UUID `bun:"institution_id,type:uuid"`
			Pending       int64     `bun:"pending"`
			Dead          int64     `bun:"dead"`
		}
		if err := tx.NewSelect().Model((*deliveryRow)(nil)).
			ColumnExpr("institution_id, count(*) AS pending, count(dead_at) AS dead").
			Where("tenant_id = ?", scope.TenantID).Where("delivered_at IS NULL").
			GroupExpr("institution_id").Scan(ctx, &counts); err != nil {
			return err
		}
		pending := map[uuid.UUID]int64{}
		for _, c := range counts {
			st.Pending += c.Pending
			st.DeadLetters += c.Dead
			pending[c.InstitutionID] = c.Pending
		}
		var streams []streamRow
		if err := tx.NewSelect().Model(&streams).Where("tenant_id = ?", scope.TenantID).Where("state <> ?", streamOK).
			OrderExpr("institution_id").Limit(500).Scan(ctx); err != nil {
			return err
		}
		var dead []deliveryRow
		if err := tx.NewSelect().Model(&dead).Where("tenant_id = ?", scope.TenantID).Where("dead_at IS NOT NULL").
			Where("delivered_at IS NULL").Limit(500).Scan(ctx); err != nil {
			return err
		}
		deadOf := map[uuid.UUID]uuid.UUID{}
		for _, d := range dead {
			deadOf[d.InstitutionID] = d.ReportID
		}
		for _, r := range streams {
			if r.State == streamRetrying {
				st.FailingStreams++
			}
			info := StreamInfo{InstitutionID: r.InstitutionID, State: r.State, Pending: pending[r.InstitutionID], Attempts: r.Attempts,
				NextAttemptAt: r.NextAttemptAt.UTC(), FirstFailedAt: core.UTCPtr(r.FirstFailedAt), LastError: r.LastError}
			if id, ok := deadOf[r.InstitutionID]; ok {
				info.DeadReportID = &id
			}
			st.Streams = append(st.Streams, info)
		}
		if st.DeadLetters > 0 {
			st.Alert = fmt.Sprintf("%d report(s) dead-lettered after failing for more than %s; later reports of the same "+
				"institutions wait behind them. Fix the endpoint, then POST /api/v1/oversight/sync-endpoint/resume.",
				st.DeadLetters, s.opts.DeadAfter)
		}
		return nil
	})
	return st, err
}

// Queue queues reports just stored for the regulator (tx is scoped to it) when it has an external
// system, and reports whether it has one (inbox.Outbound).
func (s *Service) Queue(ctx context.Context, tx bun.IDB, regulatorID uuid.UUID, reports []inbox.Report, now time.Time) (bool, error) {
	has, err := hasEndpoint(ctx, tx, regulatorID)
	if err != nil || !has {
		return false, err
	}
	return true, queueDeliveries(ctx, tx, regulatorID, reports, now)
}

// deliverParallel is how many institutions' streams one run sends at once.
const deliverParallel = 16

// Deliver sends the queued reports of the regulator in ctx to its external system until nothing is
// due or the run's budget is spent. Each institution's stream is leased while it is being sent, so
// concurrent runs never send one stream twice at once; within a stream, report n+1 is sent only
// after report n was accepted.
func (s *Service) Deliver(ctx context.Context) (DeliverResult, error) {
	var res DeliverResult
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return res, err
	}
	deadline := time.Now().Add(s.opts.DeliverBudget)
	for {
		var ep *endpointRow
		err := tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) (err error) {
			ep, err = endpointOf(ctx, tx, scope.TenantID)
			return err
		})
		if tenants.IsNoRows(err) {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		if ep.Paused {
			return res, nil
		}
		secret, err := s.open(scope.TenantID, ep.SecretSealed)
		if err != nil {
			return res, s.recordEndpointError(ctx, scope.TenantID, err)
		}
		claimed, err := s.claimStreams(ctx, scope.TenantID, deliverParallel)
		if err != nil || len(claimed) == 0 {
			return res, err
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		for _, inst := range claimed {
			wg.Add(1)
			go func(inst uuid.UUID) {
				defer wg.Done()
				r, err := s.runStream(ctx, scope.TenantID, ep.URL, secret, inst, deadline)
				mu.Lock()
				defer mu.Unlock()
				res.add(r)
				if err != nil {
					errs = append(errs, err)
				}
			}(inst)
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return res, err
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			res.More = true
			return res, nil
		}
	}
}

// Lease is how long a delivery run may hold its streams (Options.Lease).
func (s *Service) Lease() time.Duration { return s.opts.Lease() }

// claimStreams leases up to n due streams of the regulator that have something to send.
func (s *Service) claimStreams(ctx context.Context, regID uuid.UUID, n int) ([]uuid.UUID, error) {
	now := s.base.Now()
	var claimed []uuid.UUID
	err := tenants.WithTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		var cands []uuid.UUID
		if err := tx.NewSelect().Model((*streamRow)(nil)).Column("institution_id").
			Where("tenant_id = ?", regID).Where("state <> ?", streamDead).Where("next_attempt_at <= ?", now).
			Where("(lease_until IS NULL OR lease_until < ?)", now).
			Where(`EXISTS (SELECT 1 FROM oversight_sync_deliveries d WHERE d.tenant_id = ?TableAlias.tenant_id
				AND d.institution_id = ?TableAlias.institution_id AND d.delivered_at IS NULL)`).
			OrderExpr("next_attempt_at ASC").Limit(int64(n)).Scan(ctx, &cands); err != nil {
			return err
		}
		if len(cands) == 0 {
			return nil
		}
		return tx.NewUpdate().Model((*streamRow)(nil)).Set("lease_until = ?", now.Add(s.Lease())).
			Where("tenant_id = ?", regID).Where("institution_id IN (?)", bun.In(cands)).
			Where("state <> ?", streamDead).Where("(lease_until IS NULL OR lease_until < ?)", now).
			Returning("institution_id").Scan(ctx, &claimed)
	})
	return claimed, err
}

// runStream sends one institution's queued reports in order, stopping at the first failure.
func (s *Service) runStream(ctx context.Context, regID uuid.UUID, target string, secret []byte, instID uuid.UUID, deadline time.Time) (DeliverResult, error) {
	var res DeliverResult
	var rows []inbox.Report
	err := tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		var ids []uuid.UUID
		if err := tx.NewSelect().Model((*deliveryRow)(nil)).Column("report_id").
			Where("tenant_id = ?", regID).Where("institution_id = ?", instID).Where("delivered_at IS NULL").
			OrderExpr("seq ASC").Limit(100).Scan(ctx, &ids); err != nil {
			return err
		}
		var err error
		rows, err = inbox.Load(ctx, tx, regID, ids)
		return err
	})
	if err != nil {
		return res, err
	}
	var done []uuid.UUID
	var failure error
	var failed uuid.UUID
	for i := range rows {
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		if err := s.post(ctx, target, secret, regID, &rows[i]); err != nil {
			failure, failed = err, rows[i].ID
			break
		}
		done = append(done, rows[i].ID)
		s.m.lag.Observe(time.Since(rows[i].ReportedAt).Seconds())
	}
	res.Delivered = len(done)
	dead, err := s.finishStream(ctx, regID, instID, done, failure, failed)
	if failure != nil {
		res.Failed = 1
	}
	if dead {
		res.DeadLettered = 1
	}
	return res, err
}

// finishStream records a stream run: delivered reports, the stream's retry state, the endpoint's
// counters; and dead-letters a head that has failed for longer than DeadAfter.
func (s *Service) finishStream(ctx context.Context, regID, instID uuid.UUID, done []uuid.UUID, failure error, failed uuid.UUID) (bool, error) {
	now := s.base.Now()
	dead := false
	err := tenants.WithTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		if len(done) > 0 {
			if _, err := tx.NewUpdate().Model((*deliveryRow)(nil)).Set("delivered_at = ?, dead_at = NULL", now).
				Where("tenant_id = ?", regID).Where("report_id IN (?)", bun.In(done)).Exec(ctx); err != nil {
				return err
			}
		}
		st := new(streamRow)
		if err := tx.NewSelect().Model(st).Where("tenant_id = ?", regID).Where("institution_id = ?", instID).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return nil // the endpoint was removed meanwhile
			}
			return err
		}
		ep := tx.NewUpdate().Model((*endpointRow)(nil)).Where("tenant_id = ?", regID).
			Set("delivered_total = delivered_total + ?", len(done))
		if len(done) > 0 {
			ep = ep.Set("last_success_at = ?", now)
		}
		if failure == nil {
			st.State, st.Attempts, st.FirstFailedAt, st.LastError, st.NextAttemptAt = streamOK, 0, nil, "", now
		} else {
			msg := errorText(failure)
			st.Attempts++
			if st.FirstFailedAt == nil || len(done) > 0 {
				st.FirstFailedAt = &now // a new head started failing
			}
			st.LastError = msg
			ep = ep.Set("failures_total = failures_total + 1, last_error = ?, last_error_at = ?", msg, now)
			if now.Sub(*st.FirstFailedAt) >= s.opts.DeadAfter {
				st.State, dead = streamDead, true
				if _, err := tx.NewUpdate().Model((*deliveryRow)(nil)).Set("dead_at = ?", now).
					Where("tenant_id = ?", regID).Where("report_id = ?", failed).Exec(ctx); err != nil {
					return err
				}
				ep = ep.Set("dead_letters_total = dead_letters_total + 1")
			} else {
				st.State, st.NextAttemptAt = streamRetrying, now.Add(s.opts.Backoff.Wait(st.Attempts))
			}
		}
		st.LeaseUntil = nil
		if _, err := tx.NewUpdate().Model(st).WherePK().Exec(ctx); err != nil {
			return err
		}
		_, err := ep.Exec(ctx)
		return err
	})
	if err == nil && dead {
		s.m.deadLetters.Inc()
		s.opts.Log.Warn("oversight: report dead-lettered", "regulator", regID, "institution", instID, "report", failed, "err", failure)
	}
	if failure != nil {
		s.m.deliveries.WithLabelValues("failed").Inc()
	}
	s.m.deliveries.WithLabelValues("delivered").Add(float64(len(done)))
	return dead, err
}

func (s *Service) recordEndpointError(ctx context.Context, regID uuid.UUID, cause error) error {
	now := s.base.Now()
	err := tenants.WithTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*endpointRow)(nil)).Where("tenant_id = ?", regID).
			Set("last_error = ?, last_error_at = ?", errorText(cause), now).Exec(ctx)
		return err
	})
	return errors.Join(cause, err)
}

func (s *Service) post(ctx context.Context, target string, secret []byte, regID uuid.UUID, r *inbox.Report) error {
	body, err := json.Marshal(Delivery{ID: r.ID, RegulatorID: regID, Seq: r.Seq, Kind: r.Kind, InstitutionID: r.InstitutionID,
		InstitutionRegion: r.InstitutionRegion, SubjectType: r.SubjectType, SubjectID: r.SubjectID, ReportedAt: r.ReportedAt,
		ReceivedAt: r.ReceivedAt, PrevHash: r.PrevHash, Hash: r.Hash, Payload: r.Payload})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "SkillCert-Sync/1")
	req.Header.Set("Idempotency-Key", r.ID.String())
	req.Header.Set("X-SkillCert-Signature", Sign(body, secret))
	req.Header.Set("X-SkillCert-Event", r.Kind)
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("endpoint answered %s", resp.Status)
	}
	return nil
}

// DueRegulators lists regulators with reports due for delivery (the periodic task kicks them).
func (s *Service) DueRegulators(ctx context.Context) ([]uuid.UUID, error) {
	now := s.base.Now()
	var ids []uuid.UUID
	err := tenants.SystemReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model((*streamRow)(nil)).ColumnExpr("DISTINCT tenant_id").
			Where("state <> ?", streamDead).Where("next_attempt_at <= ?", now).
			Where("(lease_until IS NULL OR lease_until < ?)", now).
			Where(`EXISTS (SELECT 1 FROM oversight_sync_deliveries d WHERE d.tenant_id = ?TableAlias.tenant_id
				AND d.institution_id = ?TableAlias.institution_id AND d.delivered_at IS NULL)`).
			Where(`NOT EXISTS (SELECT 1 FROM oversight_sync_endpoints e WHERE e.tenant_id = ?TableAlias.tenant_id AND e.paused)`).
			Scan(ctx, &ids)
	})
	return ids, err
}
