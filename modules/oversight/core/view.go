package core

import (
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/tenants"
)

// Institution is an institution as a regulator sees it in the register.
type Institution struct {
	ID         uuid.UUID      `json:"id"`
	Slug       string         `json:"slug"`
	Name       string         `json:"name"`
	Kind       tenants.Kind   `json:"kind"`
	RegionCode string         `json:"region_code"`
	CreditCode string         `json:"credit_code,omitempty"`
	Status     tenants.Status `json:"status"`
	CreatedAt  time.Time      `json:"created_at"`
}

// NewInstitution is the register entry t as a regulator sees it.
func NewInstitution(t tenants.Tenant) Institution {
	return Institution{ID: t.ID, Slug: t.Slug, Name: t.Name, Kind: t.Kind, RegionCode: t.RegionCode, CreditCode: t.CreditCode,
		Status: t.Status, CreatedAt: t.CreatedAt.UTC()}
}
