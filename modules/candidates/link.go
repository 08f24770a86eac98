package candidates

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// ErrNotACandidateLogin refuses to link a login that is not the institution's or holds no candidate role.
var ErrNotACandidateLogin = &platform.Error{Kind: platform.KindInvalid, Code: "validation_failed",
	Message: "the login is not one of the institution's candidate logins",
	Fields:  []platform.FieldError{{Field: "user_id", Code: "not_candidate", Message: "a login of the institution with the candidate role"}}}

// LinkLogin links an existing login of the institution in ctx, one holding the candidate role, to a
// candidate record that has no login yet, so that the person sees their own applications, admission
// tickets and results when they log in (self-registration links the two itself); audited. 404 for an
// unknown record; 422 for a login that is not a candidate login of the institution; 409 duplicate when
// the record already has a login or the login already has a record.
func (s *Service) LinkLogin(ctx context.Context, candidateID, userID uuid.UUID) error {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return err
	}
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		c, err := candidateByID(ctx, tx, scope.TenantID, candidateID, true)
		if err != nil {
			return err
		}
		if c.UserID != nil {
			return duplicateError("user_id")
		}
		ok, err := isCandidateLogin(ctx, tx, scope.TenantID, userID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotACandidateLogin
		}
		if err := linkUser(ctx, tx, scope.TenantID, c.ID, userID, s.clock()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "candidate.link_login", TargetType: "candidate", TargetID: c.ID.String(),
			Before: map[string]any{"user_id": nil}, After: map[string]any{"user_id": userID}})
	})
}

// isCandidateLogin reports whether userID is a login of the tenant holding the candidate role (the
// role assignments identity keeps, read under the tenant's row-level security).
func isCandidateLogin(ctx context.Context, db bun.IDB, tenantID, userID uuid.UUID) (bool, error) {
	return db.NewSelect().Table("user_roles").Where("tenant_id = ? AND user_id = ? AND role = ?", tenantID, userID, RoleCandidate).Exists(ctx)
}
