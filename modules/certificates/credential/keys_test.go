package credential

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

// rfc8037Seed and rfc8037X are the Ed25519 key of RFC 8037 Appendix A.1.
const (
	rfc8037Seed = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	rfc8037X    = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
)

func rfc8037Key(tb testing.TB) *Key {
	tb.Helper()
	seed, err := base64.RawURLEncoding.DecodeString(rfc8037Seed)
	if err != nil {
		tb.Fatal(err)
	}
	return keyFromPrivate(ed25519.NewKeyFromSeed(seed), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
}

func TestKIDIsRFC7638Thumbprint(t *testing.T) {
	k := rfc8037Key(t)
	// RFC 8037 Appendix A.3 gives the thumbprint of this key.
	if want := "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; k.KID != want {
		t.Fatalf("kid = %s, want %s", k.KID, want)
	}
	b, err := json.Marshal(NewJWKSet(k))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","kid":"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k","use":"sig","alg":"EdDSA"}]}`
	if string(b) != want {
		t.Fatalf("JWKS = %s\nwant   %s", b, want)
	}
}

func TestJWKPublicKey(t *testing.T) {
	good := rfc8037Key(t).JWK()
	tests := []struct {
		name    string
		mutate  func(*JWK)
		wantErr bool
	}{
		{"valid", func(*JWK) {}, false},
		{"wrong curve", func(j *JWK) { j.Crv = "X25519" }, true},
		{"wrong key type", func(j *JWK) { j.Kty = "EC" }, true},
		{"short x", func(j *JWK) { j.X = j.X[:20] }, true},
		{"kid of another key", func(j *JWK) { j.Kid = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4x" }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := good
			tc.mutate(&j)
			pub, err := j.PublicKey()
			if tc.wantErr != (err != nil) {
				t.Fatalf("PublicKey() error = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && base64.RawURLEncoding.EncodeToString(pub) != rfc8037X {
				t.Fatalf("PublicKey() = %x", pub)
			}
		})
	}
}

func TestParseMasterKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb}, 32) // 0xfb bytes make the standard and URL alphabets differ
	tests := []struct {
		name, in string
		wantErr  string
	}{
		{"standard padded", base64.StdEncoding.EncodeToString(raw), ""},
		{"standard unpadded with newline", base64.RawStdEncoding.EncodeToString(raw) + "\n", ""},
		{"URL alphabet", base64.URLEncoding.EncodeToString(raw), ""},
		{"31 bytes", base64.StdEncoding.EncodeToString(raw[:31]), "got 31 bytes"},
		{"64 bytes", base64.StdEncoding.EncodeToString(append(raw, raw...)), "got 64 bytes"},
		{"not base64", "this is not a key!", "not base64"},
		{"empty", "", "got 0 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMasterKey(tc.in)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if s := fmt.Sprintf("%v %+v %#v %s", m, m, m, m); strings.Contains(s, "fb") || !strings.Contains(s, "redacted") {
					t.Fatalf("a master key prints as %q", s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || platform.CodeOf(err) != "bad_master_key" {
				t.Fatalf("ParseMasterKey(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	master, err := ParseMasterKey(GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ParseMasterKey(GenerateMasterKey())
	k, err := GenerateKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k.RetiredAt = time.Now()
	sealed, err := master.Seal(k)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed.Ciphertext, k.private.Seed()) {
		t.Fatal("the sealed key contains the seed in clear")
	}
	opened, err := master.Open(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if opened.KID != k.KID || !bytes.Equal(opened.private, k.private) || !opened.RetiredAt.Equal(k.RetiredAt) {
		t.Fatalf("Open returned another key: %+v", opened)
	}
	pub, err := sealed.Public()
	if err != nil || pub.KID != k.KID || pub.CanSign() {
		t.Fatalf("Public() = %+v, %v; want the verify-only key", pub, err)
	}

	another, _ := GenerateKey(time.Now())
	tests := []struct {
		name   string
		master *MasterKey
		mutate func(*SealedKey)
	}{
		{"wrong master key", other, func(*SealedKey) {}},
		{"kid of another key", master, func(s *SealedKey) { s.KID = another.KID; s.PublicKey = another.Public }},
		{"flipped ciphertext bit", master, func(s *SealedKey) { s.Ciphertext[len(s.Ciphertext)-5] ^= 1 }},
		{"unknown format", master, func(s *SealedKey) { s.Ciphertext[0] = 2 }},
		{"truncated", master, func(s *SealedKey) { s.Ciphertext = s.Ciphertext[:10] }},
		{"public key of another key", master, func(s *SealedKey) { s.PublicKey = another.Public }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sealed
			s.Ciphertext = bytes.Clone(sealed.Ciphertext)
			tc.mutate(&s)
			if got, err := tc.master.Open(s); err == nil || platform.CodeOf(err) != "unseal_failed" {
				t.Fatalf("Open = %v, %v; want unseal_failed", got, err)
			}
		})
	}
	if _, err := master.Seal(pub); err == nil {
		t.Fatal("sealing a verify-only key succeeded")
	}
}

func TestLoadMasterKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k, err := GenerateKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}

	first, err := LoadMasterKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("master key file mode %o, want 600", perm)
	}
	sealed, err := first.Seal(k)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadMasterKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Open(sealed); err != nil {
		t.Fatalf("the key reloaded from the data directory differs: %v", err)
	}

	env := GenerateMasterKey()
	fromEnv, err := LoadMasterKey(env, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fromEnv.Open(sealed); err == nil {
		t.Fatal("the environment's key did not take precedence over the file")
	}
	if _, err := LoadMasterKey("short", dir); err == nil {
		t.Fatal("a bad key in the environment was accepted")
	}
	if _, err := LoadMasterKey("", ""); err == nil {
		t.Fatal("no key and no data directory was accepted")
	}
}

func TestKeyRing(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	a, _ := GenerateKey(t0)
	b, _ := GenerateKey(t0.Add(time.Hour))
	ring, err := NewKeyRing("https://skillcert.example/issuers/x", a, b)
	if err != nil {
		t.Fatal(err)
	}
	if active, _ := ring.Active(); active != b {
		t.Fatal("Active is not the newest signing key")
	}
	if got, err := ring.Key(a.KID); err != nil || got != a {
		t.Fatalf("Key(a) = %v, %v", got, err)
	}
	if _, err := ring.Key("nope"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Key(unknown) error = %v, want ErrUnknownKey", err)
	}
	if _, err := NewKeyRing("https://skillcert.example/issuers/x", a, a); err == nil {
		t.Fatal("a ring with the same key twice was accepted")
	}
	if _, err := NewKeyRing("https://skillcert.example/issuers/x#frag", a); err == nil {
		t.Fatal("an issuer id with a fragment was accepted")
	}

	pubOnly, _ := NewPublicKey(a.Public, a.CreatedAt, time.Time{})
	verifyOnly, _ := NewKeyRing("https://skillcert.example/issuers/y", pubOnly)
	if _, err := verifyOnly.Sign([]byte(`{}`), t0); !errors.Is(err, ErrNoActiveKey) {
		t.Fatalf("signing with a verify-only ring: %v, want ErrNoActiveKey", err)
	}

	added, retired, err := ring.Rotate(t0.Add(2 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(retired) != 2 || a.CanSign() || b.CanSign() || !added.CanSign() {
		t.Fatalf("after Rotate: retired %d keys, a.CanSign=%v b.CanSign=%v", len(retired), a.CanSign(), b.CanSign())
	}
	if keys := ring.Keys(); len(keys) != 3 || keys[0] != added {
		t.Fatalf("Keys() after Rotate = %v, want 3 keys newest first", keys)
	}
	signed, err := ring.Sign([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"x":1}`), t0.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyProof(signed, added.Public); err != nil {
		t.Fatalf("a document signed by the rotated ring does not verify with the new key: %v", err)
	}
	if !bytes.Contains(signed, []byte(`"verificationMethod": "https://skillcert.example/issuers/x#`+added.KID+`"`)) {
		t.Fatalf("verificationMethod is not issuer#kid:\n%s", signed)
	}
}

func TestPublicKeyMultibase(t *testing.T) {
	k := rfc8037Key(t)
	s := EncodePublicKeyMultibase(k.Public)
	if !strings.HasPrefix(s, "z6Mk") {
		t.Fatalf("Ed25519 multikey %s does not start with z6Mk", s)
	}
	if pub, err := DecodePublicKeyMultibase(s); err != nil || !bytes.Equal(pub, k.Public) {
		t.Fatalf("round trip: %x, %v", pub, err)
	}
	seedKey := encodeBase58btc(append([]byte{0x80, 0x26}, k.private.Seed()...))
	for _, bad := range []string{seedKey, "u" + s[1:], "z", s[:len(s)-2], "z0OIl"} {
		if _, err := DecodePublicKeyMultibase(bad); err == nil {
			t.Errorf("DecodePublicKeyMultibase(%q) accepted", bad)
		}
	}
}

func TestSignRefuses(t *testing.T) {
	k := rfc8037Key(t)
	opts := ProofOptions{VerificationMethod: "https://skillcert.example/issuers/x#" + k.KID}
	tests := []struct {
		name string
		doc  string
		key  ed25519.PrivateKey
		opts ProofOptions
		code string
	}{
		{"array", `[1]`, k.private, opts, ReasonMalformed},
		{"duplicate keys", `{"a":1,"a":2}`, k.private, opts, ReasonMalformed},
		{"already signed", `{"proof":{}}`, k.private, opts, "already_signed"},
		{"no verification method", `{}`, k.private, ProofOptions{}, "bad_proof_options"},
		{"short key", `{}`, k.private[:10], opts, "bad_signing_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Sign([]byte(tc.doc), tc.key, tc.opts); platform.CodeOf(err) != tc.code {
				t.Fatalf("Sign error = %v, want code %q", err, tc.code)
			}
		})
	}
	// An empty object signs and verifies too (no comma before the appended proof).
	signed, err := Sign([]byte(`{}`), k.private, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyProof(signed, k.Public); err != nil {
		t.Fatalf("signed empty object: %v\n%s", err, signed)
	}
}
