package policies

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Guard checks declared permissions for routes. OnDenied, when set, records the refused attempt
// (the server wires it to the audit log).
type Guard struct {
	Authorizer *Authorizer
	OnDenied   func(ctx context.Context, action string)
}

// ErrForbidden is the 403 for a role that may not perform an action.
var ErrForbidden = platform.Forbidden("your role may not do this")

// Require returns middleware allowing the request only when the authenticated actor holds action in
// the tenant of their token (the domain is never taken from the request). It runs after authentication.
func (g Guard) Require(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		if err := g.Check(ctx, action); err != nil {
			return err
		}
		return c.Next()
	}
}

// Check is Require for code outside HTTP (the web console, jobs acting for a user).
func (g Guard) Check(ctx context.Context, action string) error {
	scope, ok := tenants.FromContext(ctx)
	actor := tenants.ActorFrom(ctx)
	if !ok || actor.UserID.String() == "00000000-0000-0000-0000-000000000000" {
		return platform.E(platform.KindUnauthenticated, "unauthenticated", "authentication required")
	}
	allowed, err := g.Authorizer.Allowed(scope.TenantID, actor.UserID, action)
	if err != nil {
		return platform.Wrap(platform.KindInternal, "internal", "authorization failed", err)
	}
	if !allowed {
		if g.OnDenied != nil {
			g.OnDenied(ctx, action)
		}
		return ErrForbidden
	}
	return nil
}
