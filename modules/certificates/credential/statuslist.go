package credential

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

// Bitstring Status List v1.0 constants.
const (
	// MinStatusListSize is the specification's minimum bitstring length, 16 KiB of bits, so that a
	// list hides which of its many credentials a verifier asks about.
	MinStatusListSize = 131072
	// maxStatusListBytes bounds a decoded list (128 Mi entries) so a crafted encodedList cannot
	// inflate into gigabytes.
	maxStatusListBytes = 16 << 20

	StatusPurposeRevocation = "revocation"
	StatusPurposeSuspension = "suspension"
)

// StatusList is a bitstring of credential statuses; bit i is set when the credential with
// statusListIndex i is revoked. Index 0 is the left-most (most significant) bit of the first byte.
type StatusList struct {
	bits []byte
}

// NewStatusList returns a clear list of at least size entries, and never fewer than MinStatusListSize;
// the length is rounded up to whole bytes.
func NewStatusList(size int) *StatusList {
	size = max(size, MinStatusListSize)
	return &StatusList{bits: make([]byte, (size+7)/8)}
}

// Len returns the number of entries.
func (l *StatusList) Len() int { return len(l.bits) * 8 }

// Set sets or clears entry i.
func (l *StatusList) Set(i int, on bool) error {
	if i < 0 || i >= l.Len() {
		return platform.E(platform.KindInternal, "status_index_out_of_range", fmt.Sprintf("status index %d is outside the list of %d", i, l.Len()))
	}
	mask := byte(0x80) >> (i % 8)
	if on {
		l.bits[i/8] |= mask
	} else {
		l.bits[i/8] &^= mask
	}
	return nil
}

// Get reports whether entry i is set.
func (l *StatusList) Get(i int) (bool, error) {
	if i < 0 || i >= l.Len() {
		return false, platform.E(platform.KindUnprocessable, "status_index_out_of_range", fmt.Sprintf("status index %d is outside the list of %d", i, l.Len()))
	}
	return l.bits[i/8]&(byte(0x80)>>(i%8)) != 0, nil
}

// Encode returns the encodedList: the bitstring GZIP-compressed, then multibase base64url without
// padding ("u…"). The output is deterministic (no timestamp in the GZIP header).
func (l *StatusList) Encode() string {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid, so no error
	_, _ = zw.Write(l.bits)                                  // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

// DecodeStatusList reads an encodedList, refusing one shorter than MinStatusListSize.
func DecodeStatusList(encoded string) (*StatusList, error) {
	if len(encoded) < 2 || encoded[0] != 'u' {
		return nil, errors.New("encodedList is not multibase base64url")
	}
	gz, err := base64.RawURLEncoding.DecodeString(encoded[1:])
	if err != nil {
		return nil, fmt.Errorf("encodedList: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("encodedList: %w", err)
	}
	bits, err := io.ReadAll(io.LimitReader(zr, maxStatusListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("encodedList: %w", err)
	}
	if len(bits) > maxStatusListBytes {
		return nil, errors.New("encodedList is larger than the supported maximum")
	}
	if len(bits)*8 < MinStatusListSize {
		return nil, fmt.Errorf("encodedList has %d entries, fewer than the minimum %d", len(bits)*8, MinStatusListSize)
	}
	return &StatusList{bits: bits}, nil
}

// StatusListMeta describes a BitstringStatusListCredential.
type StatusListMeta struct {
	// URL is the credential's id and the address it is served at (see StatusListURL).
	URL string
	// Issuer is the issuer id; it must be the issuer of the credentials the list covers.
	Issuer string
	// ValidFrom is when this version of the list was made.
	ValidFrom time.Time
	// ValidUntil, when set, tells verifiers and caches when to fetch a fresh list.
	ValidUntil time.Time
}

type statusListCredential struct {
	Context           []string          `json:"@context"`
	ID                string            `json:"id"`
	Type              []string          `json:"type"`
	Issuer            string            `json:"issuer"`
	ValidFrom         string            `json:"validFrom"`
	ValidUntil        string            `json:"validUntil,omitempty"`
	CredentialSubject statusListSubject `json:"credentialSubject"`
}

type statusListSubject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	EncodedList   string `json:"encodedList"`
}

// BuildStatusListCredential returns the unsigned revocation BitstringStatusListCredential of list;
// sign it with the issuer's KeyRing before serving it.
func BuildStatusListCredential(meta StatusListMeta, list *StatusList) ([]byte, error) {
	if meta.URL == "" || meta.Issuer == "" || meta.ValidFrom.IsZero() {
		return nil, platform.E(platform.KindInternal, "bad_status_list", "status list URL, issuer and validFrom are required")
	}
	c := statusListCredential{
		Context:   []string{ContextVC2},
		ID:        meta.URL,
		Type:      []string{"VerifiableCredential", "BitstringStatusListCredential"},
		Issuer:    meta.Issuer,
		ValidFrom: formatTime(meta.ValidFrom),
		CredentialSubject: statusListSubject{
			ID:            meta.URL + "#list",
			Type:          "BitstringStatusList",
			StatusPurpose: StatusPurposeRevocation,
			EncodedList:   list.Encode(),
		},
	}
	if !meta.ValidUntil.IsZero() {
		c.ValidUntil = formatTime(meta.ValidUntil)
	}
	return marshalIndent(c)
}
