package audit

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/skillcert/skillcert/modules/certificates/credential"
)

// checkpointKeyLabel separates the checkpoint key from anything else derived from the master key.
const checkpointKeyLabel = "skillcert/audit/checkpoint-key/v1"

// CheckpointKey is the platform's Ed25519 key that signs checkpoints. Its seed is
// HMAC-SHA256(master key, "skillcert/audit/checkpoint-key/v1"): it lives wherever the master key lives
// (SKILLCERT_MASTER_KEY, or the data directory's key file), never in the database, so whoever can
// rewrite the database still can't sign a checkpoint. It never prints its private half.
type CheckpointKey struct {
	kid  string
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

// NewCheckpointKey derives the checkpoint key from the master key's 32 bytes.
func NewCheckpointKey(masterKey []byte) (*CheckpointKey, error) {
	if len(masterKey) != 32 {
		return nil, fmt.Errorf("audit: the master key must be 32 bytes, got %d", len(masterKey))
	}
	m := hmac.New(sha256.New, masterKey)
	m.Write([]byte(checkpointKeyLabel))
	priv := ed25519.NewKeyFromSeed(m.Sum(nil))
	pub := priv.Public().(ed25519.PublicKey)
	return &CheckpointKey{kid: credential.Thumbprint(pub), pub: pub, priv: priv}, nil
}

// KID is the key's RFC 7638 thumbprint.
func (k *CheckpointKey) KID() string { return k.kid }

// Public is the key's public half.
func (k *CheckpointKey) Public() ed25519.PublicKey { return k.pub }

// JWKS is the document served at /.well-known/skillcert/audit-keys: the public key as a JWK set.
func (k *CheckpointKey) JWKS() credential.JWKSet {
	pk, _ := credential.NewPublicKey(k.pub, time.Time{}, time.Time{}) // 32 bytes by construction
	return credential.NewJWKSet(pk)
}

// String hides the key from logs.
func (k *CheckpointKey) String() string { return "audit.CheckpointKey(" + k.kid + ")" }

// sign fills in the checkpoint's kid and signature.
func (k *CheckpointKey) sign(c *Checkpoint) {
	c.KID = k.kid
	c.Signature = base64.RawURLEncoding.EncodeToString(ed25519.Sign(k.priv, c.SignedBytes()))
}

// ReadMasterKey returns the master key's bytes as the deployment keeps them: envValue
// (SKILLCERT_MASTER_KEY, base64 of 32 bytes) when set, else the key file in dataDir that
// credential.LoadMasterKey creates on a first start. Unlike LoadMasterKey it never creates one: a
// verifier must not invent a key.
func ReadMasterKey(envValue, dataDir string) ([]byte, error) {
	text := strings.TrimSpace(envValue)
	if text == "" {
		if dataDir == "" {
			return nil, errors.New("no SKILLCERT_MASTER_KEY and no data directory")
		}
		b, err := os.ReadFile(filepath.Join(dataDir, credential.MasterKeyFile))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("no SKILLCERT_MASTER_KEY and no key file in the data directory")
		}
		if err != nil {
			return nil, err
		}
		text = strings.TrimSpace(string(b))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(text); err == nil && len(raw) == 32 {
			return raw, nil
		}
	}
	return nil, errors.New("the master key is not base64 of 32 bytes")
}
