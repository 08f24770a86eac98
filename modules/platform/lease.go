package platform

import (
	"context"
	"time"
)

// HoldLease keeps a lease on a unit of work (a chunk a job task works on) while the task runs: it
// calls write with now+lease at once and every lease/3 after, until the returned release is called,
// which stops renewing and calls write(nil) to drop it. A lease that expires while the work is not done
// tells a reconciler that the worker died (SIGKILL, OOM, a lost host). write gets a context detached
// from ctx's cancellation, bounded by lease/3, so that the release happens even when the task timed
// out; it logs its own failures (a lease is only a hint: the work stays safe without it).
func HoldLease(ctx context.Context, lease time.Duration, now func() time.Time, write func(ctx context.Context, until *time.Time)) (release func()) {
	bg := context.WithoutCancel(ctx)
	put := func(until *time.Time) {
		wctx, cancel := context.WithTimeout(bg, lease/3)
		defer cancel()
		write(wctx, until)
	}
	renew := func() { until := now().Add(lease); put(&until) }
	renew()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				renew()
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		put(nil)
	}
}
