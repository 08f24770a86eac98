package directory

import (
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/tenants"
)

// TenantView is a tenant as the JSON API and the console show it (API.md, Tenants).
type TenantView struct {
	ID         uuid.UUID `json:"id"`
	Slug       string    `json:"slug"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	RegionCode string    `json:"region_code"`
	CreditCode string    `json:"credit_code,omitempty"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}

// NewTenantView converts a tenant for display.
func NewTenantView(t tenants.Tenant) TenantView {
	return TenantView{ID: t.ID, Slug: t.Slug, Name: t.Name, Kind: string(t.Kind), RegionCode: t.RegionCode,
		CreditCode: t.CreditCode, Status: string(t.Status), CreatedAt: t.CreatedAt}
}
