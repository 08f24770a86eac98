package credential

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// fuzzFixture is an issuer whose key is derived from a fixed seed, so that the credentials committed as
// seeds of FuzzVerifyCredential keep verifying: the institution's credential (index 7) and its status
// list credential are the two documents it ever signed.
func fuzzFixture(tb testing.TB) (*issuerFixture, [][]byte) {
	tb.Helper()
	seed := sha256.Sum256([]byte("skillcert credential fuzz issuer"))
	k := keyFromPrivate(ed25519.NewKeyFromSeed(seed[:]), fixtureTime.Add(-24*time.Hour))
	ring, err := NewKeyRing(IssuerID(testPublicURL, "inst-fuzz"), k)
	if err != nil {
		tb.Fatal(err)
	}
	f := &issuerFixture{
		institution: Institution{ID: "inst-fuzz", Name: "华东电力职业技能等级认定中心", URL: "https://hd-power.example"},
		ring:        ring,
		list:        NewStatusList(0),
		resolver:    newMemResolver(),
	}
	f.resolver.addRing(tb, ring)
	f.publishList(tb, fixtureTime)
	return f, [][]byte{f.issue(tb, 7), f.resolver.lists[StatusListURL(testPublicURL, f.institution.ID)]}
}

var reasonCodes = []string{ReasonMalformed, ReasonUnsupportedProof, ReasonUnknownKey, ReasonIssuerMismatch,
	ReasonKeyRetired, ReasonBadSignature, ReasonProofExpired, ReasonNotYetValid, ReasonExpired, ReasonRevoked,
	ReasonSuspended, ReasonKeyUnavailable, ReasonStatusListUnavailable, ReasonStatusListInvalid}

// FuzzVerifyCredential feeds credentials (any bytes a verifier is posted) to VerifyAt. Nothing panics
// and the result is coherent (valid exactly without reasons, known codes). A credential that verifies
// is one the issuer signed, up to JSON spelling (its canonical form is that of a signed document); it
// stays verifying; and changing any one character of any member of its proof makes it fail.
func FuzzVerifyCredential(f *testing.F) {
	fx, signed := fuzzFixture(f)
	var canon [][]byte
	for _, doc := range signed {
		c, err := Canonicalize(doc)
		if err != nil {
			f.Fatal(err)
		}
		canon = append(canon, c)
	}
	now := fixtureTime.Add(time.Hour)
	verify := func(doc []byte) Result { return VerifyAt(context.Background(), doc, fx.resolver, now) }
	f.Fuzz(func(t *testing.T, data []byte) {
		res := verify(data)
		if res.Valid != (len(res.Reasons) == 0) || res.Valid != (res.Status == StatusValid) {
			t.Fatalf("incoherent result %+v", res)
		}
		for _, r := range res.Reasons {
			if !slices.Contains(reasonCodes, r.Code) || r.Message == "" {
				t.Fatalf("reason %+v", r)
			}
		}
		if !res.Valid {
			return
		}
		c, err := Canonicalize(data)
		if err != nil || !slices.ContainsFunc(canon, func(s []byte) bool { return bytes.Equal(s, c) }) {
			t.Fatalf("a document the issuer never signed verifies:\n%s", data)
		}
		if again := verify(data); !again.Valid {
			t.Fatalf("verified once, then %+v", again)
		}
		for _, mutated := range proofMutations(t, data) {
			if res := verify(mutated); res.Valid {
				t.Fatalf("still valid with a changed proof:\n%s", mutated)
			}
		}
	})
}

// proofMutations returns copies of a credential each with one character of one string member of its
// proof changed (to another character of the same kind, so a base58 signature stays base58).
func proofMutations(t *testing.T, doc []byte) [][]byte {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	proof, ok := m["proof"].(map[string]any)
	if !ok {
		t.Fatalf("a valid credential without a proof object: %s", doc)
	}
	var out [][]byte
	for name, v := range proof {
		s, ok := v.(string)
		if !ok {
			continue
		}
		for i, r := range s {
			next := r + 1
			switch r {
			case 'z':
				next = 'a'
			case 'Z':
				next = 'A'
			case '9':
				next = '1' // 0, O, I and l are not base58
			case 'H', 'N', 'k':
				next = r + 2
			}
			proof[name] = s[:i] + string(next) + s[i+len(string(r)):]
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		proof[name] = s
	}
	return out
}
