package oversight

import (
	"github.com/skillcert/skillcert/modules/oversight/crosscheck"
	"github.com/skillcert/skillcert/modules/oversight/decisions"
	"github.com/skillcert/skillcert/modules/oversight/delivery"
	"github.com/skillcert/skillcert/modules/oversight/inbox"
	"github.com/skillcert/skillcert/modules/oversight/institutions"
	"github.com/skillcert/skillcert/modules/oversight/reconcile"
	"github.com/skillcert/skillcert/modules/oversight/stats"
	"github.com/skillcert/skillcert/modules/oversight/supervision"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// Routes mounts the HTTP API of every part of oversight; complaints bounds public complaints per
// client address (nil or a zero limit: no limit).
func (s *Service) Routes(r *httpx.Router, complaints *ratelimit.Limiter) {
	institutions.NewHandler(s.Institutions).Routes(r)
	inbox.NewHandler(s.Inbox).Routes(r)
	delivery.NewHandler(s.Delivery).Routes(r)
	reconcile.NewHandler(s.Reconcile).Routes(r)
	crosscheck.NewHandler(s.CrossCheck).Routes(r)
	stats.NewHandler(s.Stats).Routes(r)
	supervision.NewHandler(s.Supervision, complaints).Routes(r)
	decisions.NewHandler(s.Decisions).Routes(r)
}
