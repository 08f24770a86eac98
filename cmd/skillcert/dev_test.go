package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startDev runs `skillcert dev` until the returned stop is called, waiting until it answers.
func startDev(t *testing.T, dir string) (base string, out *syncBuffer, stop func()) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--addr", addr}, env(map[string]string{"SKILLCERT_DATA_DIR": dir}), out, &syncBuffer{})
	}()
	base = "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("dev exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("dev mode did not become ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return base, out, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev mode stopped with %v", err)
		}
	}
}

func login(t *testing.T, base, tenant, user, pass string) (string, int) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"tenant": tenant, "username": user, "password": pass})
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v struct{ Token string }
	_ = json.NewDecoder(res.Body).Decode(&v)
	return v.Token, res.StatusCode
}

// TestDevModeSeedsOnceAndKeepsData starts the embedded default twice on the same data directory.
func TestDevModeSeedsOnceAndKeepsData(t *testing.T) {
	dir := t.TempDir()
	base, out, stop := startDev(t, dir)
	for _, want := range []string{"bj-hrss", "acme", "skills-academy", demoPassword, "platform", devAdminPassword, base[len("http://"):]} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("welcome text lacks %q:\n%s", want, out.String())
		}
	}
	tok, status := login(t, base, "acme", "evaluator", demoPassword)
	if status != 200 {
		t.Fatalf("demo login: %d", status)
	}
	// A user created now must survive the restart.
	admin, _ := login(t, base, "acme", "admin", demoPassword)
	req, _ := http.NewRequest("POST", base+"/api/v1/users", strings.NewReader(`{"username":"kept","password":"still here after restarts","roles":["staff"]}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("create user: %v %v", err, res)
	}
	res.Body.Close()
	_ = tok
	// The demo lifecycle data is there: an open batch announced publicly by the social organization.
	res, err = http.Get(base + "/api/v1/public/institutions/skills-academy/batches")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Items []struct{ Status, Title string }
	}
	_ = json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	if len(page.Items) != 1 || page.Items[0].Status != "open" {
		t.Fatalf("public batches of the demo social organization: %+v", page.Items)
	}
	// The demo candidate login has an admission ticket of the arranged demo batch (我的准考证).
	cand, status := login(t, base, "acme", "candidate", demoPassword)
	if status != 200 {
		t.Fatalf("demo candidate login: %d", status)
	}
	req, _ = http.NewRequest("GET", base+"/api/v1/me/tickets", nil)
	req.Header.Set("Authorization", "Bearer "+cand)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tickets struct {
		Items []struct {
			TicketNumber string `json:"ticket_number"`
			Sessions     []any  `json:"sessions"`
		}
	}
	_ = json.NewDecoder(res.Body).Decode(&tickets)
	res.Body.Close()
	if res.StatusCode != 200 || len(tickets.Items) != 1 || tickets.Items[0].TicketNumber == "" || len(tickets.Items[0].Sessions) != 2 {
		t.Fatalf("the demo candidate's tickets: %d %+v", res.StatusCode, tickets.Items)
	}
	stop()

	base, out, stop = startDev(t, dir)
	defer stop()
	if strings.Contains(out.String(), "Demo data was created now") {
		t.Error("demo data seeded again on restart")
	}
	if _, status := login(t, base, "acme", "kept", "still here after restarts"); status != 200 {
		t.Fatalf("user created before the restart cannot log in: %d", status)
	}
}
