package oversight

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

type endpointRow struct {
	bun.BaseModel `bun:"table:oversight_sync_endpoints"`

	TenantID         uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	URL              string     `bun:"url"`
	SecretSealed     []byte     `bun:"secret_sealed"`
	Paused           bool       `bun:"paused"`
	DeliveredTotal   int64      `bun:"delivered_total"`
	FailuresTotal    int64      `bun:"failures_total"`
	DeadLettersTotal int64      `bun:"dead_letters_total"`
	LastError        string     `bun:"last_error"`
	LastErrorAt      *time.Time `bun:"last_error_at"`
	LastSuccessAt    *time.Time `bun:"last_success_at"`
	CreatedAt        time.Time  `bun:"created_at"`
	UpdatedAt        time.Time  `bun:"updated_at"`
}

type streamRow struct {
	bun.BaseModel `bun:"table:oversight_sync_streams"`

	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	InstitutionID uuid.UUID  `bun:"institution_id,pk,type:uuid"`
	State         string     `bun:"state"`
	Attempts      int        `bun:"attempts"`
	NextAttemptAt time.Time  `bun:"next_attempt_at"`
	FirstFailedAt *time.Time `bun:"first_failed_at"`
	LastError     string     `bun:"last_error"`
	LeaseUntil    *time.Time `bun:"lease_until"`
}

type deliveryRow struct {
	bun.BaseModel `bun:"table:oversight_sync_deliveries"`

	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ReportID      uuid.UUID  `bun:"report_id,pk,type:uuid"`
	InstitutionID uuid.UUID  `bun:"institution_id,type:uuid"`
	Seq           int64      `bun:"seq"`
	DeliveredAt   *time.Time `bun:"delivered_at"`
	DeadAt        *time.Time `bun:"dead_at"`
}

