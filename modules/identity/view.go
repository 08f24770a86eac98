package identity

import (
	"time"

	"github.com/google/uuid"
)

// UserView is a user as the JSON API and the console show it (API.md, Identity).
type UserView struct {
	ID          uuid.UUID `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	TenantID    uuid.UUID `json:"tenant_id"`
	Roles       []string  `json:"roles"`
	Status      string    `json:"status,omitempty"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
}

// NewUserView converts a user for display; a user without roles shows "roles": [].
func NewUserView(u User) UserView {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return UserView{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, TenantID: u.TenantID, Roles: roles, Status: u.Status, CreatedAt: u.CreatedAt}
}

// LoginView is the answer to a login: the bearer token, when it expires if unused, and its user.
type LoginView struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      UserView  `json:"user"`
}

// NewLoginView converts a login's result for display.
func NewLoginView(r LoginResult) LoginView {
	return LoginView{Token: r.Token, ExpiresAt: r.ExpiresAt, User: NewUserView(r.User)}
}
