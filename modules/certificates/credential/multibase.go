package credential

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/mr-tron/base58"
)

// ed25519PubCodec is the multicodec prefix of an Ed25519 public key (code 0xed as an unsigned varint).
var ed25519PubCodec = []byte{0xed, 0x01}

// encodeBase58btc returns data in multibase base58btc form: "z" then the Bitcoin-alphabet base58.
func encodeBase58btc(data []byte) string {
	return "z" + base58.Encode(data)
}

// decodeBase58btc reverses encodeBase58btc; any other multibase prefix is refused, as the suite allows
// only base58btc.
func decodeBase58btc(s string) ([]byte, error) {
	if len(s) < 2 || s[0] != 'z' {
		return nil, errors.New("not a base58btc multibase value")
	}
	b, err := base58.Decode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("base58btc: %w", err)
	}
	return b, nil
}

// EncodePublicKeyMultibase returns the Multikey publicKeyMultibase form of an Ed25519 public key:
// base58btc of the multicodec prefix 0xed01 followed by the 32 key bytes ("z6Mk…").
func EncodePublicKeyMultibase(pub ed25519.PublicKey) string {
	return encodeBase58btc(append(bytes.Clone(ed25519PubCodec), pub...))
}

// DecodePublicKeyMultibase parses a publicKeyMultibase value, refusing anything but an Ed25519 public
// key (a different multicodec may be a private key published by mistake).
func DecodePublicKeyMultibase(s string) (ed25519.PublicKey, error) {
	b, err := decodeBase58btc(s)
	if err != nil {
		return nil, err
	}
	if len(b) != len(ed25519PubCodec)+ed25519.PublicKeySize || !bytes.HasPrefix(b, ed25519PubCodec) {
		return nil, errors.New("not an Ed25519 public key multikey (0xed01 + 32 bytes)")
	}
	return ed25519.PublicKey(b[len(ed25519PubCodec):]), nil
}
