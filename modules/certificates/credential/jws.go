package credential

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/skillcert/skillcert/modules/platform"
)

// Detached JWS (RFC 7515 §7.1 compact serialization, Appendix F detached content) with EdDSA over
// Ed25519 (RFC 8037): "<base64url header>..<base64url signature>", the signature over
// "<base64url header>.<base64url payload>" while the payload travels beside it (e.g. manifest.json
// beside manifest.json.jws). The header is {"alg":"EdDSA","kid":"<kid>"}, the kid one of the keys
// published at /.well-known/skillcert/keys, so anyone holding the payload and that JWKS can verify it.

// ErrBadJWS is the error of a detached JWS that is malformed, names another algorithm, or does not
// verify over the payload.
var ErrBadJWS = platform.E(platform.KindUnprocessable, "invalid_signature", "the detached JWS does not verify")

type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// SignDetached signs payload with the key (which must hold its private half and be active) as a
// detached compact JWS.
func (k *Key) SignDetached(payload []byte) (string, error) {
	if !k.CanSign() {
		return "", ErrNoActiveKey
	}
	h, err := json.Marshal(jwsHeader{Alg: "EdDSA", Kid: k.KID})
	if err != nil {
		return "", err
	}
	head := base64.RawURLEncoding.EncodeToString(h)
	input := head + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig := ed25519.Sign(k.private, []byte(input))
	return head + ".." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// SignDetached signs payload with the ring's active key (see Key.SignDetached).
func (r *KeyRing) SignDetached(payload []byte) (string, error) {
	k, err := r.Active()
	if err != nil {
		return "", err
	}
	return k.SignDetached(payload)
}

// DetachedKID returns the kid a detached JWS names, without verifying anything.
func DetachedKID(jws string) (string, error) {
	h, _, err := splitDetached(jws)
	if err != nil {
		return "", err
	}
	return h.Kid, nil
}

func splitDetached(jws string) (jwsHeader, []byte, error) {
	parts := strings.Split(strings.TrimSpace(jws), ".")
	if len(parts) != 3 || parts[1] != "" {
		return jwsHeader{}, nil, fmt.Errorf("%w: not a detached compact JWS", ErrBadJWS)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return jwsHeader{}, nil, fmt.Errorf("%w: header is not base64url", ErrBadJWS)
	}
	var h jwsHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return jwsHeader{}, nil, fmt.Errorf("%w: header is not JSON", ErrBadJWS)
	}
	if h.Alg != "EdDSA" || h.Kid == "" {
		return jwsHeader{}, nil, fmt.Errorf("%w: alg %q kid %q; EdDSA with a kid is required", ErrBadJWS, h.Alg, h.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return jwsHeader{}, nil, fmt.Errorf("%w: signature is not a base64url Ed25519 signature", ErrBadJWS)
	}
	return h, sig, nil
}

// VerifyDetached checks a detached JWS over payload against the keys of a JWKS (the document at
// /.well-known/skillcert/keys) and returns the kid that signed it. ErrBadJWS (by errors.Is) when it is
// malformed or does not verify; ErrUnknownKey when the JWKS has no key of its kid.
func VerifyDetached(jws string, payload []byte, keys JWKSet) (string, error) {
	h, sig, err := splitDetached(jws)
	if err != nil {
		return "", err
	}
	var pub ed25519.PublicKey
	for _, j := range keys.Keys {
		if j.Kid == h.Kid {
			if pub, err = j.PublicKey(); err != nil {
				return "", fmt.Errorf("%w: %v", ErrBadJWS, err)
			}
			break
		}
	}
	if pub == nil {
		return "", ErrUnknownKey
	}
	head := strings.SplitN(strings.TrimSpace(jws), ".", 2)[0]
	if !ed25519.Verify(pub, []byte(head+"."+base64.RawURLEncoding.EncodeToString(payload)), sig) {
		return "", fmt.Errorf("%w: the signature does not match the payload", ErrBadJWS)
	}
	return h.Kid, nil
}
