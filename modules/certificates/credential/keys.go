package credential

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

// Errors of key handling. ErrUnknownKey is also what a Resolver returns for a kid it does not know.
var (
	ErrUnknownKey  = platform.E(platform.KindNotFound, ReasonUnknownKey, "no such credential signing key")
	ErrNoActiveKey = platform.E(platform.KindConflict, "no_active_key", "the issuer has no active signing key")
)

// Key is one Ed25519 signing key of an issuer. The private half is present only when the key was
// generated or opened with the master key; a key loaded from its public half verifies but cannot sign.
type Key struct {
	// KID is the RFC 7638 JWK thumbprint of the public key.
	KID string
	// Public is the Ed25519 public key.
	Public ed25519.PublicKey
	// CreatedAt is when the key was generated.
	CreatedAt time.Time
	// RetiredAt is when the key stopped signing; zero while it is active. A retired key still verifies
	// proofs created up to that moment.
	RetiredAt time.Time

	private ed25519.PrivateKey
}

// GenerateKey makes a new active key from the system's secure random source.
func GenerateKey(now time.Time) (*Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, platform.Wrap(platform.KindInternal, "key_generation_failed", "cannot generate a signing key", err)
	}
	return keyFromPrivate(priv, now), nil
}

func keyFromPrivate(priv ed25519.PrivateKey, createdAt time.Time) *Key {
	pub := priv.Public().(ed25519.PublicKey)
	return &Key{KID: Thumbprint(pub), Public: pub, CreatedAt: createdAt, private: priv}
}

// NewPublicKey returns the verify-only Key of a stored public key.
func NewPublicKey(pub []byte, createdAt, retiredAt time.Time) (*Key, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, platform.E(platform.KindInternal, "bad_public_key", "an Ed25519 public key has 32 bytes")
	}
	p := ed25519.PublicKey(bytes.Clone(pub))
	return &Key{KID: Thumbprint(p), Public: p, CreatedAt: createdAt, RetiredAt: retiredAt}, nil
}

// CanSign reports whether the key holds its private half and is not retired.
func (k *Key) CanSign() bool { return k.private != nil && k.RetiredAt.IsZero() }

// Thumbprint returns the RFC 7638 JWK thumbprint of an Ed25519 public key: base64url (no padding) of
// SHA-256 over the JWK's required members in lexicographic order, {"crv","kty","x"} (RFC 8037 §2).
func Thumbprint(pub ed25519.PublicKey) string {
	canon := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// JWK is a public Ed25519 key as a JSON Web Key (RFC 7517, OKP per RFC 8037).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// JWKSet is the document served at /.well-known/skillcert/keys: every key that may have signed a live
// credential, retired ones included.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// NewJWKSet lists keys as JWKs, in the order given.
func NewJWKSet(keys ...*Key) JWKSet {
	set := JWKSet{Keys: make([]JWK, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.JWK())
	}
	return set
}

// JWK returns the public half of k as a JWK.
func (k *Key) JWK() JWK {
	return JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.Public), Kid: k.KID, Use: "sig", Alg: "EdDSA"}
}

// PublicKey returns the Ed25519 key of a JWK, checking its type and that kid is its thumbprint.
func (j JWK) PublicKey() (ed25519.PublicKey, error) {
	if j.Kty != "OKP" || j.Crv != "Ed25519" {
		return nil, fmt.Errorf("jwk %q: kty %q crv %q is not an Ed25519 key", j.Kid, j.Kty, j.Crv)
	}
	x, err := base64.RawURLEncoding.DecodeString(j.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("jwk %q: x is not a base64url 32-byte key", j.Kid)
	}
	if Thumbprint(x) != j.Kid {
		return nil, fmt.Errorf("jwk %q: kid is not the key's thumbprint", j.Kid)
	}
	return ed25519.PublicKey(x), nil
}

// KeyRing holds the keys of one issuer: at most one signs (the newest active key), the retired ones
// stay to verify what they signed.
type KeyRing struct {
	issuer string
	keys   []*Key // newest first
}

// NewKeyRing groups the keys of issuer, the issuer id written in its credentials (see IssuerID).
func NewKeyRing(issuer string, keys ...*Key) (*KeyRing, error) {
	if issuer == "" || strings.Contains(issuer, "#") {
		return nil, platform.E(platform.KindInternal, "bad_issuer", "issuer id must be a URL without a fragment")
	}
	r := &KeyRing{issuer: issuer}
	for _, k := range keys {
		if _, err := r.Key(k.KID); err == nil {
			return nil, platform.E(platform.KindInternal, "duplicate_key", "key "+k.KID+" is in the ring twice")
		}
		r.keys = append(r.keys, k)
	}
	r.sort()
	return r, nil
}

func (r *KeyRing) sort() {
	slices.SortStableFunc(r.keys, func(a, b *Key) int { return b.CreatedAt.Compare(a.CreatedAt) })
}

// Issuer returns the issuer id the ring signs for.
func (r *KeyRing) Issuer() string { return r.issuer }

// Keys returns the ring's keys, newest first.
func (r *KeyRing) Keys() []*Key { return slices.Clone(r.keys) }

// Key returns the key with the given kid, or ErrUnknownKey.
func (r *KeyRing) Key(kid string) (*Key, error) {
	for _, k := range r.keys {
		if k.KID == kid {
			return k, nil
		}
	}
	return nil, ErrUnknownKey
}

// Active returns the newest key that can sign, or ErrNoActiveKey.
func (r *KeyRing) Active() (*Key, error) {
	for _, k := range r.keys {
		if k.CanSign() {
			return k, nil
		}
	}
	return nil, ErrNoActiveKey
}

// Rotate generates a new active key and retires every key that was active, at now. The caller
// persists the new key (sealed) and the retirement of the returned ones.
func (r *KeyRing) Rotate(now time.Time) (added *Key, retired []*Key, err error) {
	added, err = GenerateKey(now)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range r.keys {
		if k.RetiredAt.IsZero() {
			k.RetiredAt = now
			retired = append(retired, k)
		}
	}
	r.keys = append(r.keys, added)
	r.sort()
	return added, retired, nil
}

// VerificationMethod returns the verificationMethod URL of a key of this ring: "<issuer>#<kid>".
func (r *KeyRing) VerificationMethod(k *Key) string { return r.issuer + "#" + k.KID }

// Sign secures doc with the ring's active key, the proof created at now (see Sign).
func (r *KeyRing) Sign(doc []byte, now time.Time) ([]byte, error) {
	k, err := r.Active()
	if err != nil {
		return nil, err
	}
	return Sign(doc, k.private, ProofOptions{VerificationMethod: r.VerificationMethod(k), Created: now})
}
