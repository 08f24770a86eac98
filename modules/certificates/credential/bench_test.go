package credential

import (
	"context"
	"testing"
	"time"
)

// BenchmarkSign measures signing one certificate credential (JCS of the document and proof, two
// SHA-256, one Ed25519 signature), the building excluded.
func BenchmarkSign(b *testing.B) {
	f := newIssuerFixture(b, "inst-1")
	doc := mustBuild(b, f.certificate(7))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.ring.Sign(doc, fixtureTime); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures a full verification as the public endpoint does it: the credential's proof,
// then the status list credential's proof and the decoding of its 16 KiB list (the resolver is
// in-memory, so no database time is included).
func BenchmarkVerify(b *testing.B) {
	f := newIssuerFixture(b, "inst-1")
	cred := f.issue(b, 7)
	ctx, now := context.Background(), fixtureTime.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if res := VerifyAt(ctx, cred, f.resolver, now); !res.Valid {
			b.Fatal(res.Reasons)
		}
	}
}

// BenchmarkVerifyProof measures the signature check alone.
func BenchmarkVerifyProof(b *testing.B) {
	f := newIssuerFixture(b, "inst-1")
	cred := f.issue(b, 7)
	k, _ := f.ring.Active()
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyProof(cred, k.Public); err != nil {
			b.Fatal(err)
		}
	}
}
