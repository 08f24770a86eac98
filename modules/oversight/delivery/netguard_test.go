package delivery

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"testing"
)

// TestBlockedAddrEmbeddings: every way an IPv6 address can carry an IPv4 address is refused when
// that IPv4 address is private, loopback, link-local, unspecified or shared (CGNAT); translation and
// relay prefixes are refused whatever they carry; public addresses pass.
func TestBlockedAddrEmbeddings(t *testing.T) {
	cases := []struct {
		name    string
		addr    string
		blocked bool
	}{
		{"IPv4-compatible loopback", "::127.0.0.1", true},
		{"IPv4-compatible private", "::10.1.2.3", true},
		{"IPv4-compatible public (deprecated form)", "::8.8.8.8", true},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", true},
		{"IPv4-mapped private", "::ffff:192.168.1.10", true},
		{"IPv4-mapped CGNAT", "::ffff:100.64.0.1", true},
		{"IPv4-mapped public", "::ffff:8.8.8.8", false},
		{"IPv4-translated private", "::ffff:0:10.0.0.1", true},
		{"NAT64 well-known private", "64:ff9b::10.0.0.1", true},
		{"NAT64 well-known public", "64:ff9b::8.8.8.8", true},
		{"NAT64 local-use private", "64:ff9b:1:7f00:1:0:0:0", true},
		{"6to4 loopback", "2002:7f00:1::1", true},
		{"6to4 private", "2002:c0a8:10a::1", true},
		{"6to4 public", "2002:808:808::1", true},
		{"Teredo, client 127.0.0.1 (inverted)", "2001:0:4136:e378:8000:63bf:80ff:fffe", true},
		{"Teredo, server private", "2001:0:a00:1::1", true},
		{"ISATAP link-local id, private IPv4", "2400:cb00:1:2:0:5efe:10.1.2.3", true},
		{"ISATAP universal id, loopback IPv4", "2400:cb00:1:2:200:5efe:127.0.0.1", true},
		{"ISATAP id, link-local IPv4", "2400:cb00:1:2:0:5efe:169.254.1.1", true},
		{"ISATAP id, public IPv4", "2400:cb00:1:2:0:5efe:8.8.8.8", false},
		{"unspecified", "::", true},
		{"loopback", "::1", true},
		{"unique local", "fd12:3456::1", true},
		{"link-local", "fe80::1", true},
		{"link-local with zone", "fe80::1%eth0", true},
		{"public with zone", "2400:3200::1%eth0", true},
		{"site-local", "fec0::1", true},
		{"multicast", "ff02::1", true},
		{"documentation", "2001:db8::1", true},
		{"documentation 3fff::/20", "3fff::1", true},
		{"discard", "100::1", true},
		{"benchmarking", "2001:2::1", true},
		{"IPv4 unspecified", "0.0.0.0", true},
		{"IPv4 this network", "0.1.2.3", true},
		{"IPv4 broadcast", "255.255.255.255", true},
		{"IPv4 reserved", "240.0.0.1", true},
		{"IPv4 6to4 relay", "192.88.99.1", true},
		{"public IPv4", "114.114.114.114", false},
		{"public IPv6", "2400:3200::1", false},
		{"public IPv6 (2001:4860)", "2001:4860:4860::8888", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := BlockedAddr(netip.MustParseAddr(c.addr)); got != c.blocked {
				t.Errorf("BlockedAddr(%s) = %v, want %v", c.addr, got, c.blocked)
			}
		})
	}
}

// TestGuardRefusesEmbeddedTargets: the URL check refuses literal addresses that embed private IPv4
// addresses, and names that resolve to any blocked address, without asking DNS for literals.
func TestGuardRefusesEmbeddedTargets(t *testing.T) {
	answers := map[string][]netip.Addr{
		"public.example":    {netip.MustParseAddr("2400:3200::1"), netip.MustParseAddr("114.114.114.114")},
		"half.example":      {netip.MustParseAddr("114.114.114.114"), netip.MustParseAddr("::127.0.0.1")},
		"rebinding.example": {netip.MustParseAddr("64:ff9b::a9fe:a9fe")},
	}
	g := &guard{lookup: func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, ok := answers[host]; ok {
			return a, nil
		}
		return nil, errors.New("no such host")
	}}
	cases := []struct {
		url     string
		blocked bool
	}{
		{"https://[::127.0.0.1]/x", true},
		{"https://[::ffff:127.0.0.1]/x", true},
		{"https://[::ffff:7f00:1]:8443/x", true},
		{"https://[64:ff9b::169.254.169.254]/latest/meta-data", true},
		{"https://[2002:a00:1::1]/", true},
		{"https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", true},
		{"https://[2400:cb00:1:2:0:5efe:10.0.0.1]/", true},
		{"https://[fe80::1%25eth0]/", true},
		{"https://half.example/", true},
		{"https://rebinding.example/", true},
		{"https://public.example/", false},
		{"https://[2400:3200::1]/", false},
		{"https://114.114.114.114/", false},
	}
	for _, c := range cases {
		err := g.checkTarget(context.Background(), c.url)
		if got := errors.Is(err, errBlockedAddress); got != c.blocked || (!c.blocked && err != nil) {
			t.Errorf("%s: err = %v, want blocked %v", c.url, err, c.blocked)
		}
	}
}

