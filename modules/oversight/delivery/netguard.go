package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// errBlockedAddress is the dial error for a target on an address regulators' data must not go to.
var errBlockedAddress = errors.New("refusing a private, loopback or link-local address")

// blockedPrefixes are special-purpose ranges (RFC 6890 and successors) a sync target may not be in,
// besides what netip's predicates cover: carrier-grade NAT, IETF protocol assignments, benchmarking,
// documentation, reserved and NAT64/6to4 forms that embed IPv4 addresses.
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"64:ff9b::/96", "64:ff9b:1::/48", "2001:db8::/32", "2002::/16", "100::/64", "fec0::/10",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// BlockedAddr reports whether a is refused as a sync target: private, loopback, link-local or
// otherwise not a public unicast address.
func BlockedAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// guard resolves and checks sync targets. The address it checked is the address it dials, so a
// DNS answer that changes between the check and the connection (rebinding) cannot redirect a delivery.
type guard struct {
	allowPrivate bool
	resolver     *net.Resolver
	dialer       *net.Dialer
}

// resolve returns host's addresses, refusing every blocked one unless private targets are allowed.
// A name with any blocked address is refused as a whole: a half-private name is a rebinding setup.
func (g *guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ips, err := g.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", host, err)
		}
		addrs = ips
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolving %s: no addresses", host)
	}
	if !g.allowPrivate {
		for _, a := range addrs {
			if BlockedAddr(a) {
				return nil, fmt.Errorf("%s resolves to %s: %w", host, a.Unmap(), errBlockedAddress)
			}
		}
	}
	return addrs, nil
}

// DialContext dials one of the checked addresses of addr's host.
func (g *guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for _, a := range addrs {
		conn, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// checkTarget validates a configured URL's host now (the dialer checks again at every delivery).
func (g *guard) checkTarget(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	_, err = g.resolve(ctx, u.Hostname())
	return err
}

func newGuard(allowPrivate bool) *guard {
	return &guard{allowPrivate: allowPrivate, resolver: net.DefaultResolver,
		dialer: &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
}

// newSyncClient is the HTTP client of deliveries: no proxy (a proxy would connect where the guard
// never looked), no redirects (a redirect could point anywhere), bounded in time.
func newSyncClient(g *guard, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
