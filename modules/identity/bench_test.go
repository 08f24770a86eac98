package identity_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/skillcert/skillcert/modules/identity"
)

// Login stays rate-limited: argon2id at OWASP parameters (m=19 MiB, t=2, p=1) should cost about 25 ms
// of one core per hash and per verification. The reference in the same run is what every authenticated
// request pays instead: SHA-256 of a bearer token (tokens are stored hashed, never argon2-hashed).
// Run (about 15 s):
//
//	go test ./modules/identity -run '^$' -bench 'Password|TokenHash' -benchtime 2s -benchmem
//
// Use -cpu 1 for the single-core figure the budget speaks of; the default GOMAXPROCS also works since
// each hash runs on one thread (p=1).

const benchPassword = "correct horse battery staple"

func BenchmarkHashPassword(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h, err := identity.HashPassword(benchPassword)
		if err != nil || len(h) == 0 {
			b.Fatalf("HashPassword: %q, %v", h, err)
		}
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	h, err := identity.HashPassword(benchPassword)
	if err != nil {
		b.Fatal(err)
	}
	// Both answers cost the same (the whole derivation runs either way); alternate them so the figure
	// covers a wrong password too, and check each answer so a broken verifier cannot look fast.
	pw := []string{benchPassword, benchPassword + "!"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ok, err := identity.VerifyPassword(h, pw[i%2])
		if err != nil || ok != (i%2 == 0) {
			b.Fatalf("VerifyPassword(%q) = %v, %v", pw[i%2], ok, err)
		}
	}
}

// BenchmarkTokenHash is the reference: the per-request hashing of a bearer token shaped like
// identity's (prefix, tenant id and 256 random bits in base64url; see token.go).
func BenchmarkTokenHash(b *testing.B) {
	var raw [16 + 32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		b.Fatal(err)
	}
	token := "sct_" + base64.RawURLEncoding.EncodeToString(raw[:])
	b.ReportAllocs()
	b.ResetTimer()
	var sink byte
	for i := 0; i < b.N; i++ {
		sum := sha256.Sum256([]byte(token))
		sink ^= sum[0]
	}
	_ = sink
}
