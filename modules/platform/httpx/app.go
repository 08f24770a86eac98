package httpx

import (
	"log/slog"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
)

// NewApp returns a fiber app with SkillCert's conventions installed: problem+json errors, request
// ids, panic recovery, access logs and latency metrics, and the body rules. Routes are added after.
func NewApp(log *slog.Logger, m *Metrics, opts ...Option) *fiber.App {
	cfg := fiber.Config{
		AppName:               "skillcert",
		BodyLimit:             UploadBodyLimit,
		ErrorHandler:          ErrorHandler(log),
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		// Responses are encoded by goccy/go-json: the same output as encoding/json (HTML-safe escaping,
		// sorted map keys, the same struct tags) at about half the cost. The longest lists go further
		// and append their own JSON (JSONList). Request bodies keep encoding/json's strict decoder (Bind).
		JSONEncoder: gojson.Marshal,
	}
	for _, o := range opts {
		o(&cfg)
	}
	app := fiber.New(cfg)
	app.Use(RequestID(), AccessLog(log, m), Recover(log), BodyRules())
	return app
}

// Option adjusts the app NewApp builds.
type Option func(*fiber.Config)

// TrustProxies makes c.IP() — what throttling, rate limits and audit see — the client address that a
// reverse proxy in front reports in X-Forwarded-For, believed only when the request comes from one of
// proxies (IP addresses or CIDR ranges): anyone else could write the header. The first valid address
// of the header is taken, which is the client's with a proxy that replaces untrusted values (Caddy's
// default). With none listed, the connection's address is the client's.
func TrustProxies(proxies []string) Option {
	return func(c *fiber.Config) {
		if len(proxies) == 0 {
			return
		}
		c.EnableTrustedProxyCheck = true
		c.TrustedProxies = proxies
		c.ProxyHeader = fiber.HeaderXForwardedFor
		c.EnableIPValidation = true
	}
}
