// Package identity knows who is calling: users of a tenant with argon2id passwords, login with
// throttling, opaque bearer tokens stored hashed with idle and absolute expiry, and the middleware that
// turns a token into the tenant scope and actor of a request.
package identity

import (
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Permissions of identity, as routes, the console and policies/roles/*.csv name them.
const (
	PermUserCreate  = "user:create"  // create a user in one's tenant
	PermUserList    = "user:list"    // list and read the users of one's tenant
	PermUserDisable = "user:disable" // disable a user and revoke their sessions
	PermUserManage  = "user:manage"  // change a user's roles, reset their password, enable them again
)

// Sort keys of ListUsers; SortCreatedAt is the default.
const (
	SortCreatedAt = "created_at"
	SortUsername  = "username"
)

// User is a person who logs in to one tenant.
type User struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	Username    string
	DisplayName string
	Roles       []string
	Status      string // active | disabled
	CreatedAt   time.Time
}

// User statuses.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// NewUser is the input to create a user.
type NewUser struct {
	Username    string
	Password    string
	DisplayName string
	Roles       []string
}

// Password length bounds: at least 8 (NIST SP 800-63B), and long passphrases up to 128 characters.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$`)

// Errors of identity, with stable codes.
var (
	ErrInvalidCredentials = platform.E(platform.KindUnauthenticated, "invalid_credentials", "tenant, username or password is wrong")
	ErrUnauthenticated    = platform.E(platform.KindUnauthenticated, "unauthenticated", "a valid bearer token is required")
	ErrRateLimited        = platform.E(platform.KindRateLimited, "rate_limited", "too many failed attempts; try again later")
	ErrUsernameTaken      = platform.Conflict("duplicate", "a user with this username exists in the tenant")
	ErrUserNotFound       = platform.NotFound("user")
)

// Validate checks a new user for a tenant of kind whose slug is tenantSlug (the password may not
// contain it, see CheckPassword); validRole says which roles the kind allows.
func (n *NewUser) Validate(kind tenants.Kind, tenantSlug string, validRole func(tenants.Kind, string) bool) error {
	n.Username = strings.TrimSpace(n.Username)
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	var v platform.Validation
	v.Check(usernamePattern.MatchString(n.Username), "username", "format",
		"2–64 letters, digits and . _ @ -, starting with a letter or digit")
	checkPassword(&v, "password", n.Password, n.Username, tenantSlug)
	v.Check(len([]rune(n.DisplayName)) <= 100, "display_name", "too_long", "at most 100 characters")
	if err := checkRoles(&v, kind, n.Roles, validRole); err != nil {
		return err
	}
	return v.Err()
}
