package certificates

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

// ErrUnknownIssuer answers for an issuer id that names no institution.
var ErrUnknownIssuer = platform.NotFound("issuer")

// Issuer is an institution as the issuer of its credentials, what its issuer id (the URL every
// credential, post credential and status list credential of the institution names, and the base of
// its proofs' verificationMethod) serves: the institution's public profile and every key it has
// signed with. Retired keys are kept: they verify what they signed before the rotation.
type Issuer struct {
	// ID is the issuer id: <public URL>/issuers/<institution id>.
	ID          string
	Institution tenants.Tenant
	// Province and Locality name the institution's region (GB/T 2260), e.g. 北京市 and 朝阳区;
	// empty when the code is not a current division.
	Province, Locality string
	// Keys are the signing keys, newest first.
	Keys []IssuerKey

	ring *credential.KeyRing
}

// IssuerKey is one public signing key of an issuer.
type IssuerKey struct {
	// KID is the key's RFC 7638 JWK thumbprint, the fragment of its verificationMethod.
	KID string
	// VerificationMethod is the id proofs name the key by: <issuer id>#<kid>.
	VerificationMethod string
	// PublicKeyMultibase is the Ed25519 public key as a Multikey (base58btc of 0xed01 + key).
	PublicKeyMultibase string
	CreatedAt          time.Time
	RetiredAt          *time.Time
}

// KindName returns the Chinese name of an institution kind (企业, 社会培训评价组织, 技工院校), or ""
// for a tenant kind that is not an institution.
func KindName(k tenants.Kind) string {
	switch k {
	case tenants.KindEnterprise:
		return "企业"
	case tenants.KindSocialOrg:
		return "社会培训评价组织"
	case tenants.KindSchool:
		return "技工院校"
	}
	return ""
}

// Issuer returns the issuer of the institution whose id an issuer id carries. Only institutions
// issue: any other tenant, like an unknown id, is ErrUnknownIssuer. A suspended or disabled
// institution is still served, as the credentials it issued are still in circulation.
func (s *Service) Issuer(ctx context.Context, institutionID uuid.UUID) (Issuer, error) {
	inst, err := s.institutions.ByID(ctx, institutionID)
	if platform.KindOf(err) == platform.KindNotFound || (err == nil && !inst.Kind.IsInstitution()) {
		return Issuer{}, ErrUnknownIssuer
	}
	if err != nil {
		return Issuer{}, err
	}
	var rows []keyRow
	// A public read before any tenant is in the context, as for the JWKS; listKeys keeps to this
	// institution's rows.
	err = tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		rows, err = listKeys(ctx, tx, inst.ID)
		return err
	})
	if err != nil {
		return Issuer{}, err
	}
	keys := make([]*credential.Key, 0, len(rows))
	for _, r := range rows {
		k, err := publicKeyOf(r)
		if err != nil {
			return Issuer{}, fmt.Errorf("signing key %s: %w", r.KID, err)
		}
		keys = append(keys, k)
	}
	ring, err := credential.NewKeyRing(s.issuerID(inst.ID), keys...)
	if err != nil {
		return Issuer{}, err
	}
	iss := Issuer{ID: ring.Issuer(), Institution: inst, ring: ring}
	iss.Province, iss.Locality = regionNames(inst.RegionCode)
	for _, k := range ring.Keys() {
		ik := IssuerKey{KID: k.KID, VerificationMethod: ring.VerificationMethod(k),
			PublicKeyMultibase: credential.EncodePublicKeyMultibase(k.Public), CreatedAt: k.CreatedAt.UTC()}
		if !k.RetiredAt.IsZero() {
			t := k.RetiredAt.UTC()
			ik.RetiredAt = &t
		}
		iss.Keys = append(iss.Keys, ik)
	}
	return iss, nil
}

// Document returns the issuer's Open Badges 3.0 Profile as a W3C controlled identifier document
// (JSON-LD): what a verifier dereferencing a proof's verificationMethod reads (see
// credential.ControllerDocument). Its url is the issuer id itself, which serves people the
// institution's public page.
func (i Issuer) Document() ([]byte, error) {
	if i.ring == nil {
		return nil, platform.E(platform.KindInternal, "no_issuer", "issuer not loaded by Service.Issuer")
	}
	p := credential.Profile{
		Name:        i.Institution.Name,
		URL:         i.ID,
		Description: "职业技能等级认定评价机构（" + KindName(i.Institution.Kind) + "）",
	}
	if i.Province != "" {
		p.Address = &credential.Address{Country: "中国", CountryCode: "CN", Region: i.Province, Locality: i.Locality}
	}
	if i.Institution.CreditCode != "" {
		p.Identifiers = append(p.Identifiers, credential.Identifier{Identifier: i.Institution.CreditCode, Type: "ext:unifiedSocialCreditCode"})
	}
	return credential.ControllerDocument(i.ring, p)
}

// regionNames splits a region code's full name into its province-level division and the rest
// (city and county), e.g. 440305 → 广东省, 深圳市南山区.
func regionNames(code string) (province, locality string) {
	r, ok := regions.Lookup(code)
	if !ok {
		return "", ""
	}
	for ; ok; r, ok = regions.Lookup(r.Parent) {
		if r.Level == regions.Province {
			return r.Name, locality
		}
		locality = r.Name + locality
	}
	return "", locality
}
