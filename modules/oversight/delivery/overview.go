package delivery

import (
	"context"
	"net/url"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/tenants"
)

// EndpointOverview is one regulator's sync delivery as the platform operator sees it: counts and
// the endpoint's host, never the reports themselves nor the secret.
type EndpointOverview struct {
	RegulatorID   uuid.UUID  `json:"regulator_id"`
	Regulator     string     `json:"regulator"`
	Host          string     `json:"host"`
	Paused        bool       `json:"paused"`
	Pending       int64      `json:"pending"`
	DeadLetters   int64      `json:"dead_letters"`
	Delivered     int64      `json:"delivered"`
	Failures      int64      `json:"failures"`
	LastError     string     `json:"last_error,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
}

// Overview lists every regulator's sync endpoint with its delivery counts, for the platform's
// health page (a system read: the operator runs the platform, it reads no report).
func (s *Service) Overview(ctx context.Context) ([]EndpointOverview, error) {
	var out []EndpointOverview
	err := tenants.SystemReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		var eps []endpointRow
		if err := tx.NewSelect().Model(&eps).Scan(ctx); err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(eps))
		for i := range eps {
			ids[i] = eps[i].TenantID
		}
		names, err := core.Tenants(ctx, tx, ids)
		if err != nil {
			return err
		}
		var counts []struct {
			TenantID uuid.UUID `bun:"tenant_id,type:uuid"`
			Pending  int64     `bun:"pending"`
			Dead     int64     `bun:"dead"`
		}
		if err := tx.NewSelect().Model((*deliveryRow)(nil)).
			ColumnExpr("tenant_id, count(*) AS pending, count(dead_at) AS dead").
			Where("delivered_at IS NULL").GroupExpr("tenant_id").Scan(ctx, &counts); err != nil {
			return err
		}
		byReg := map[uuid.UUID]int{}
		for i, ep := range eps {
			host := ""
			if u, err := url.Parse(ep.URL); err == nil {
				host = u.Host
			}
			out = append(out, EndpointOverview{RegulatorID: ep.TenantID, Regulator: names[ep.TenantID].Name, Host: host, Paused: ep.Paused,
				Delivered: ep.DeliveredTotal, Failures: ep.FailuresTotal, LastError: ep.LastError, LastSuccessAt: core.UTCPtr(ep.LastSuccessAt)})
			byReg[ep.TenantID] = i
		}
		for _, c := range counts {
			if i, ok := byReg[c.TenantID]; ok {
				out[i].Pending, out[i].DeadLetters = c.Pending, c.Dead
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Regulator < out[j].Regulator })
	return out, err
}
