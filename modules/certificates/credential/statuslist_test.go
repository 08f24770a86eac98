package credential

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestStatusListBits(t *testing.T) {
	l := NewStatusList(10)
	if l.Len() != MinStatusListSize {
		t.Fatalf("Len = %d, want the minimum %d", l.Len(), MinStatusListSize)
	}
	if big := NewStatusList(MinStatusListSize + 1); big.Len() != MinStatusListSize+8 {
		t.Fatalf("Len of a larger list = %d, want it rounded up to whole bytes", big.Len())
	}
	for _, i := range []int{0, 9, MinStatusListSize - 1} {
		if err := l.Set(i, true); err != nil {
			t.Fatal(err)
		}
	}
	// Index 0 is the left-most bit (Bitstring Status List v1.0 §2.1).
	if l.bits[0] != 0x80 || l.bits[1] != 0x40 || l.bits[len(l.bits)-1] != 0x01 {
		t.Fatalf("bits % x … % x, want 80 40 … 01", l.bits[:2], l.bits[len(l.bits)-1])
	}
	tests := []struct {
		index   int
		want    bool
		wantErr bool
	}{
		{0, true, false}, {1, false, false}, {9, true, false}, {MinStatusListSize - 1, true, false},
		{-1, false, true}, {MinStatusListSize, false, true},
	}
	for _, tc := range tests {
		got, err := l.Get(tc.index)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("Get(%d) = %v, %v; want %v, error %v", tc.index, got, err, tc.want, tc.wantErr)
		}
	}
	if err := l.Set(9, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Get(9); got || l.bits[1] != 0 {
		t.Fatal("Set(9, false) did not clear the bit")
	}
	if err := l.Set(MinStatusListSize, true); err == nil {
		t.Fatal("Set beyond the list succeeded")
	}
}

func TestStatusListEncoding(t *testing.T) {
	l := NewStatusList(0)
	_ = l.Set(94567, true)
	enc := l.Encode()
	if !strings.HasPrefix(enc, "u") || strings.ContainsAny(enc, "+/=") {
		t.Fatalf("encodedList %q is not multibase base64url without padding", enc)
	}
	if enc != l.Encode() {
		t.Fatal("Encode is not deterministic")
	}
	back, err := DecodeStatusList(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.bits, l.bits) {
		t.Fatal("decode(encode(list)) differs")
	}

	// The example encodedList of the W3C specification: an empty list of the minimum size.
	spec, err := DecodeStatusList("uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Len() != MinStatusListSize || bytes.ContainsFunc(spec.bits, func(r rune) bool { return r != 0 }) {
		t.Fatalf("the specification's example decodes to %d entries, not all clear", spec.Len())
	}

	gz := func(n int) string {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(make([]byte, n))
		_ = zw.Close()
		return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes())
	}
	for name, bad := range map[string]string{
		"no multibase prefix": enc[1:],
		"base64 with padding": enc + "==",
		"not gzip":            "u" + base64.RawURLEncoding.EncodeToString([]byte("plain")),
		"shorter than 16 KiB": gz(MinStatusListSize/8 - 1),
		"inflates past limit": gz(maxStatusListBytes + 1),
		"empty":               "",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeStatusList(bad); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestBuildStatusListCredential(t *testing.T) {
	l := NewStatusList(0)
	_ = l.Set(3, true)
	from := time.Date(2025, 6, 1, 8, 0, 0, 0, chinaTime)
	doc, err := BuildStatusListCredential(StatusListMeta{
		URL: "https://skillcert.example/api/v1/public/status-lists/i1", Issuer: "https://skillcert.example/issuers/i1",
		ValidFrom: from, ValidUntil: from.Add(24 * time.Hour),
	}, l)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Context           []string `json:"@context"`
		ID                string
		Type              []string
		Issuer            string
		ValidFrom         string
		ValidUntil        string
		CredentialSubject struct{ ID, Type, StatusPurpose, EncodedList string }
	}
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	if got.Context[0] != ContextVC2 || got.Type[1] != "BitstringStatusListCredential" ||
		got.CredentialSubject.Type != "BitstringStatusList" || got.CredentialSubject.StatusPurpose != "revocation" ||
		got.CredentialSubject.ID != got.ID+"#list" || got.ValidFrom != "2025-06-01T00:00:00Z" || got.ValidUntil != "2025-06-02T00:00:00Z" {
		t.Fatalf("unexpected status list credential:\n%s", doc)
	}
	decoded, err := DecodeStatusList(got.CredentialSubject.EncodedList)
	if err != nil {
		t.Fatal(err)
	}
	if on, _ := decoded.Get(3); !on {
		t.Fatal("the encoded list lost bit 3")
	}
	if _, err := BuildStatusListCredential(StatusListMeta{URL: "https://x"}, l); err == nil {
		t.Fatal("a status list without issuer and validFrom was built")
	}
}
