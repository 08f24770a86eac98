package platform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// DeriveKey derives a 32-byte key for one purpose (e.g. "identity/login-throttle") from the
// deployment's master key (SKILLCERT_MASTER_KEY: base64 of 32 bytes, any alphabet, padded or not),
// as HMAC-SHA256(master, "skillcert/" + purpose): every instance derives the same key, and no two
// purposes share one. An empty master key gives nil (the caller's fallback for dev mode).
func DeriveKey(masterKey, purpose string) ([]byte, error) {
	masterKey = strings.TrimSpace(masterKey)
	if masterKey == "" {
		return nil, nil
	}
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(masterKey); err == nil {
			break
		}
	}
	if err != nil || len(raw) != 32 {
		return nil, errors.New("SKILLCERT_MASTER_KEY must be base64 of 32 bytes")
	}
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("skillcert/" + purpose))
	return m.Sum(nil), nil
}
