package delivery

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"

	"github.com/google/uuid"
)

// seal encrypts a sync secret for storage (AES-256-GCM, the regulator's id as additional data, so a
// sealed secret copied to another regulator's row does not open).
func (s *Service) seal(regID uuid.UUID, secret string) ([]byte, error) {
	block, err := aes.NewCipher(s.opts.SealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{1}, nonce...)
	return aead.Seal(out, nonce, []byte(secret), regID[:]), nil
}

func (s *Service) open(regID uuid.UUID, sealed []byte) ([]byte, error) {
	block, err := aes.NewCipher(s.opts.SealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+aead.NonceSize() || sealed[0] != 1 {
		return nil, errors.New("sealed secret has an unknown format")
	}
	nonce := sealed[1 : 1+aead.NonceSize()]
	plain, err := aead.Open(nil, nonce, sealed[1+aead.NonceSize():], regID[:])
	if err != nil {
		return nil, errors.New("the sync secret cannot be opened (was the platform secret changed?); set the endpoint again")
	}
	return plain, nil
}
