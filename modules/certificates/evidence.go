package certificates

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/tenants"
)

// Evidence is the record behind a certificate number that the public verification page shows beside
// the lookup: the issuing institution and the batch (the page asks their modules for the filing and
// the publicity), the revocation with its reason, the certificate that replaced a reissued one, and
// whether the credential stored at issuance verifies (proof, issuer key and status list).
type Evidence struct {
	Lookup
	InstitutionID uuid.UUID
	CertificateID uuid.UUID
	BatchID       *uuid.UUID
	IssuedAt      *time.Time
	RevokedAt     *time.Time
	RevokeReason  string // ReasonReissued for a certificate replaced by a corrected one
	ReplacedBy    string // the number of the certificate that replaced this one, "" when none
	Credential    credential.Result
}

// SignatureChecked reports whether the stored credential's proof verified against the issuer's key,
// whatever its status (a revoked credential is still authentic).
func (e Evidence) SignatureChecked() bool {
	switch e.Credential.Status {
	case credential.StatusValid, credential.StatusRevoked, credential.StatusSuspended:
		return true
	}
	return false
}

// Evidence reads the record behind a certificate number for the public page: the public lookup row,
// then, in the issuing institution's scope, the certificate, its replacement's number and its stored
// credential, which it verifies. Unknown numbers are ErrNotFound. It costs a few reads and a
// signature check: callers cache it (keyed by number and status, which is all that changes).
func (s *Service) Evidence(ctx context.Context, number string) (Evidence, error) {
	number = strings.ToUpper(strings.TrimSpace(number))
	if !ValidNumber(number) {
		if _, _, _, err := ParsePostNumber(number); err != nil {
			return Evidence{}, ErrNotFound
		}
	}
	var r lookupRow
	if err := s.db.NewSelect().Model(&r).Where("number = ?", number).Scan(ctx); err != nil {
		return Evidence{}, notFound(err)
	}
	ev := Evidence{
		Lookup: Lookup{Number: r.Number, Kind: Kind(r.Kind), Title: r.Title, Valid: r.Status == lookupValid,
			HolderMasked: r.HolderMasked, OccupationCode: r.OccupationCode, OccupationName: r.OccupationName,
			Subtype: r.Subtype, Level: r.Level, Institution: r.Institution, IssuedOn: civilDate(r.IssuedOn), Post: r.Post},
		InstitutionID: r.InstitutionID, CertificateID: r.CertificateID,
	}
	var doc []byte
	ctx = tenants.WithActor(tenants.WithScope(ctx, tenants.Scope{TenantID: r.InstitutionID}), tenants.Actor{Name: "public"})
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		c, err := getCert(ctx, tx, r.InstitutionID, r.CertificateID)
		if err != nil {
			return err
		}
		ev.BatchID, ev.IssuedAt, ev.RevokedAt, ev.RevokeReason = c.BatchID, utcPtr(c.IssuedAt), utcPtr(c.RevokedAt), c.RevokeReason
		if c.ReplacedBy != nil {
			next, err := getCert(ctx, tx, r.InstitutionID, *c.ReplacedBy)
			if err != nil {
				return err
			}
			if next.Number != nil {
				ev.ReplacedBy = *next.Number
			}
		}
		var d docRow
		err = tx.NewSelect().Model(&d).Column("credential").Where("certificate_id = ?", r.CertificateID).Scan(ctx)
		if err = notFound(err); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		doc = d.Credential
		return nil
	})
	if err != nil {
		return Evidence{}, err
	}
	if len(doc) > 0 {
		ev.Credential = s.VerifyCredential(ctx, doc)
	} else {
		ev.Credential = credential.Result{Status: credential.StatusUnknown}
	}
	return ev, nil
}
