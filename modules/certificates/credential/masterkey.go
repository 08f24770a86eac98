package credential

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

// MasterKeyFile is the file in the data directory that holds the master key when the environment
// gives none.
const MasterKeyFile = "credential-master.key"

// sealVersion is the first byte of a sealed private key: the format is
// version || 12-byte nonce || AES-256-GCM(seed) with the kid as additional data.
const sealVersion = 1

// MasterKey encrypts issuers' private keys at rest (AES-256-GCM). It never prints its bytes.
type MasterKey struct {
	aead cipher.AEAD
}

// ParseMasterKey reads a master key written as base64 (standard or URL alphabet, padded or not) of
// exactly 32 bytes.
func ParseMasterKey(s string) (*MasterKey, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, platform.E(platform.KindInternal, "bad_master_key", "credential master key is not base64")
	}
	if len(raw) != 32 {
		return nil, platform.E(platform.KindInternal, "bad_master_key",
			fmt.Sprintf("credential master key must be 32 bytes of base64, got %d bytes", len(raw)))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, platform.Wrap(platform.KindInternal, "bad_master_key", "credential master key", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, platform.Wrap(platform.KindInternal, "bad_master_key", "credential master key", err)
	}
	return &MasterKey{aead: aead}, nil
}

// GenerateMasterKey returns a new random master key in the base64 form ParseMasterKey reads.
func GenerateMasterKey() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails: it panics if the system source is broken
	return base64.StdEncoding.EncodeToString(raw)
}

// LoadMasterKey returns the master key from envValue when it is set; otherwise from MasterKeyFile in
// dataDir, creating that file (mode 0600) with a new key on first start. Several replicas must share
// one key, so production sets it in the environment; losing it makes every sealed key unreadable.
func LoadMasterKey(envValue, dataDir string) (*MasterKey, error) {
	if strings.TrimSpace(envValue) != "" {
		return ParseMasterKey(envValue)
	}
	if dataDir == "" {
		return nil, platform.E(platform.KindInternal, "no_master_key", "no credential master key in the environment and no data directory")
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, platform.Wrap(platform.KindInternal, "no_master_key", "cannot create the data directory", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) { // another process created it meanwhile: use theirs
			return LoadMasterKey("", dataDir)
		}
		if err != nil {
			return nil, platform.Wrap(platform.KindInternal, "no_master_key", "cannot create the master key file", err)
		}
		key := GenerateMasterKey()
		_, werr := f.WriteString(key + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, platform.Wrap(platform.KindInternal, "no_master_key", "cannot write the master key file", werr)
		}
		return ParseMasterKey(key)
	}
	if err != nil {
		return nil, platform.Wrap(platform.KindInternal, "no_master_key", "cannot read the master key file", err)
	}
	return ParseMasterKey(string(b))
}

// String hides the key from logs.
func (m *MasterKey) String() string { return "credential.MasterKey(redacted)" }

// GoString hides the key from %#v.
func (m *MasterKey) GoString() string { return m.String() }

// SealedKey is a Key at rest, the row the certificates store keeps: the public key in clear (JWKS and
// verification need no master key), the private seed encrypted.
type SealedKey struct {
	KID        string
	PublicKey  []byte
	Ciphertext []byte
	CreatedAt  time.Time
	RetiredAt  time.Time
}

// Seal encrypts a key that holds its private half.
func (m *MasterKey) Seal(k *Key) (SealedKey, error) {
	if k.private == nil {
		return SealedKey{}, platform.E(platform.KindInternal, "no_private_key", "key "+k.KID+" has no private half to seal")
	}
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return SealedKey{}, platform.Wrap(platform.KindInternal, "seal_failed", "cannot seal key", err)
	}
	out := append([]byte{sealVersion}, nonce...)
	out = m.aead.Seal(out, nonce, k.private.Seed(), []byte(k.KID))
	return SealedKey{KID: k.KID, PublicKey: bytes.Clone(k.Public), Ciphertext: out, CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt}, nil
}

// Open decrypts a sealed key, checking the seed belongs to the stored kid and public key.
func (m *MasterKey) Open(s SealedKey) (*Key, error) {
	fail := func(msg string, err error) (*Key, error) {
		return nil, platform.Wrap(platform.KindInternal, "unseal_failed", "key "+s.KID+": "+msg, err)
	}
	n := m.aead.NonceSize()
	if len(s.Ciphertext) < 1+n || s.Ciphertext[0] != sealVersion {
		return fail("unknown sealed key format", nil)
	}
	seed, err := m.aead.Open(nil, s.Ciphertext[1:1+n], s.Ciphertext[1+n:], []byte(s.KID))
	if err != nil {
		return fail("wrong master key, or the sealed key or its kid was altered", err)
	}
	if len(seed) != ed25519.SeedSize {
		return fail("sealed seed has the wrong length", nil)
	}
	k := keyFromPrivate(ed25519.NewKeyFromSeed(seed), s.CreatedAt)
	k.RetiredAt = s.RetiredAt
	if k.KID != s.KID || !bytes.Equal(k.Public, s.PublicKey) {
		return fail("sealed seed does not match the stored public key", nil)
	}
	return k, nil
}

// Public returns the verify-only key of a sealed key, without the master key.
func (s SealedKey) Public() (*Key, error) {
	k, err := NewPublicKey(s.PublicKey, s.CreatedAt, s.RetiredAt)
	if err != nil {
		return nil, err
	}
	if k.KID != s.KID {
		return nil, platform.E(platform.KindInternal, "bad_public_key", "stored kid "+s.KID+" is not the thumbprint of its public key")
	}
	return k, nil
}
