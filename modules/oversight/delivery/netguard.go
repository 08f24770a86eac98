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

// blockedPrefixes are special-purpose ranges (the IANA special-purpose address registries, RFC 6890
// and successors) a sync target may not be in, besides what netip's predicates cover. IPv6 forms
// that carry an IPv4 address over a translator or relay are refused as a whole, public or not: the
// path to them runs through a box the guard cannot see, which may well sit inside the operator's own
// network.
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",          // "this network"
		"100.64.0.0/10",      // shared address space, carrier-grade NAT (RFC 6598)
		"192.0.0.0/24",       // IETF protocol assignments
		"192.0.2.0/24",       // documentation (TEST-NET-1)
		"192.88.99.0/24",     // 6to4 relay anycast (deprecated, RFC 7526)
		"198.18.0.0/15",      // benchmarking
		"198.51.100.0/24",    // documentation (TEST-NET-2)
		"203.0.113.0/24",     // documentation (TEST-NET-3)
		"240.0.0.0/4",        // reserved
		"255.255.255.255/32", // limited broadcast
		"::/96",              // IPv4-compatible (deprecated, RFC 4291), with :: and ::1
		"::ffff:0:0:0/96",    // IPv4-translated (SIIT, RFC 2765)
		"64:ff9b::/96",       // NAT64 well-known prefix (RFC 6052)
		"64:ff9b:1::/48",     // NAT64 local use (RFC 8215)
		"100::/64",           // discard only (RFC 6666)
		"2001::/32",          // Teredo (RFC 4380)
		"2001:2::/48",        // benchmarking (RFC 5180)
		"2001:10::/28",       // ORCHID (deprecated, RFC 4843)
		"2001:db8::/32",      // documentation
		"2002::/16",          // 6to4 (RFC 3056)
		"3fff::/20",          // documentation (RFC 9637)
		"5f00::/16",          // SRv6 segment identifiers (RFC 9602)
		"fec0::/10",          // site-local (deprecated, RFC 3879)
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// BlockedAddr reports whether a is refused as a sync target: anything but a public unicast address —
// private, loopback, link-local, multicast, unspecified, a special-purpose range, an address with a
// zone — and any IPv6 address that embeds such an IPv4 address (IPv4-mapped, IPv4-compatible,
// IPv4-translated, NAT64, 6to4, Teredo, ISATAP).
func BlockedAddr(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return true
	}
	a = a.Unmap() // IPv4-mapped ::ffff:a.b.c.d is a.b.c.d
	if special(a) {
		return true
	}
	for _, v4 := range embeddedIPv4(a) {
		if special(v4) {
			return true
		}
	}
	return false
}

// special reports whether a (unmapped) is not a public unicast address.
func special(a netip.Addr) bool {
	if !a.IsGlobalUnicast() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
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

// The IPv6 prefixes that embed an IPv4 address, and ISATAP's interface identifier marks.
var (
	compatible  = netip.MustParsePrefix("::/96")
	translated  = netip.MustParsePrefix("::ffff:0:0:0/96")
	nat64       = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local  = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour   = netip.MustParsePrefix("2002::/16")
	teredo      = netip.MustParsePrefix("2001::/32")
	isatapLocal = [4]byte{0x00, 0x00, 0x5e, 0xfe}
	isatapUniv  = [4]byte{0x02, 0x00, 0x5e, 0xfe}
)

// embeddedIPv4 returns the IPv4 addresses an IPv6 address carries: in its last 32 bits (IPv4-compatible,
// IPv4-translated, NAT64 /96, ISATAP interface identifiers), after the 48-bit NAT64 local-use prefix
// (RFC 6052: bits 48–63 and 72–87), after 2002::/16 (6to4), or as a Teredo server (bits 32–63) and
// client (the last 32 bits, inverted).
func embeddedIPv4(a netip.Addr) []netip.Addr {
	if !a.Is6() {
		return nil
	}
	b := a.As16()
	v4 := func(p, q, r, s byte) netip.Addr { return netip.AddrFrom4([4]byte{p, q, r, s}) }
	var out []netip.Addr
	switch {
	case compatible.Contains(a), translated.Contains(a), nat64.Contains(a):
		out = append(out, v4(b[12], b[13], b[14], b[15]))
	case nat64Local.Contains(a):
		out = append(out, v4(b[6], b[7], b[9], b[10]))
	case sixToFour.Contains(a):
		out = append(out, v4(b[2], b[3], b[4], b[5]))
	case teredo.Contains(a):
		out = append(out, v4(b[4], b[5], b[6], b[7]), v4(^b[12], ^b[13], ^b[14], ^b[15]))
	}
	if iid := [4]byte{b[8], b[9], b[10], b[11]}; iid == isatapLocal || iid == isatapUniv {
		out = append(out, v4(b[12], b[13], b[14], b[15]))
	}
	return out
}

// guard resolves and checks sync targets. The address it checked is the address it dials, so a
// DNS answer that changes between the check and the connection (rebinding) cannot redirect a delivery.
type guard struct {
	allowPrivate bool
	lookup       func(ctx context.Context, host string) ([]netip.Addr, error)
	dialer       *net.Dialer
}

// resolve returns host's addresses, refusing every blocked one unless private targets are allowed.
// A name with any blocked address is refused as a whole: a half-private name is a rebinding setup.
func (g *guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ips, err := g.lookup(ctx, host)
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
	return &guard{allowPrivate: allowPrivate,
		lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		},
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
