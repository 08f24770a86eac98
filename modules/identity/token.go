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
	buf := make([]byte, 16+32)
	copy(buf, tenantID[:])
	if _, err := rand.Read(buf[16:]); err != nil {
		return "", nil, err
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(buf)
	return token, hashToken(token), nil
}

// parseToken returns the tenant a token belongs to and the hash to look it up by.
func parseToken(token string) (tenantID uuid.UUID, hash []byte, ok bool) {
	raw, found := strings.CutPrefix(token, tokenPrefix)
	if !found {
		return uuid.Nil, nil, false
	}
	buf, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(buf) != 48 {
		return uuid.Nil, nil, false
	}
	copy(tenantID[:], buf[:16])
	return tenantID, hashToken(token), true
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
