package credential

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func wantResult(tb testing.TB, got Result, valid bool, status string, codes ...string) {
	tb.Helper()
	if got.Valid != valid || got.Status != status || !slices.Equal(got.Codes(), codes) {
		tb.Fatalf("got valid=%v status=%q reasons=%+v; want valid=%v status=%q codes=%q", got.Valid, got.Status, got.Reasons, valid, status, codes)
	}
}

func TestVerifyValid(t *testing.T) {
	f := newIssuerFixture(t, "inst-1")
	cred := f.issue(t, 7)
	res := VerifyAt(context.Background(), cred, f.resolver, fixtureTime.Add(time.Hour))
	wantResult(t, res, true, StatusValid)
	if b, _ := json.Marshal(res); string(b) != `{"valid":true,"status":"valid","reasons":[]}` {
		t.Fatalf("JSON of a valid result = %s", b)
	}
	// Verify (the clock-reading variant) agrees for a credential valid from a past date.
	wantResult(t, Verify(context.Background(), cred, f.resolver), true, StatusValid)
}

// TestVerifyOneByteChange flips one bit of every byte of a signed credential in turn. Each change must
// make it invalid: "malformed" when the JSON no longer parses, otherwise the reason that the changed
// member implies, which for every member not read before the signature check is "bad_signature".
func TestVerifyOneByteChange(t *testing.T) {
	f := newIssuerFixture(t, "inst-1")
	cred := f.issue(t, 7)
	var orig any
	if err := json.Unmarshal(cred, &orig); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for i := range cred {
		mutated := bytes.Clone(cred)
		mutated[i] ^= 0x01
		res := VerifyAt(context.Background(), mutated, f.resolver, fixtureTime.Add(time.Hour))
		if res.Valid || len(res.Reasons) != 1 || res.Status != StatusInvalid {
			t.Fatalf("byte %d (%q→%q): got %+v, want invalid with one reason", i, cred[i], mutated[i], res)
		}
		got := res.Reasons[0].Code
		counts[got]++
		want := expectedReason(t, orig, mutated)
		if !slices.Contains(want, got) {
			t.Errorf("byte %d (%q→%q): reason %q, want one of %q", i, cred[i], mutated[i], got, want)
		}
	}
	t.Logf("%d byte changes: %v", len(cred), counts)
	if counts[ReasonBadSignature] < len(cred)/4 || counts[ReasonMalformed] == 0 {
		t.Fatalf("implausible spread of reasons: %v", counts)
	}
	if f.resolver.listFetch != 0 {
		t.Fatalf("altered credentials made the verifier fetch the status list %d times", f.resolver.listFetch)
	}
}

// expectedReason is the oracle of TestVerifyOneByteChange: which reason codes a change allows.
func expectedReason(tb testing.TB, orig any, mutated []byte) []string {
	tb.Helper()
	var m any
	if !utf8.Valid(mutated) || json.Unmarshal(mutated, &m) != nil {
		return []string{ReasonMalformed}
	}
	path, renamed := diffPath(orig, m, "")
	if path == "" {
		tb.Fatalf("a one-byte change left the JSON value equal:\n%s", mutated)
	}
	if renamed { // a member name changed: a member needed to find the key may be gone, or the signature breaks
		return []string{ReasonMalformed, ReasonUnsupportedProof, ReasonUnknownKey, ReasonBadSignature}
	}
	switch {
	case path == "/proof/type", path == "/proof/cryptosuite", path == "/proof/proofPurpose":
		return []string{ReasonUnsupportedProof}
	case path == "/proof/verificationMethod":
		return []string{ReasonIssuerMismatch, ReasonUnknownKey}
	case path == "/issuer/id":
		return []string{ReasonIssuerMismatch}
	}
	return []string{ReasonBadSignature}
}

// diffPath returns the JSON pointer of the one place a and b differ, and whether a member name
// differs there.
func diffPath(a, b any, at string) (string, bool) {
	switch a := a.(type) {
	case map[string]any:
		bm := b.(map[string]any)
		for k := range a {
			if _, ok := bm[k]; !ok {
				return at + "/" + k, true
			}
		}
		for k, v := range a {
			if p, renamed := diffPath(v, bm[k], at+"/"+k); p != "" {
				return p, renamed
			}
		}
	case []any:
		bs, ok := b.([]any)
		if !ok || len(bs) != len(a) {
			return at, false
		}
		for i := range a {
			if p, renamed := diffPath(a[i], bs[i], fmt.Sprintf("%s/%d", at, i)); p != "" {
				return p, renamed
			}
		}
	default:
		if a != b {
			return at, false
		}
	}
	return "", false
}

