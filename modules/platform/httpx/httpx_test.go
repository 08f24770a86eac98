package httpx_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// TestBodyLimitsOverTheWire runs a real listener: fasthttp enforces the 32 MiB limit while reading,
// before any handler, and the answer is still problem+json.
func TestBodyLimitsOverTheWire(t *testing.T) {
	app := httpx.NewApp(slog.New(slog.NewTextHandler(io.Discard, nil)), httpx.NewMetrics(prometheus.NewRegistry()))
	app.Post("/upload", func(c *fiber.Ctx) error { return c.SendString("ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	defer app.Shutdown() //nolint:errcheck
	url := "http://" + ln.Addr().String() + "/upload"

	tests := []struct {
		name        string
		size        int
		contentType string
		status      int
		code        string
	}{
		{"small JSON passes", 1000, "application/json", 200, ""},
		{"JSON over 1 MiB", 2 << 20, "application/json", 413, "body_too_large"},
		{"upload under 32 MiB passes", 8 << 20, "multipart", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Not zeros: a NUL byte is refused by TextRules whatever the size.
			body, ctype := bytes.Repeat([]byte{'a'}, tc.size), tc.contentType
			if tc.contentType == "multipart" {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				fw, _ := mw.CreateFormFile("file", "candidates.csv")
				_, _ = fw.Write(body)
				_ = mw.Close()
				body, ctype = buf.Bytes(), mw.FormDataContentType()
			}
			res, err := http.Post(url, ctype, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.code != "" {
				var p httpx.Problem
				if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
					t.Fatal(err)
				}
				if p.Code != tc.code || res.Header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("problem %+v (%s)", p, res.Header.Get("Content-Type"))
				}
			}
		})
	}
}

// TestOversizedUploadRefusedBeforeReading declares a 33 MiB body and sends none of it: the server
// answers 413 from the headers alone, so an oversized upload is never read into memory.
func TestOversizedUploadRefusedBeforeReading(t *testing.T) {
	app := httpx.NewApp(slog.New(slog.NewTextHandler(io.Discard, nil)), httpx.NewMetrics(prometheus.NewRegistry()))
	app.Post("/upload", func(c *fiber.Ctx) error { return c.SendString("ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	defer app.Shutdown() //nolint:errcheck
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n", 33<<20)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p httpx.Problem
	_ = json.NewDecoder(res.Body).Decode(&p)
	if res.StatusCode != http.StatusRequestEntityTooLarge || p.Code != "body_too_large" {
		t.Fatalf("status %d problem %+v", res.StatusCode, p)
	}
}

// TestTrustProxies: X-Forwarded-For names the client only when the request comes from a listed proxy;
// from anyone else the header is ignored, so a client cannot pick the address it is throttled under.
// The client is the rightmost entry that is not a trusted proxy: entries to its left are whatever the
// client wrote.
func TestTrustProxies(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		headers []string // X-Forwarded-For headers, in order; the connection comes from 127.0.0.1
		want    string
	}{
		{"no proxies: the connection's address", nil, []string{"203.0.113.7"}, "127.0.0.1"},
		{"another proxy trusted: the header is ignored", []string{"10.9.9.9"}, []string{"203.0.113.7"}, "127.0.0.1"},
		{"trusted, no header: the connection's address", []string{"127.0.0.1"}, nil, "127.0.0.1"},
		{"loopback trusted: the header's address", []string{"127.0.0.1"}, []string{"203.0.113.7"}, "203.0.113.7"},
		{"the client's own entry is not believed", []string{"127.0.0.1"}, []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"an untrusted hop is the client", []string{"127.0.0.0/8"}, []string{"203.0.113.7, 10.0.0.2"}, "10.0.0.2"},
		{"trusted hops are skipped", []string{"127.0.0.0/8", "10.0.0.0/8"}, []string{"198.51.100.1, 203.0.113.7, 10.0.0.2"}, "203.0.113.7"},
		{"several headers are one list", []string{"127.0.0.1", "10.0.0.0/8"}, []string{"198.51.100.1", "203.0.113.7, 10.0.0.2"}, "203.0.113.7"},
		{"several headers, client in the first", []string{"127.0.0.1", "10.0.0.0/8"}, []string{"198.51.100.1, 203.0.113.9", "10.0.0.2"}, "203.0.113.9"},
		{"spaces and empty elements", []string{"127.0.0.1", "10.0.0.0/8"}, []string{"  198.51.100.1 ,203.0.113.7 , ,10.0.0.2  "}, "203.0.113.7"},
		{"IPv6 client", []string{"127.0.0.1"}, []string{"198.51.100.1, 2001:db8::1"}, "2001:db8::1"},
		{"IPv6 with brackets and port", []string{"127.0.0.1"}, []string{"[2001:db8::2]:4711"}, "2001:db8::2"},
		{"IPv6 trusted range", []string{"127.0.0.1", "2001:db8:ffff::/48"}, []string{"2001:db8::3, 2001:db8:ffff::1"}, "2001:db8::3"},
		{"IPv4 with port", []string{"127.0.0.1"}, []string{"203.0.113.7:5555"}, "203.0.113.7"},
		{"IPv4-mapped IPv6", []string{"127.0.0.1", "10.0.0.0/8"}, []string{"::ffff:203.0.113.7, ::ffff:10.0.0.2"}, "203.0.113.7"},
		{"all trusted: the leftmost", []string{"127.0.0.1", "10.0.0.0/8"}, []string{"10.0.0.5, 10.0.0.2"}, "10.0.0.5"},
		{"garbage left of the client is ignored", []string{"127.0.0.1"}, []string{"garbage, 203.0.113.7"}, "203.0.113.7"},
		{"garbage ends the walk: the nearest proxy stands", []string{"127.0.0.1", "10.0.0.0/8"}, []string{"198.51.100.1, unknown, 10.0.0.2"}, "10.0.0.2"},
		{"only garbage: the connection's address", []string{"127.0.0.1"}, []string{"<script>, 999.1.1.1"}, "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := httpx.NewApp(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, httpx.TrustProxies(tc.proxies))
			app.Get("/ip", func(c *fiber.Ctx) error { return c.SendString(c.IP()) })
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = app.Listener(ln) }()
			defer app.Shutdown() //nolint:errcheck
			req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/ip", nil)
			for _, h := range tc.headers {
				req.Header.Add("X-Forwarded-For", h)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if string(body) != tc.want {
				t.Fatalf("c.IP() = %q, want %q", body, tc.want)
			}
		})
	}
}