// queueDeliveries queues stored copies for the regulator's external system (the transaction is scoped
// to the regulator) and makes sure each institution has a stream.
func queueDeliveries(ctx context.Context, tx bun.IDB, regID uuid.UUID, rows []reportRow, now time.Time) error {
	ds := make([]deliveryRow, len(rows))
	insts := map[uuid.UUID]bool{}
	for i, r := range rows {
		ds[i] = deliveryRow{TenantID: regID, ReportID: r.ID, InstitutionID: r.InstitutionID, Seq: r.Seq}
		insts[r.InstitutionID] = true
	}
	if _, err := tx.NewInsert().Model(&ds).On("CONFLICT (tenant_id, report_id) DO NOTHING").Exec(ctx); err != nil {
		return err
	}
	for id := range insts {
		st := &streamRow{TenantID: regID, InstitutionID: id, State: streamOK, NextAttemptAt: now}
		if _, err := tx.NewInsert().Model(st).ExcludeColumn("first_failed_at", "lease_until").
			On("CONFLICT (tenant_id, institution_id) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// seal encrypts a sync secret for storage (AES-256-GCM, the regulator's id as additional data, so a
// sealed secret copied to another regulator's row does not open).
func (s *Service) seal(regID uuid.UUID, secret string) ([]byte, error) {
	block, err := aes.NewCipher(s.sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{1}, nonce...)
	return aead.Seal(out, nonce, []byte(secret), regID[:]), nil
}

func (s *Service) open(regID uuid.UUID, sealed []byte) ([]byte, error) {
	block, err := aes.NewCipher(s.sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+aead.NonceSize() || sealed[0] != 1 {
		return nil, errors.New("sealed secret has an unknown format")
	}
	nonce := sealed[1 : 1+aead.NonceSize()]
	plain, err := aead.Open(nil, nonce, sealed[1+aead.NonceSize():], regID[:])
	if err != nil {
		return nil, errors.New("the sync secret cannot be opened (was the platform secret changed?); set the endpoint again")
	}
	return plain, nil
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
	now := s.now()
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		prev := new(endpointRow)
		perr := tx.NewSelect().Model(prev).Where("tenant_id = ?", scope.TenantID).Scan(ctx)
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
	s.kick(ctx, map[uuid.UUID]bool{scope.TenantID: true})
	return s.SyncState(ctx)
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
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		prev := new(endpointRow)
		if err := tx.NewSelect().Model(prev).Where("tenant_id = ?", scope.TenantID).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrNoEndpoint
			}
			return err
		}
		for _, m := range []any{(*endpointRow)(nil), (*streamRow)(nil)} {
			if _, err := tx.NewDelete().Model(m).Where("tenant_id = ?", scope.TenantID).Exec(ctx); err != nil {
				return err
			}
		}
		if _, err := tx.NewDelete().Model((*deliveryRow)(nil)).Where("tenant_id = ?", scope.TenantID).Exec(ctx); err != nil {
			return err
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
	now := s.now()
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
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
		s.kick(ctx, map[uuid.UUID]bool{scope.TenantID: true})
	}
	return s.SyncState(ctx)
}

// Replay queues again every report the regulator in ctx received at or after since, to be delivered
// in order to its external system (`skillcert sync replay --since`). It returns how many were queued.
func (s *Service) Replay(ctx context.Context, since time.Time) (int, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	var n int64
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		has, err := tx.NewSelect().Model((*endpointRow)(nil)).Where("tenant_id = ?", scope.TenantID).Exists(ctx)
		if err != nil {
			return err
		}
		if !has {
			return ErrNoEndpoint
		}
		res, err := tx.NewRaw(`INSERT INTO oversight_sync_deliveries (tenant_id, report_id, institution_id, seq)
			SELECT tenant_id, id, institution_id, seq FROM oversight_reports WHERE tenant_id = ? AND received_at >= ?
			ON CONFLICT (tenant_id, report_id) DO UPDATE SET delivered_at = NULL, dead_at = NULL`,
			scope.TenantID, since.UTC()).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		at := "?"
		if platform.IsPostgres(tx) {
			at = "CAST(? AS timestamptz)" // an untyped literal in a SELECT list would be text
		}
		if _, err := tx.NewRaw(`INSERT INTO oversight_sync_streams (tenant_id, institution_id, state, attempts, next_attempt_at, last_error)
			SELECT DISTINCT tenant_id, institution_id, ?, 0, `+at+`, '' FROM oversight_reports WHERE tenant_id = ? AND received_at >= ?
			ON CONFLICT (tenant_id, institution_id) DO UPDATE SET state = EXCLUDED.state, attempts = 0, first_failed_at = NULL,
			  last_error = '', next_attempt_at = EXCLUDED.next_attempt_at, lease_until = NULL`,
			streamOK, now, scope.TenantID, since.UTC()).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.sync.replay", TargetType: "sync_endpoint",
			TargetID: scope.TenantID.String(), After: map[string]any{"since": since.UTC(), "reports": n}})
	})
	if err != nil {
		return 0, err
	}
	s.kick(ctx, map[uuid.UUID]bool{scope.TenantID: true})
	return int(n), nil
}

// SyncState reports the delivery state of the regulator in ctx.
func (s *Service) SyncState(ctx context.Context) (SyncState, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return SyncState{}, err
	}
	st := SyncState{Streams: []StreamInfo{}}
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		ep := new(endpointRow)
		if err := tx.NewSelect().Model(ep).Where("tenant_id = ?", scope.TenantID).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return nil
			}
			return err
		}
		st.Configured, st.URL, st.Paused = true, ep.URL, ep.Paused
		st.Delivered, st.Failures, st.DeadLetterTotal = ep.DeliveredTotal, ep.FailuresTotal, ep.DeadLettersTotal
		st.LastError, st.LastErrorAt, st.LastSuccessAt = ep.LastError, utcPtr(ep.LastErrorAt), utcPtr(ep.LastSuccessAt)
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
				NextAttemptAt: r.NextAttemptAt.UTC(), FirstFailedAt: utcPtr(r.FirstFailedAt), LastError: r.LastError}
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

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// DeliverResult counts a delivery run.
type DeliverResult struct {
	Delivered    int
	Failed       int
	DeadLettered int
	More         bool // the run's budget ended with work left
}