func TestVerifyTargetedChanges(t *testing.T) {
	f := newIssuerFixture(t, "inst-1")
	cred := f.issue(t, 7)
	tests := []struct{ name, old, new, code string }{
		{"holder name", "张晓明", "张晓朋", ReasonBadSignature},
		{"level", "四级/中级工", "三级/高级工", ReasonBadSignature},
		{"certificate number", "Y000031000001254000123", "Y000031000001254000124", ReasonBadSignature},
		{"issue date", `"awardedDate": "2025-06-01`, `"awardedDate": "2025-06-02`, ReasonBadSignature},
		{"status index", `"statusListIndex": "7"`, `"statusListIndex": "8"`, ReasonBadSignature},
		{"proof created", `"created": "2025-06-01T01:30:00Z"`, `"created": "2025-06-01T01:30:01Z"`, ReasonBadSignature},
		{"added member", `"name": "职业技能等级证书",`, `"name": "职业技能等级证书", "validUntil": "2030-01-01T00:00:00Z",`, ReasonBadSignature},
		{"cryptosuite", `"eddsa-jcs-2022"`, `"eddsa-rdfc-2022"`, ReasonUnsupportedProof},
		{"proof purpose", `"assertionMethod"`, `"authentication"`, ReasonUnsupportedProof},
		{"duplicate key", `"name": "职业技能等级证书",`, `"name": "职业技能等级证书", "name": "伪造",`, ReasonMalformed},
		{"not JSON", `{`, `[`, ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mutated := bytes.Replace(cred, []byte(tc.old), []byte(tc.new), 1)
			if bytes.Equal(mutated, cred) {
				t.Fatalf("test setup: %q not found in\n%s", tc.old, cred)
			}
			res := VerifyAt(context.Background(), mutated, f.resolver, fixtureTime.Add(time.Hour))
			wantResult(t, res, false, StatusInvalid, tc.code)
		})
	}
	t.Run("no proof", func(t *testing.T) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(cred, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "proof")
		unsigned, _ := json.Marshal(m)
		wantResult(t, VerifyAt(context.Background(), unsigned, f.resolver, fixtureTime), false, StatusInvalid, ReasonMalformed)
	})
	t.Run("proof set", func(t *testing.T) {
		i := bytes.Index(cred, []byte(`"proof": {`))
		set := append(bytes.Clone(cred[:i]), []byte(`"proof": [`)...)
		set = append(set, cred[i+len(`"proof": `):len(cred)-1]...)
		set = append(set, []byte("]}")...)
		wantResult(t, VerifyAt(context.Background(), set, f.resolver, fixtureTime), false, StatusInvalid, ReasonUnsupportedProof)
	})
}

func TestVerifyRevocation(t *testing.T) {
	f := newIssuerFixture(t, "inst-1")
	cred, other := f.issue(t, 7), f.issue(t, 8)
	later := fixtureTime.Add(48 * time.Hour)

	if err := f.list.Set(7, true); err != nil {
		t.Fatal(err)
	}
	f.publishList(t, later)
	wantResult(t, VerifyAt(context.Background(), cred, f.resolver, later), false, StatusRevoked, ReasonRevoked)
	wantResult(t, VerifyAt(context.Background(), other, f.resolver, later), true, StatusValid)

	t.Run("bit flipped in the served list without re-signing", func(t *testing.T) {
		url := StatusListURL(testPublicURL, f.institution.ID)
		signed := f.resolver.lists[url]
		defer func() { f.resolver.lists[url] = signed }()
		var doc map[string]any
		if err := json.Unmarshal(signed, &doc); err != nil {
			t.Fatal(err)
		}
		clear := NewStatusList(0)
		doc["credentialSubject"].(map[string]any)["encodedList"] = clear.Encode()
		f.resolver.lists[url], _ = json.Marshal(doc)
		wantResult(t, VerifyAt(context.Background(), cred, f.resolver, later), false, StatusUnknown, ReasonStatusListInvalid)
	})

	t.Run("reinstated", func(t *testing.T) {
		if err := f.list.Set(7, false); err != nil {
			t.Fatal(err)
		}
		f.publishList(t, later)
		wantResult(t, VerifyAt(context.Background(), cred, f.resolver, later), true, StatusValid)
	})
}

