package httpx

import (
	"bytes"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
)

// NewApp returns a fiber app with SkillCert's conventions installed: problem+json errors, request
// ids, panic recovery, access logs and latency metrics, the body rules, and the refusal of text the
// database cannot hold (TextRules). Routes are added after.
func NewApp(log *slog.Logger, m *Metrics, opts ...Option) *fiber.App {
	cfg := appConfig{fiber: fiber.Config{
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
	}}
	for _, o := range opts {
		o(&cfg)
	}
	if page := cfg.pages; page != nil {
		problem := cfg.fiber.ErrorHandler
		cfg.fiber.ErrorHandler = func(c *fiber.Ctx, err error) error {
			if !strings.HasPrefix(c.Path(), "/api/") && page(c, err) {
				return nil
			}
			return problem(c, err)
		}
	}
	app := fiber.New(cfg.fiber)
	if len(cfg.proxies) > 0 {
		app.Use(ClientAddress(cfg.proxies))
	}
	app.Use(RequestID(), AccessLog(log, m), Recover(log), BodyRules(), TextRules())
	return app
}

// Option adjusts the app NewApp builds.
type Option func(*appConfig)

// appConfig is what options adjust: fiber's configuration and SkillCert's own settings.
type appConfig struct {
	fiber   fiber.Config
	proxies []netip.Prefix
	pages   func(c *fiber.Ctx, err error) bool
}

// PageErrors hands the errors of requests outside the JSON API (paths not under /api/) to page before
// they become problem+json: the errors no route answered for itself — the edge rules refusing text or
// a body (TextRules, BodyRules), an unknown path, a panic. page writes an answer (an HTML error page of
// the console, same status) and reports true when the request is one of its own; otherwise the error is
// problem+json as everywhere. The API's answers never change.
func PageErrors(page func(c *fiber.Ctx, err error) bool) Option {
	return func(c *appConfig) { c.pages = page }
}

// TrustProxies makes c.IP() — what throttling, rate limits and audit see — the client address that
// reverse proxies in front report in X-Forwarded-For, believed only when the request comes from one of
// proxies (IP addresses or CIDR ranges): anyone else could write the header. Entries that are not
// addresses are ignored. With none listed, the connection's address is the client's. See
// ClientAddress for which entry is taken.
func TrustProxies(proxies []string) Option {
	return func(c *appConfig) {
		for _, p := range proxies {
			p = strings.TrimSpace(p)
			if pfx, err := netip.ParsePrefix(p); err == nil {
				c.proxies = append(c.proxies, pfx.Masked())
			} else if a, err := netip.ParseAddr(p); err == nil {
				a = a.Unmap()
				c.proxies = append(c.proxies, netip.PrefixFrom(a, a.BitLen()))
			}
			// platform.LoadConfig refuses anything else before we get here.
		}
	}
}

// ClientAddress makes the request's remote address — what c.IP() reports — the client's, when the
// connection comes from a trusted proxy: the rightmost X-Forwarded-For entry that is not itself a
// trusted proxy. Each proxy appends the address it was connected from, so walking from the right
// through the trusted hops reaches the first address no trusted proxy vouches for being a proxy:
// the client as our outermost proxy saw it. Everything left of it is whatever the client wrote and is
// never believed. Several X-Forwarded-For headers are one list in their order; entries may carry
// spaces, a port, or IPv6 brackets. When every entry is a trusted proxy, the leftmost is taken. An
// entry that is not an address ends the walk (the client behind it is unknown): the nearest trusted
// hop stands, so garbage can never select an address further left.
func ClientAddress(trusted []netip.Prefix) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.Context()
		tcp, ok := ctx.RemoteAddr().(*net.TCPAddr)
		if !ok {
			return c.Next()
		}
		remote, ok := netip.AddrFromSlice(tcp.IP)
		if !ok || !isTrusted(remote.Unmap(), trusted) {
			return c.Next()
		}
		values := ctx.Request.Header.PeekAll(fiber.HeaderXForwardedFor)
		if len(values) == 0 {
			return c.Next()
		}
		if client, ok := forwardedClient(values, trusted); ok {
			ctx.SetRemoteAddr(&net.TCPAddr{IP: client.AsSlice(), Zone: client.Zone()})
		}
		return c.Next()
	}
}

// forwardedClient walks X-Forwarded-For values from the right, as ClientAddress describes.
func forwardedClient(values [][]byte, trusted []netip.Prefix) (netip.Addr, bool) {
	var nearest netip.Addr // the leftmost trusted hop seen so far
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for len(v) > 0 {
			entry := v
			if j := bytes.LastIndexByte(v, ','); j >= 0 {
				entry, v = v[j+1:], v[:j]
			} else {
				v = nil
			}
			entry = bytes.TrimSpace(entry)
			if len(entry) == 0 {
				continue // "a,,b" or a trailing comma: an empty list element, not an entry
			}
			a, ok := parseForwarded(string(entry))
			if !ok {
				return nearest, nearest.IsValid()
			}
			if !isTrusted(a, trusted) {
				return a, true
			}
			nearest = a
		}
	}
	return nearest, nearest.IsValid()
}

// parseForwarded reads one X-Forwarded-For entry: an address, optionally with a port or in brackets.
func parseForwarded(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
