package candidates

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// RoleCandidate is the role a self-registered person's login holds.
const RoleCandidate = "candidate"

// Registration is what a person sends to apply to an open batch of a social organisation on their own:
// the login they want and their candidate record.
type Registration struct {
	Username string
	Password string
	Input
}

// Registered is the outcome of a self-registration.
type Registered struct {
	CandidateID uuid.UUID
	UserID      uuid.UUID
	TenantID    uuid.UUID
	Application any // the Applier's DTO of the new application
}

// Errors of self-registration.
var (
	ErrInstitutionNotFound = platform.NotFound("institution")
	ErrNoSelfRegistration  = platform.Unprocessable("self_registration_unavailable",
		"this institution does not take applications from the public; apply through the institution")
	// ErrAlreadyRegistered is the 409 for an ID number that already has a login, or whose record
	// names someone else: the same answer either way, so the endpoint tells nobody who is registered.
	ErrAlreadyRegistered = &platform.Error{Kind: platform.KindConflict, Code: "duplicate",
		Message: "a candidate with this ID number is already registered with the institution; log in instead",
		Fields:  []platform.FieldError{{Field: IDNumberField, Code: "duplicate", Message: "already registered"}}}
)

// SelfRegister lets a person apply to batch batchID of the social organisation slug without an
// account: in ONE transaction of that institution it finds or creates their candidate record, creates
// their login with role candidate, links the two and applies the candidate to the batch through the
// Applier; after the commit the login's role reaches the authorizer, so they can log in at once.
//
// An existing record with the same document is reused only when it has no login yet and carries the
// same name (by search key): knowing someone's ID number must not be enough to take over their record,
// their applications and results. Staff-entered data of a reused record is kept as it is.
//
// Errors: 404 unknown institution (or not an institution); 422 self_registration_unavailable for
// enterprises and schools; 422 validation_failed; 409 duplicate (document registered, username taken);
// and the Applier's errors (404 batch, 409 invalid_state, 422 deadline_passed/capacity_full).
func (s *Service) SelfRegister(ctx context.Context, slug string, batchID uuid.UUID, r Registration) (Registered, error) {
	if s.deps.Tenants == nil || s.deps.Accounts == nil {
		return Registered{}, errUnavailable("self-registration")
	}
	t, err := s.deps.Tenants.BySlug(ctx, slug)
	if err != nil {
		if platform.KindOf(err) == platform.KindNotFound {
			return Registered{}, ErrInstitutionNotFound
		}
		return Registered{}, err
	}
	if !t.Kind.IsInstitution() || t.Status == tenants.StatusDisabled {
		return Registered{}, ErrInstitutionNotFound
	}
	if t.Kind != tenants.KindSocialOrg {
		return Registered{}, ErrNoSelfRegistration
	}
	applier := s.deps.Applier
	if applier == nil {
		return Registered{}, errUnavailable("applying to batches")
	}
	scope := tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}
	ctx = tenants.WithActor(tenants.WithScope(ctx, scope), tenants.Actor{Name: "public:self-registration"})

	in := r.Input
	in.Normalize()
	now := s.clock()
	if err := in.Validate(t.Kind, now); err != nil {
		return Registered{}, err
	}
	var out Registered
	var user identity.User
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		c, err := candidateByIDNumber(ctx, tx, t.ID, in.IDType, in.IDNumber, true)
		switch {
		case errors.Is(err, ErrNotFound):
			row := rowOf(uuid.New(), t.ID, in, now)
			if err := insertCandidate(ctx, tx, row); err != nil {
				if platform.CodeOf(err) == "duplicate" {
					return ErrAlreadyRegistered
				}
				return err
			}
			c = row.candidate()
			if err := audit.Record(ctx, tx, audit.Event{Action: "candidate.create", TargetType: "candidate",
				TargetID: c.ID.String(), After: c.audit()}); err != nil {
				return err
			}
		case err != nil:
			return err
		case c.UserID != nil || c.NameKey != NameSearchKey(in.Name):
			return ErrAlreadyRegistered
		}
		displayName := in.Name
		if rs := []rune(displayName); len(rs) > 100 {
			displayName = string(rs[:100])
		}
		user, err = s.deps.Accounts.CreateUserTx(ctx, tx, t.Kind, identity.NewUser{Username: r.Username,
			Password: r.Password, DisplayName: displayName, Roles: []string{RoleCandidate}})
		if err != nil {
			return err
		}
		if err := linkUser(ctx, tx, t.ID, c.ID, user.ID, now); err != nil {
			return err
		}
		// From here on the person acts as themselves.
		ctx = tenants.WithActor(ctx, tenants.Actor{UserID: user.ID, Name: user.Username, Roles: user.Roles})
		c.UserID = &user.ID
		if err := audit.Record(ctx, tx, audit.Event{Action: "candidate.self_register", TargetType: "candidate",
			TargetID: c.ID.String(), After: map[string]any{"candidate": c.audit(), "batch_id": batchID.String()}}); err != nil {
			return err
		}
		app, err := applier.ApplyTx(ctx, tx, batchID, c.ID)
		if err != nil {
			return err
		}
		out = Registered{CandidateID: c.ID, UserID: user.ID, TenantID: t.ID, Application: app}
		return nil
	})
	if err != nil {
		return Registered{}, err
	}
	return out, s.deps.Accounts.ApplyRoles(ctx, t.Kind, t.ID, user)
}
