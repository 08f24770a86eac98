package platform

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// Reads routes the reads that tolerate a short lag (public verification, status lists, statistics,
// public lists) to PostgreSQL streaming replicas (SKILLCERT_DATABASE_REPLICA_URLS). Row-level security
// is unchanged: a replica is a copy of the primary, roles and policies included, and the same tenants
// helpers open the same scoped transactions on it (read-only, as a hot standby requires).
//
// A background check (every second, or half the bound if that is shorter) asks each replica how far
// it is behind: replay caught up with the primary's WAL position read just before means no lag;
// otherwise the lag is the time since the last transaction it replayed. A replica lagging past
// the bound, or not answering, is skipped until a check finds it back; with none usable, reads go to
// the primary. A request that has written (NoteWrite, called by the tenants write transactions) reads
// from the primary for the rest of the request, so it sees its own writes.
type Reads struct {
	primary  *bun.DB
	replicas []*replica
	maxLag   time.Duration
	every    time.Duration
	log      *slog.Logger
	next     atomic.Uint64
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

type replica struct {
	name   string // redacted URL, for logs
	url    string
	mu     sync.Mutex
	db     *bun.DB // nil until it could be opened
	usable atomic.Bool
	lagNS  atomic.Int64
}

// OpenReads opens the replicas and checks them once; a replica that does not answer yet is skipped
// (and logged) until a later check reaches it, so a replica down at start-up does not stop the
// process. Start runs the periodic checks. With no URLs it returns nil, and a nil *Reads reads from
// the primary.
func OpenReads(ctx context.Context, primary *bun.DB, urls []string, maxLag time.Duration, log *slog.Logger) *Reads {
	if len(urls) == 0 {
		return nil
	}
	if log == nil {
		log = slog.Default()
	}
	if maxLag <= 0 {
		maxLag = 5 * time.Second
	}
	r := &Reads{primary: primary, maxLag: maxLag, every: min(time.Second, maxLag/2), log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
	for _, u := range urls {
		r.replicas = append(r.replicas, &replica{name: RedactURL(u), url: u})
	}
	r.Check(ctx)
	return r
}

// Start checks the replicas periodically until Close.
func (r *Reads) Start() {
	if r == nil {
		return
	}
	go func() {
		defer close(r.done)
		t := time.NewTicker(r.every)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), max(r.every, time.Second))
				r.Check(ctx)
				cancel()
			}
		}
	}()
}

// Close stops the checks and closes the replicas' pools (not the primary's).
func (r *Reads) Close() {
	if r == nil {
		return
	}
	r.once.Do(func() {
		close(r.stop)
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
		}
		for _, rep := range r.replicas {
			rep.mu.Lock()
			if rep.db != nil {
				_ = rep.db.Close()
			}
			rep.mu.Unlock()
		}
	})
}

// Check measures every replica's lag now and marks which may serve reads.
func (r *Reads) Check(ctx context.Context) {
	var primaryLSN string
	if err := r.primary.QueryRowContext(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&primaryLSN); err != nil {
		primaryLSN = "" // the primary is away: replicas are judged by replay time alone
	}
	var wg sync.WaitGroup
	for _, rep := range r.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.check(ctx, rep, primaryLSN)
		}()
	}
	wg.Wait()
}

func (r *Reads) check(ctx context.Context, rep *replica, primaryLSN string) {
	lag, err := rep.measure(ctx, primaryLSN)
	ok := err == nil && lag <= r.maxLag
	was := rep.usable.Swap(ok)
	rep.lagNS.Store(int64(lag))
	switch {
	case was && !ok && err != nil:
		r.log.Warn("database replica unreachable; its reads go to the primary", "replica", rep.name, "err", firstLine(err))
	case was && !ok:
		r.log.Warn("database replica lags past the bound; its reads go to the primary", "replica", rep.name,
			"lag", lag.String(), "bound", r.maxLag.String())
	case !was && ok:
		r.log.Info("database replica serving reads", "replica", rep.name, "lag", lag.String())
	}
}

// measure returns how far the replica is behind.
func (rep *replica) measure(ctx context.Context, primaryLSN string) (time.Duration, error) {
	rep.mu.Lock()
	db := rep.db
	rep.mu.Unlock()
	if db == nil {
		opened, err := OpenPostgres(ctx, rep.url)
		if err != nil {
			return 0, err
		}
		rep.mu.Lock()
		if rep.db == nil {
			rep.db = opened
		} else {
			_ = opened.Close()
		}
		db = rep.db
		rep.mu.Unlock()
	}
	var behind, sinceReplay *float64
	var recovering bool
	err := db.QueryRowContext(ctx, `SELECT pg_is_in_recovery(),
		CASE WHEN ? = '' OR NOT pg_is_in_recovery() THEN NULL
		     ELSE pg_wal_lsn_diff(?::pg_lsn, pg_last_wal_replay_lsn())::float8 END,
		EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8`, primaryLSN, primaryLSN).
		Scan(&recovering, &behind, &sinceReplay)
	switch {
	case err != nil:
		return 0, err
	case !recovering:
		return 0, nil // promoted: it is a primary now, nothing to wait for
	case behind != nil && *behind <= 0:
		return 0, nil // replayed everything the primary had written when the check began
	case sinceReplay == nil:
		return time.Duration(math.MaxInt64), nil // never replayed a transaction: unknown, treat as far behind
	default:
		return time.Duration(*sinceReplay * float64(time.Second)), nil
	}
}

// DB returns the database a lag-tolerant read in ctx should use: a usable replica (round robin), or
// primary when r is nil, none is usable, or the request has written.
func (r *Reads) DB(ctx context.Context, primary *bun.DB) *bun.DB {
	if r == nil || Wrote(ctx) {
		return primary
	}
	n := len(r.replicas)
	start := int(r.next.Add(1))
	for i := range n {
		rep := r.replicas[(start+i)%n]
		if rep.usable.Load() {
			rep.mu.Lock()
			db := rep.db
			rep.mu.Unlock()
			if db != nil {
				return db
			}
		}
	}
	return primary
}

// ReplicaStatus is one replica as the last check saw it.
type ReplicaStatus struct {
	Name   string
	Usable bool
	Lag    time.Duration
}

// Status reports every replica (readiness, metrics, tests).
func (r *Reads) Status() []ReplicaStatus {
	if r == nil {
		return nil
	}
	out := make([]ReplicaStatus, 0, len(r.replicas))
	for _, rep := range r.replicas {
		out = append(out, ReplicaStatus{Name: rep.name, Usable: rep.usable.Load(), Lag: time.Duration(rep.lagNS.Load())})
	}
	return out
}

// writeMark records that a request wrote.
type writeMark struct{ wrote atomic.Bool }

type writeMarkKey struct{}

// TrackWrites returns ctx able to remember a write (the server wraps every request's context in it).
func TrackWrites(ctx context.Context) context.Context {
	if _, ok := ctx.Value(writeMarkKey{}).(*writeMark); ok {
		return ctx
	}
	return context.WithValue(ctx, writeMarkKey{}, &writeMark{})
}

// NoteWrite records that the request of ctx wrote (or is about to): its later reads go to the primary.
func NoteWrite(ctx context.Context) {
	if m, ok := ctx.Value(writeMarkKey{}).(*writeMark); ok {
		m.wrote.Store(true)
	}
}

// Wrote reports whether the request of ctx has written.
func Wrote(ctx context.Context) bool {
	m, ok := ctx.Value(writeMarkKey{}).(*writeMark)
	return ok && m.wrote.Load()
}
