package batches

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/tenants"
)

// What batches consumes from other modules, as small interfaces owned here. The server adapts the
// other modules' services to them (modules/server/wire_batches.go).

// Scope is what batches keeps of the approved filing that covers a batch.
type Scope struct {
	FilingID uuid.UUID
	// ValidUntil is the first China calendar day (as UTC midnight) the filing no longer covers; zero
	// when unknown.
	ValidUntil time.Time
}

// ScopeChecker answers whether the tenant in ctx may evaluate an occupation at a level on asOf: the
// approved, unexpired filing covering it, or a 422 out_of_scope error saying why not (no filing, not
// approved, expired, institution suspended, region mismatch). filings.Service provides it.
type ScopeChecker interface {
	CheckScope(ctx context.Context, tx bun.IDB, occupationCode string, level int, asOf time.Time) (Scope, error)
}

// ScopeCheckerFunc adapts a function to ScopeChecker.
type ScopeCheckerFunc func(ctx context.Context, tx bun.IDB, occupationCode string, level int, asOf time.Time) (Scope, error)

// CheckScope calls f.
func (f ScopeCheckerFunc) CheckScope(ctx context.Context, tx bun.IDB, occupationCode string, level int, asOf time.Time) (Scope, error) {
	return f(ctx, tx, occupationCode, level, asOf)
}

// Occupation is what batches needs of a catalog occupation.
type Occupation struct {
	Code         string
	Name         string
	Subtypes     []string // empty when the occupation has none ("--")
	Levels       []int    // national levels it is evaluated at
	StandardYear int      // edition year of the national standard; 0 unknown (picks the newest rules)
}

// OccupationSource looks occupations up in the catalog; an unknown code is a not_found error.
type OccupationSource interface {
	Occupation(ctx context.Context, code string) (Occupation, error)
}

// OccupationSourceFunc adapts a function to OccupationSource.
type OccupationSourceFunc func(ctx context.Context, code string) (Occupation, error)

// Occupation calls f.
func (f OccupationSourceFunc) Occupation(ctx context.Context, code string) (Occupation, error) {
	return f(ctx, code)
}

// Candidate is what batches reads of a candidate (modules/candidates): identity for the application's
// snapshot and the declarations eligibility is decided on. Fields mirror candidates.Candidate.
type Candidate struct {
	ID                      uuid.UUID
	UserID                  *uuid.UUID
	Name                    string
	IDType                  string
	IDNumber                string
	Education               string // an eligibility.Education code or its Chinese name
	RelatedDiploma          bool   // the diploma is in a major related to the occupation
	OccupationYears         int
	CurrentLevel            int // 0 = none
	CurrentLevelObtainedOn  *time.Time
	TitleLevel              string // an eligibility.Title code or its Chinese name
	ApprenticeshipCompleted bool
	Awards                  []string // eligibility.AwardKind codes or Chinese names
}

// Applicant converts the candidate's declarations into the eligibility engine's input. Declarations
// the engine has no condition for (an education or award kind it does not know) are left out rather
// than refused: they can only fail to help, never let a candidate through.
func (c Candidate) Applicant(route eligibility.Route, evidence []string) eligibility.Applicant {
	a := eligibility.Applicant{
		YearsInOccupation:       c.OccupationYears,
		ApprenticeshipCompleted: c.ApprenticeshipCompleted,
		Route:                   route,
		EvidenceFileIDs:         evidence,
	}
	if e, ok := eligibility.ParseEducation(c.Education); ok {
		a.Education = []eligibility.Diploma{{Kind: e, Related: c.RelatedDiploma}}
	}
	if lvl := catalog.Level(c.CurrentLevel); lvl.Valid() && lvl != catalog.LevelApprentice {
		a.CurrentLevel = lvl
		if c.CurrentLevelObtainedOn != nil {
			a.LevelObtained = *c.CurrentLevelObtainedOn
		}
	}
	if t, ok := eligibility.ParseTitle(c.TitleLevel); ok {
		a.Title = t
	}
	for _, s := range c.Awards {
		if k, ok := eligibility.ParseAwardKind(s); ok {
			a.Awards = append(a.Awards, eligibility.Award{Kind: k})
		}
	}
	return a
}

// CandidateSource reads candidates of the tenant in ctx inside tx (so an application made in the same
// transaction as the candidate sees it). Another tenant's candidate is not_found.
type CandidateSource interface {
	CandidateTx(ctx context.Context, tx bun.IDB, id uuid.UUID) (Candidate, error)
	// CandidateByUserTx finds the candidate record of a candidate-role user.
	CandidateByUserTx(ctx context.Context, tx bun.IDB, userID uuid.UUID) (Candidate, error)
}

// UserDirectory tells the roles of a user of the tenant in ctx (not_found for an unknown user or one of
// another tenant; no roles for a disabled user).
type UserDirectory interface {
	UserRoles(ctx context.Context, id uuid.UUID) ([]string, error)
}

// UserDirectoryFunc adapts a function to UserDirectory.
type UserDirectoryFunc func(ctx context.Context, id uuid.UUID) ([]string, error)

// UserRoles calls f.
func (f UserDirectoryFunc) UserRoles(ctx context.Context, id uuid.UUID) ([]string, error) {
	return f(ctx, id)
}

// TenantDirectory resolves tenants for the public pages (by slug) and the scheduler (by id).
// directory.Service provides it.
type TenantDirectory interface {
	BySlug(ctx context.Context, slug string) (tenants.Tenant, error)
	ByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error)
}

// Attendance tells which methods applications were absent from (缺考): seated in a session of the
// method that has ended, with no check-in for it. exams.Service provides it (wired in modules/server);
// without it nobody is absent. Both read in the caller's transaction, in the tenant of ctx.
type Attendance interface {
	// AbsentMethods lists the methods one application is absent from (none: nil).
	AbsentMethods(ctx context.Context, tx bun.IDB, applicationID uuid.UUID) ([]Method, error)
	// Absentees maps a batch's applications absent from some method to those methods.
	Absentees(ctx context.Context, tx bun.IDB, batchID uuid.UUID) (map[uuid.UUID][]Method, error)
}