func TestVerifyStatusListProblems(t *testing.T) {
	ctx := context.Background()
	now := fixtureTime.Add(time.Hour)

	t.Run("unavailable", func(t *testing.T) {
		f := newIssuerFixture(t, "inst-1")
		cred := f.issue(t, 7)
		f.resolver.listErr = errors.New("database down")
		wantResult(t, VerifyAt(ctx, cred, f.resolver, now), false, StatusUnknown, ReasonStatusListUnavailable)
	})
	t.Run("signed by another issuer", func(t *testing.T) {
		f, g := newIssuerFixture(t, "inst-1"), newIssuerFixture(t, "inst-2")
		cred := f.issue(t, 7)
		url := StatusListURL(testPublicURL, f.institution.ID)
		doc, err := BuildStatusListCredential(StatusListMeta{URL: url, Issuer: g.ring.Issuer(), ValidFrom: now}, NewStatusList(0))
		if err != nil {
			t.Fatal(err)
		}
		forged, err := g.ring.Sign(doc, now)
		if err != nil {
			t.Fatal(err)
		}
		f.resolver.addRing(t, g.ring)
		f.resolver.lists[url] = forged
		wantResult(t, VerifyAt(ctx, cred, f.resolver, now), false, StatusUnknown, ReasonStatusListInvalid)
	})
	t.Run("list of another URL", func(t *testing.T) {
		f := newIssuerFixture(t, "inst-1")
		cred := f.issue(t, 7)
		url := StatusListURL(testPublicURL, f.institution.ID)
		doc, err := BuildStatusListCredential(StatusListMeta{URL: url + "-old", Issuer: f.ring.Issuer(), ValidFrom: now}, NewStatusList(0))
		if err != nil {
			t.Fatal(err)
		}
		if f.resolver.lists[url], err = f.ring.Sign(doc, now); err != nil {
			t.Fatal(err)
		}
		wantResult(t, VerifyAt(ctx, cred, f.resolver, now), false, StatusUnknown, ReasonStatusListInvalid)
	})
	t.Run("stale list", func(t *testing.T) {
		f := newIssuerFixture(t, "inst-1")
		cred := f.issue(t, 7)
		url := StatusListURL(testPublicURL, f.institution.ID)
		doc, err := BuildStatusListCredential(StatusListMeta{URL: url, Issuer: f.ring.Issuer(), ValidFrom: fixtureTime, ValidUntil: fixtureTime.Add(time.Minute)}, NewStatusList(0))
		if err != nil {
			t.Fatal(err)
		}
		if f.resolver.lists[url], err = f.ring.Sign(doc, fixtureTime); err != nil {
			t.Fatal(err)
		}
		wantResult(t, VerifyAt(ctx, cred, f.resolver, now), false, StatusUnknown, ReasonStatusListInvalid)
	})
	t.Run("index beyond the list", func(t *testing.T) {
		f := newIssuerFixture(t, "inst-1")
		cred := f.issue(t, MinStatusListSize)
		wantResult(t, VerifyAt(ctx, cred, f.resolver, now), false, StatusUnknown, ReasonStatusListInvalid)
	})
}

