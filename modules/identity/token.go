package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/google/uuid"
)

// tokenPrefix marks SkillCert bearer tokens (easy to spot in a leaked-secrets scan).
const tokenPrefix = "sct_"

// newToken makes an opaque bearer token for tenantID: 256 random bits from crypto/rand, preceded by
// the tenant id so the session can be looked up inside that tenant's row-level-security scope. The
// tenant id is not a secret; the 32 random bytes are, and only their hash is stored.
func newToken(tenantID uuid.UUID) (token string, hash []byte, err error) {
	buf := make([]byte, tokenBytes)
	copy(buf, tenantID[:])
	if _, err := rand.Read(buf[16:]); err != nil {
		return "", nil, err
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(buf)
	return token, hashToken(token), nil
}

// tokenBytes and tokenChars are the sizes of a token's payload (tenant id and secret) and of its
// base64 text after the prefix.
const (
	tokenBytes = 16 + 32
	tokenChars = (tokenBytes*8 + 5) / 6
)

// parseToken returns the tenant a token belongs to and the hash to look it up by. Anything that is
// not exactly a token newToken could have made is not ok: another prefix, a length other than 64
// base64url characters (trailing garbage included), characters outside the alphabet (NUL, spaces,
// line breaks — which the decoder alone would skip), or the zero tenant id, which no tenant has.
// Callers answer every such token as unauthenticated, never with a server error.
func parseToken(token string) (tenantID uuid.UUID, hash []byte, ok bool) {
	raw, found := strings.CutPrefix(token, tokenPrefix)
	if !found || len(raw) != tokenChars {
		return uuid.Nil, nil, false
	}
	var buf [tokenBytes]byte
	n, err := base64.RawURLEncoding.Strict().Decode(buf[:], []byte(raw))
	if err != nil || n != tokenBytes {
		return uuid.Nil, nil, false
	}
	copy(tenantID[:], buf[:16])
	if tenantID == uuid.Nil {
		return uuid.Nil, nil, false
	}
	return tenantID, hashToken(token), true
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
