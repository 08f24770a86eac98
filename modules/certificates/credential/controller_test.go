package credential

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mr-tron/base58"
)

func TestControllerDocument(t *testing.T) {
	const issuer = "https://skillcert.example/issuers/inst-1"
	old := rfc8037Key(t)
	old.RetiredAt = old.CreatedAt.Add(24 * time.Hour)
	current, err := GenerateKey(old.RetiredAt)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewKeyRing(issuer, old, current)
	if err != nil {
		t.Fatal(err)
	}
	multikey := func(k *Key) string { return "z" + base58.Encode(append([]byte{0xed, 0x01}, k.Public...)) }

	tests := []struct {
		name    string
		ring    *KeyRing
		profile Profile
		want    map[string]any
	}{
		{
			name: "every key, newest first, all for assertions",
			ring: ring,
			profile: Profile{
				Name: "深圳市某某职业技能评价中心", URL: issuer, Description: "职业技能等级认定机构",
				Address:     &Address{Country: "中国", CountryCode: "CN", Region: "广东省", Locality: "深圳市南山区"},
				Identifiers: []Identifier{{Identifier: "91440300MA5XXXXX0X", Type: "ext:unifiedSocialCreditCode"}},
			},
			want: map[string]any{
				"@context":    []any{"https://www.w3.org/ns/cid/v1", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"},
				"id":          issuer,
				"type":        []any{"Profile"},
				"name":        "深圳市某某职业技能评价中心",
				"url":         issuer,
				"description": "职业技能等级认定机构",
				"address": map[string]any{"type": []any{"Address"}, "addressCountry": "中国", "addressCountryCode": "CN",
					"addressRegion": "广东省", "addressLocality": "深圳市南山区"},
				"otherIdentifier": []any{map[string]any{"type": "IdentifierEntry", "identifier": "91440300MA5XXXXX0X",
					"identifierType": "ext:unifiedSocialCreditCode"}},
				"verificationMethod": []any{
					map[string]any{"id": issuer + "#" + current.KID, "type": "Multikey", "controller": issuer, "publicKeyMultibase": multikey(current)},
					map[string]any{"id": issuer + "#" + old.KID, "type": "Multikey", "controller": issuer, "publicKeyMultibase": multikey(old)},
				},
				"assertionMethod": []any{issuer + "#" + current.KID, issuer + "#" + old.KID},
			},
		},
		{
			name:    "no keys yet, no optional fields",
			ring:    mustRing(t, issuer),
			profile: Profile{Name: "某某学校"},
			want: map[string]any{
				"@context":           []any{"https://www.w3.org/ns/cid/v1", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"},
				"id":                 issuer,
				"type":               []any{"Profile"},
				"name":               "某某学校",
				"verificationMethod": []any{},
				"assertionMethod":    []any{},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ControllerDocument(tc.ring, tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("controller document (-want +got):\n%s", diff)
			}
			if bytes.Contains(b, []byte(`\u`)) {
				t.Errorf("the document escapes characters it need not:\n%s", b)
			}
		})
	}
}

// TestControllerDocumentMatchesProofs signs with the ring and finds the proof's verificationMethod
// in the document, with the key that verifies it.
func TestControllerDocumentMatchesProofs(t *testing.T) {
	k, err := GenerateKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ring := mustRing(t, "https://skillcert.example/issuers/inst-2", k)
	signed, err := ring.Sign([]byte(`{"@context":["`+ContextVC2+`"],"type":["VerifiableCredential"]}`), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var proof struct {
		Proof struct{ VerificationMethod string }
	}
	if err := json.Unmarshal(signed, &proof); err != nil {
		t.Fatal(err)
	}
	b, err := ControllerDocument(ring, Profile{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		VerificationMethod []struct{ ID, PublicKeyMultibase string }
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.VerificationMethod) != 1 || doc.VerificationMethod[0].ID != proof.Proof.VerificationMethod {
		t.Fatalf("document methods %+v, proof names %s", doc.VerificationMethod, proof.Proof.VerificationMethod)
	}
	pub, err := DecodePublicKeyMultibase(doc.VerificationMethod[0].PublicKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyProof(signed, pub); err != nil {
		t.Fatalf("the document's key does not verify the proof: %v", err)
	}
}

func TestControllerDocumentNeedsAName(t *testing.T) {
	if _, err := ControllerDocument(mustRing(t, "https://skillcert.example/issuers/x"), Profile{}); err == nil {
		t.Fatal("a profile without a name was accepted")
	}
}

func mustRing(tb testing.TB, issuer string, keys ...*Key) *KeyRing {
	tb.Helper()
	r, err := NewKeyRing(issuer, keys...)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