func TestVerifyKeys(t *testing.T) {
	ctx := context.Background()

	t.Run("retired key still verifies what it signed", func(t *testing.T) {
		f := newIssuerFixture(t, "inst-1")
		old := f.issue(t, 7)
		oldKey, _ := f.ring.Active()
		rotatedAt := fixtureTime.Add(24 * time.Hour)
		added, retired, err := f.ring.Rotate(rotatedAt)
		if err != nil {
			t.Fatal(err)
		}
		if len(retired) != 1 || retired[0] != oldKey || oldKey.RetiredAt != rotatedAt {
			t.Fatalf("Rotate retired %v, want the old key at %v", retired, rotatedAt)
		}
		f.resolver.addRing(t, f.ring)
		f.publishList(t, rotatedAt.Add(time.Minute)) // the list is now signed by the new key
		later := rotatedAt.Add(time.Hour)
		wantResult(t, VerifyAt(ctx, old, f.resolver, later), true, StatusValid)

		fresh, err := f.ring.Sign(mustBuild(t, f.certificate(8)), later)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(fresh, []byte(added.KID)) {
			t.Fatal("after rotation the ring does not sign with the new key")
		}
		wantResult(t, VerifyAt(ctx, fresh, f.resolver, later), true, StatusValid)

		// The old private key, leaked after retirement, cannot make credentials that verify.
		backdated, err := Sign(mustBuild(t, f.certificate(9)), oldKey.private,
			ProofOptions{VerificationMethod: f.ring.VerificationMethod(oldKey), Created: later})
		if err != nil {
			t.Fatal(err)
		}
		wantResult(t, VerifyAt(ctx, backdated, f.resolver, later), false, StatusInvalid, ReasonKeyRetired)
	})
	t.Run("unknown key", func(t *testing.T) {
		f := newIssuerFixture(t, "inst-1")
		cred := f.issue(t, 7)
		wantResult(t, VerifyAt(ctx, cred, newMemResolver(), fixtureTime), false, StatusInvalid, ReasonUnknownKey)
	})
	t.Run("key lookup down", func(t *testing.T) {
		f := newIssuerFixture(t, "inst-1")
		cred := f.issue(t, 7)
		f.resolver.keyErr = errors.New("database down")
		wantResult(t, VerifyAt(ctx, cred, f.resolver, fixtureTime), false, StatusUnknown, ReasonKeyUnavailable)
	})
	t.Run("another institution's key", func(t *testing.T) {
		f, g := newIssuerFixture(t, "inst-1"), newIssuerFixture(t, "inst-2")
		g.resolver.addRing(t, f.ring)
		gKey, _ := g.ring.Active()
		doc := mustBuild(t, f.certificate(7)) // issuer is inst-1
		for name, vm := range map[string]string{
			"named under the credential's issuer": f.ring.Issuer() + "#" + gKey.KID,
			"named under its own issuer":          g.ring.VerificationMethod(gKey),
		} {
			t.Run(name, func(t *testing.T) {
				forged, err := Sign(doc, gKey.private, ProofOptions{VerificationMethod: vm, Created: fixtureTime})
				if err != nil {
					t.Fatal(err)
				}
				wantResult(t, VerifyAt(ctx, forged, g.resolver, fixtureTime), false, StatusInvalid, ReasonIssuerMismatch)
			})
		}
	})
	t.Run("JWKS round trip", func(t *testing.T) {
		// An offline verifier that only has the published JWKS resolves keys from it.
		f := newIssuerFixture(t, "inst-1")
		cred := f.issue(t, 7)
		b, err := json.Marshal(NewJWKSet(f.ring.Keys()...))
		if err != nil {
			t.Fatal(err)
		}
		var set JWKSet
		if err := json.Unmarshal(b, &set); err != nil {
			t.Fatal(err)
		}
		r := newMemResolver()
		r.lists = f.resolver.lists
		for _, jwk := range set.Keys {
			pub, err := jwk.PublicKey()
			if err != nil {
				t.Fatal(err)
			}
			k, _ := NewPublicKey(pub, time.Time{}, time.Time{})
			r.keys[jwk.Kid] = resolvedKey{issuer: f.ring.Issuer(), key: k}
		}
		wantResult(t, VerifyAt(ctx, cred, r, fixtureTime), true, StatusValid)
	})
}

func TestVerifyValidityPeriod(t *testing.T) {
	f := newIssuerFixture(t, "inst-1")
	c := f.certificate(7)
	c.ValidFrom = fixtureTime.Add(30 * 24 * time.Hour)
	cred, err := f.ring.Sign(mustBuild(t, c), fixtureTime)
	if err != nil {
		t.Fatal(err)
	}
	wantResult(t, VerifyAt(context.Background(), cred, f.resolver, fixtureTime), false, StatusInvalid, ReasonNotYetValid)
	wantResult(t, VerifyAt(context.Background(), cred, f.resolver, c.ValidFrom), true, StatusValid)
}

func TestResultStatusPrecedence(t *testing.T) {
	tests := []struct {
		codes  []string
		status string
	}{
		{nil, StatusValid},
		{[]string{ReasonStatusListUnavailable}, StatusUnknown},
		{[]string{ReasonSuspended, ReasonStatusListUnavailable}, StatusSuspended},
		{[]string{ReasonStatusListInvalid, ReasonRevoked, ReasonSuspended}, StatusRevoked},
		{[]string{ReasonRevoked, ReasonExpired}, StatusInvalid},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.codes, "+"), func(t *testing.T) {
			var reasons []Reason
			for _, c := range tc.codes {
				reasons = append(reasons, Reason{Code: c})
			}
			res := result(reasons)
			if res.Status != tc.status || res.Valid != (len(tc.codes) == 0) {
				t.Fatalf("result(%v) = %+v, want status %q", tc.codes, res, tc.status)
			}
		})
	}
}

func mustBuild(tb testing.TB, c Certificate) []byte {
	tb.Helper()
	doc, err := BuildOpenBadge(testPublicURL, c)
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}