func (r *DeliverResult) add(o DeliverResult) {
	r.Delivered += o.Delivered
	r.Failed += o.Failed
	r.DeadLettered += o.DeadLettered
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
		var ep endpointRow
		err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			return tx.NewSelect().Model(&ep).Where("tenant_id = ?", scope.TenantID).Scan(ctx)
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

func (s *Service) leaseFor() time.Duration { return s.opts.DeliverBudget + 3*s.opts.HTTPTimeout }

// claimStreams leases up to n due streams of the regulator that have something to send.
func (s *Service) claimStreams(ctx context.Context, regID uuid.UUID, n int) ([]uuid.UUID, error) {
	now := s.now()
	var claimed []uuid.UUID
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
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
		return tx.NewUpdate().Model((*streamRow)(nil)).Set("lease_until = ?", now.Add(s.leaseFor())).
			Where("tenant_id = ?", regID).Where("institution_id IN (?)", bun.In(cands)).
			Where("state <> ?", streamDead).Where("(lease_until IS NULL OR lease_until < ?)", now).
			Returning("institution_id").Scan(ctx, &claimed)
	})
	return claimed, err
}

// runStream sends one institution's queued reports in order, stopping at the first failure.
func (s *Service) runStream(ctx context.Context, regID uuid.UUID, target string, secret []byte, instID uuid.UUID, deadline time.Time) (DeliverResult, error) {
	var res DeliverResult
	var rows []reportRow
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&rows).
			Join("JOIN oversight_sync_deliveries AS d ON d.tenant_id = r.tenant_id AND d.report_id = r.id").
			Where("d.tenant_id = ?", regID).Where("d.institution_id = ?", instID).Where("d.delivered_at IS NULL").
			OrderExpr("d.seq ASC").Limit(100).Scan(ctx)
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
	now := s.now()
	dead := false
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
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
				st.State, st.NextAttemptAt = streamRetrying, now.Add(s.backoff(st.Attempts))
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
	now := s.now()
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*endpointRow)(nil)).Where("tenant_id = ?", regID).
			Set("last_error = ?, last_error_at = ?", errorText(cause), now).Exec(ctx)
		return err
	})
	return errors.Join(cause, err)
}

// backoff is the wait before retry n (n ≥ 1): Base·2ⁿ⁻¹ capped at Max, half of it fixed and half
// random ("equal jitter": never shorter than half the nominal wait, spread over the other half).
func (s *Service) backoff(n int) time.Duration {
	d := s.opts.Backoff.Base
	for i := 1; i < n && d < s.opts.Backoff.Max; i++ {
		d *= 2
	}
	d = min(d, s.opts.Backoff.Max)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(mrand.Int64N(int64(half)+1))
}

func errorText(err error) string {
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return msg
}

// Delivery is the JSON body POSTed to a regulator's external system for each report.
type Delivery struct {
	ID                uuid.UUID       `json:"id"`
	RegulatorID       uuid.UUID       `json:"regulator_id"`
	Seq               int64           `json:"seq"`
	Kind              string          `json:"kind"`
	InstitutionID     uuid.UUID       `json:"institution_id"`
	InstitutionRegion string          `json:"institution_region"`
	SubjectType       string          `json:"subject_type"`
	SubjectID         string          `json:"subject_id"`
	ReportedAt        time.Time       `json:"reported_at"`
	ReceivedAt        time.Time       `json:"received_at"`
	PrevHash          string          `json:"prev_hash"`
	Hash              string          `json:"hash"`
	Payload           json.RawMessage `json:"payload"`
}

// Sign is the X-SkillCert-Signature value of body: "sha256=" and the hex HMAC-SHA256 with secret.
func Sign(body, secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks an X-SkillCert-Signature header in constant time (for receivers and tests).
func VerifySignature(body, secret []byte, header string) bool {
	return hmac.Equal([]byte(Sign(body, secret)), []byte(strings.TrimSpace(header)))
}

func (s *Service) post(ctx context.Context, target string, secret []byte, regID uuid.UUID, r *reportRow) error {
	body, err := json.Marshal(Delivery{ID: r.ID, RegulatorID: regID, Seq: r.Seq, Kind: r.Kind, InstitutionID: r.InstitutionID,
		InstitutionRegion: r.InstitutionRegion, SubjectType: r.SubjectType, SubjectID: r.SubjectID, ReportedAt: r.ReportedAt.UTC(),
		ReceivedAt: r.ReceivedAt.UTC(), PrevHash: r.PrevHash, Hash: r.Hash, Payload: canonicalJSON(r.Payload)})
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
	now := s.now()
	var ids []uuid.UUID
	err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
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
