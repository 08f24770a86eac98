package delivery

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the sync delivery metrics.
type metrics struct {
	deadLetters prometheus.Counter
	deliveries  *prometheus.CounterVec
	lag         prometheus.Histogram
}

// newMetrics builds the metrics and registers them on reg (when not nil). A second registration of
// the same metrics (two services on one registry) reuses the first.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "skillcert_sync_dead_letters_total",
			Help: "Reports dead-lettered after failing to reach a regulator's external system for longer than the dead-letter time.",
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "skillcert_sync_deliveries_total",
			Help: "Report deliveries to regulators' external systems, by outcome (delivered, failed).",
		}, []string{"outcome"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "skillcert_sync_delivery_lag_seconds",
			Help:    "Time from a report's creation in the institution to its acceptance by the regulator's external system.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400},
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.deadLetters, err = register(reg, m.deadLetters); err != nil {
		return nil, err
	}
	if m.deliveries, err = register(reg, m.deliveries); err != nil {
		return nil, err
	}
	if m.lag, err = register(reg, m.lag); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under its name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}
