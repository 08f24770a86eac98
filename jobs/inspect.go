package jobs

import (
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueStats is a snapshot of one queue: how many tasks are in each state.
type QueueStats struct {
	Queue     string
	Pending   int           // waiting to run now
	Active    int           // running
	Scheduled int           // waiting for their ProcessAt/ProcessIn time
	Retry     int           // failed, waiting for their next attempt
	Archived  int           // failed for good, kept for inspection
	Completed int           // done, kept for their Retention
	Latency   time.Duration // age of the oldest pending task: how far the workers lag
}

// Inspector reads the state of the queues, for the /metrics gauges, health pages and tests.
type Inspector struct {
	i *asynq.Inspector
}

// NewInspector returns an Inspector on the Redis that r describes.
func NewInspector(r Redis) *Inspector {
	return &Inspector{i: asynq.NewInspector(r.opt)}
}

// Close releases the Inspector's Redis connections.
func (in *Inspector) Close() error { return in.i.Close() }

// Stats returns a snapshot of QueueCritical, QueueDefault and QueueLow, in that order. A queue no
// task was ever enqueued to reports zeros.
func (in *Inspector) Stats() ([]QueueStats, error) {
	// asynq knows a queue only once a task went to it, and errors on unknown queues.
	existing, err := in.i.Queues()
	if err != nil {
		return nil, fmt.Errorf("jobs: listing queues: %w", err)
	}
	out := make([]QueueStats, 0, len(queueNames))
	for _, q := range queueNames {
		s := QueueStats{Queue: q}
		if slices.Contains(existing, q) {
			info, err := in.i.GetQueueInfo(q)
			if err != nil {
				return nil, fmt.Errorf("jobs: reading queue %s: %w", q, err)
			}
			s = QueueStats{
				Queue: q, Pending: info.Pending, Active: info.Active, Scheduled: info.Scheduled,
				Retry: info.Retry, Archived: info.Archived, Completed: info.Completed, Latency: info.Latency,
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// Pending returns how many tasks wait to run now in queue.
func (in *Inspector) Pending(queue string) (int, error) {
	if !knownQueue(queue) {
		return 0, fmt.Errorf("%w %q", ErrUnknownQueue, queue)
	}
	all, err := in.Stats()
	if err != nil {
		return 0, err
	}
	for _, s := range all {
		if s.Queue == queue {
			return s.Pending, nil
		}
	}
	return 0, nil
}

// Collector returns a prometheus.Collector that reads the queues at each scrape:
//
//	skillcert_jobs_queue_tasks{queue,state}     tasks by state (pending, active, scheduled, retry,
//	                                            archived, completed)
//	skillcert_jobs_queue_latency_seconds{queue} age of the oldest pending task
//
// Reading at scrape time keeps the gauges exact without a polling goroutine. Register it on the
// process registry in the one process that serves /metrics for the queues.
func (in *Inspector) Collector() prometheus.Collector { return queueCollector{in} }

var (
	queueTasksDesc = prometheus.NewDesc("skillcert_jobs_queue_tasks",
		"Background tasks in each queue, by state.", []string{"queue", "state"}, nil)
	queueLatencyDesc = prometheus.NewDesc("skillcert_jobs_queue_latency_seconds",
		"Age of the oldest pending task in each queue.", []string{"queue"}, nil)
)

type queueCollector struct{ in *Inspector }

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueTasksDesc
	ch <- queueLatencyDesc
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	stats, err := c.in.Stats()
	if err != nil {
		// Fails the scrape visibly instead of reporting stale or zero gauges.
		ch <- prometheus.NewInvalidMetric(queueTasksDesc, err)
		return
	}
	for _, s := range stats {
		for _, v := range []struct {
			state string
			n     int
		}{
			{"pending", s.Pending}, {"active", s.Active}, {"scheduled", s.Scheduled},
			{"retry", s.Retry}, {"archived", s.Archived}, {"completed", s.Completed},
		} {
			ch <- prometheus.MustNewConstMetric(queueTasksDesc, prometheus.GaugeValue, float64(v.n), s.Queue, v.state)
		}
		ch <- prometheus.MustNewConstMetric(queueLatencyDesc, prometheus.GaugeValue, s.Latency.Seconds(), s.Queue)
	}
}