// FuzzSyncURL: for any URL and any DNS answer, the guard never panics, and whatever it lets through
// (what the dialer would connect to) is a public address by refused(), a check written independently
// of the guard's. The seed corpus is testdata/fuzz/FuzzSyncURL; plain `go test` runs it.
func FuzzSyncURL(f *testing.F) {
	f.Add("https://[::127.0.0.1]/x", []byte(nil))
	f.Add("https://reports.example/", []byte{0x7f, 0, 0, 1})
	f.Fuzz(func(t *testing.T, raw string, answer []byte) {
		addrs := decodeAnswer(answer)
		g := &guard{lookup: func(context.Context, string) ([]netip.Addr, error) { return addrs, nil }}
		if err := g.checkTarget(context.Background(), raw); err != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%q accepted but does not parse: %v", raw, err)
		}
		accepted, err := g.resolve(context.Background(), u.Hostname())
		if err != nil {
			t.Fatalf("%q accepted, then its host is refused: %v", raw, err)
		}
		for _, a := range accepted {
			if why := refused(a); why != "" {
				t.Fatalf("%q accepted with address %s: %s", raw, a, why)
			}
		}
	})
}

// decodeAnswer reads a DNS answer from fuzz bytes: 16 bytes per IPv6 address, then 4 for an IPv4 one.
func decodeAnswer(b []byte) []netip.Addr {
	var out []netip.Addr
	for len(b) >= 16 {
		out = append(out, netip.AddrFrom16([16]byte(b[:16])))
		b = b[16:]
	}
	if len(b) >= 4 {
		out = append(out, netip.AddrFrom4([4]byte(b[:4])))
	}
	return out
}

// refused names the refused address class of a, or "" for a public address. It decodes the
// embeddings byte by byte, apart from the guard's code.
func refused(a netip.Addr) string {
	if a.Zone() != "" {
		return "zoned"
	}
	b := a.As16()
	if a.Is4() || (a.Is4In6()) {
		return refused4([4]byte{b[12], b[13], b[14], b[15]})
	}
	zero := func(bs ...byte) bool {
		for _, x := range bs {
			if x != 0 {
				return false
			}
		}
		return true
	}
	switch {
	case b[0] == 0xff:
		return "multicast"
	case b[0] == 0xfe && b[1]&0xc0 == 0x80:
		return "link-local"
	case b[0]&0xfe == 0xfc:
		return "unique local"
	case zero(b[:12]...):
		return "IPv4-compatible, unspecified or loopback"
	}
	var embedded [][4]byte
	switch {
	case zero(b[:8]...) && b[8] == 0xff && b[9] == 0xff && zero(b[10:12]...): // ::ffff:0:a.b.c.d
		embedded = append(embedded, [4]byte{b[12], b[13], b[14], b[15]})
	case b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b: // 64:ff9b::/32 (NAT64)
		embedded = append(embedded, [4]byte{b[12], b[13], b[14], b[15]}, [4]byte{b[6], b[7], b[9], b[10]})
	case b[0] == 0x20 && b[1] == 0x02: // 6to4
		embedded = append(embedded, [4]byte{b[2], b[3], b[4], b[5]})
	case b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0: // Teredo
		embedded = append(embedded, [4]byte{b[4], b[5], b[6], b[7]}, [4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
	}
	if (b[8] == 0 || b[8] == 2) && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe { // ISATAP
		embedded = append(embedded, [4]byte{b[12], b[13], b[14], b[15]})
	}
	for _, v4 := range embedded {
		if why := refused4(v4); why != "" {
			return "embeds " + why
		}
	}
	return ""
}

func refused4(b [4]byte) string {
	switch {
	case b[0] == 0:
		return "unspecified or this network"
	case b[0] == 10, b[0] == 172 && b[1]&0xf0 == 16, b[0] == 192 && b[1] == 168:
		return "private"
	case b[0] == 127:
		return "loopback"
	case b[0] == 169 && b[1] == 254:
		return "link-local"
	case b[0] == 100 && b[1]&0xc0 == 64:
		return "shared (CGNAT)"
	case b[0] >= 224:
		return "multicast, reserved or broadcast"
	}
	return ""
}
