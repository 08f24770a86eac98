package certificates

import (
	"time"

	"github.com/skillcert/skillcert/tenants"
)

// IssuerView is an issuer as its public institution page (and the console) shows it.
type IssuerView struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Kind       tenants.Kind    `json:"kind"`
	KindName   string          `json:"kind_name"`
	RegionCode string          `json:"region_code"`
	Region     string          `json:"region"` // e.g. 北京市朝阳区
	CreditCode string          `json:"credit_code,omitempty"`
	Keys       []IssuerKeyView `json:"keys"`
}

// IssuerKeyView is one of an issuer's public signing keys.
type IssuerKeyView struct {
	KID                string     `json:"kid"` // the RFC 7638 fingerprint
	VerificationMethod string     `json:"verification_method"`
	PublicKeyMultibase string     `json:"public_key_multibase"`
	Active             bool       `json:"active"`
	CreatedAt          time.Time  `json:"created_at"`
	RetiredAt          *time.Time `json:"retired_at,omitempty"`
}

// NewIssuerView converts an issuer for its page.
func NewIssuerView(i Issuer) IssuerView {
	v := IssuerView{
		ID: i.ID, Name: i.Institution.Name, Kind: i.Institution.Kind, KindName: KindName(i.Institution.Kind),
		RegionCode: i.Institution.RegionCode, Region: i.Province + i.Locality, CreditCode: i.Institution.CreditCode,
		Keys: make([]IssuerKeyView, len(i.Keys)),
	}
	for n, k := range i.Keys {
		v.Keys[n] = IssuerKeyView{KID: k.KID, VerificationMethod: k.VerificationMethod, PublicKeyMultibase: k.PublicKeyMultibase,
			Active: k.RetiredAt == nil, CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt}
	}
	return v
}
