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

// CodeRegistrationNotAccepted is the code of ErrRegistrationNotAccepted.
const CodeRegistrationNotAccepted = "registration_not_accepted"

// Errors of self-registration.
var (
	ErrInstitutionNotFound = platform.NotFound("institution")
	ErrNoSelfRegistration  = platform.Unprocessable("self_registration_unavailable",
		"this institution does not take applications from the public; apply through the institution")
	// ErrRegistrationNotAccepted is the one 409 for every registration that would touch an existing
	// account: an ID number that already has a login, a record that names someone else, a taken
	// username. It names no field and is the same in every case, so the public endpoint never confirms
	// to a stranger that a person or a username is registered at the institution; its message points the
	// person back to logging in or to the institution's password reset.
	ErrRegistrationNotAccepted = &platform.Error{Kind: platform.KindConflict, Code: CodeRegistrationNotAccepted,
		Message: "this registration cannot be accepted; if you already have an account with this institution, " +
			"log in with it, or ask the institution to reset your password"}
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
// enterprises and schools; 422 validation_failed; 409 registration_not_accepted (document registered,
// record of someone else, username taken — one answer, see ErrRegistrationNotAccepted);
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
		// refuse is set when the document already belongs to an account or to someone else. The login is
		// still validated and its password hashed (CreateUserTx) before the refusal, so that the answer and
		// the work done are the same as for a taken username or a new person: nobody learns from either
		// which documents or usernames are registered.
		refuse := false
		c, err := candidateByIDNumber(ctx, tx, t.ID, in.IDType, in.IDNumber, true)
		switch {
		case errors.Is(err, ErrNotFound):
			row := rowOf(uuid.New(), t.ID, in, now)
			if err := insertCandidate(ctx, tx, row); err != nil {
				if platform.CodeOf(err) != "duplicate" {
					return err
				}
				// Registered a moment ago by a concurrent request; the failed insert ended the
				// transaction, so only the hashing work is repeated here.
				_, _ = identity.HashPassword(r.Password)
				return ErrRegistrationNotAccepted
			}
			c = row.candidate()
			if err := audit.Record(ctx, tx, audit.Event{Action: "candidate.create", TargetType: "candidate",
				TargetID: c.ID.String(), After: c.audit()}); err != nil {
				return err
			}
		case err != nil:
			return err
		case c.UserID != nil || c.NameKey != NameSearchKey(in.Name):
			refuse = true
		}
		displayName := in.Name
		if rs := []rune(displayName); len(rs) > 100 {
			displayName = string(rs[:100])
		}
		user, err = s.deps.Accounts.CreateUserTx(ctx, tx, t.Kind, identity.NewUser{Username: r.Username,
			Password: r.Password, DisplayName: displayName, Roles: []string{RoleCandidate}})
		if errors.Is(err, identity.ErrUsernameTaken) {
			return ErrRegistrationNotAccepted // a taken username
		}
		if err != nil {
			return err
		}
		if refuse {
			return ErrRegistrationNotAccepted // rolls back the login made for the same work
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
