// Package stats computes the statistics of a regulator's jurisdiction — certificates by occupation,
// level, month and institution, pass rates, results published late — from the facts the dispatcher
// keeps (never from institutions' certificates), and exports them as CSV and XLSX.
package stats

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

// Filter narrows the statistics: months From..To inclusive (first days of months; zero: open), one
// occupation, level or institution; the institutions of one district (a region code: a county, or a
// city or province with all its divisions) or of one kind.
type Filter struct {
	From, To        time.Time
	OccupationCode  string
	Level           int
	InstitutionID   uuid.UUID
	District        string
	InstitutionKind tenants.Kind
}

// Validate checks the filter's district and institution kind (400 invalid_parameter).
func (f Filter) Validate() error {
	if f.District != "" && !regions.Valid(f.District) {
		return platform.E(platform.KindInvalid, "invalid_parameter", "district must be a 6-digit region code")
	}
	if f.InstitutionKind != "" && (!f.InstitutionKind.Valid() || !f.InstitutionKind.IsInstitution()) {
		return platform.E(platform.KindInvalid, "invalid_parameter", "institution_kind must be enterprise, social_org or school")
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return platform.E(platform.KindInvalid, "invalid_parameter", "to must not be before from")
	}
	return nil
}

// keeps reports whether the filter's district and kind admit the institution t.
func (f Filter) keeps(t tenants.Tenant) bool {
	if f.District != "" && !regions.InJurisdiction(f.District, t.RegionCode) {
		return false
	}
	return f.InstitutionKind == "" || t.Kind == f.InstitutionKind
}

func (f Filter) apply(q *bun.SelectQuery, ids []uuid.UUID, monthCol string) *bun.SelectQuery {
	q = q.Where("tenant_id IN (?)", bun.In(ids))
	if f.InstitutionID != uuid.Nil {
		q = q.Where("tenant_id = ?", f.InstitutionID)
	}
	if f.OccupationCode != "" {
		q = q.Where("occupation_code = ?", f.OccupationCode)
	}
	if f.Level != 0 {
		q = q.Where("level = ?", f.Level)
	}
	if monthCol != "" && !f.From.IsZero() {
		q = q.Where(monthCol+" >= ?", f.From)
	}
	if monthCol != "" && !f.To.IsZero() {
		q = q.Where(monthCol+" < ?", f.To.AddDate(0, 1, 0))
	}
	return q
}

// ParseMonth reads "YYYY-MM" as the first day of that month.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return time.Time{}, platform.E(platform.KindInvalid, "invalid_parameter", "months are written YYYY-MM")
	}
	return t.UTC(), nil
}

func rate(passed, candidates int64) float64 {
	if candidates <= 0 {
		return 0
	}
	return float64(int64(float64(passed)/float64(candidates)*10000+0.5)) / 10000
}
