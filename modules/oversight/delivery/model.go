// Package delivery sends every report a regulator receives to its external system (the sync
// endpoint, API.md "Oversight"): at least once, in order per institution, signed, retried with
// backoff, dead-lettered after Options.DeadAfter until the regulator resumes; and only to addresses
// the guard (netguard.go) lets through, checked where the connection is made.
package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

// Errors of deliveries.
var (
	ErrNoEndpoint = platform.NotFound("sync endpoint")
	// ErrPrivateTarget refuses a sync target on a private, loopback or link-local address.
	ErrPrivateTarget = platform.Unprocessable("private_target",
		"the sync endpoint resolves to a private, loopback or link-local address (allowed only with SKILLCERT_SYNC_ALLOW_PRIVATE=true)")
)

// EndpointInput configures a regulator's external system.
type EndpointInput struct {
	URL    string
	Secret string
}

// Validate checks the address's shape and the secret; reachability rules are checked by the service.
func (in *EndpointInput) Validate(allowHTTP bool) error {
	in.URL = strings.TrimSpace(in.URL)
	var v platform.Validation
	u, err := url.Parse(in.URL)
	if v.Check(err == nil && u.Host != "" && u.Hostname() != "", "url", "format", "an absolute https:// address is required") {
		v.Check(u.Scheme == "https" || (allowHTTP && u.Scheme == "http"), "url", "scheme", "the address must use https")
		v.Check(u.User == nil, "url", "credentials", "credentials in the address are not allowed; use the secret")
		v.Check(u.Fragment == "", "url", "fragment", "the address may not have a fragment")
	}
	v.Check(len(in.URL) <= 2000, "url", "too_long", "at most 2000 characters")
	v.Check(len(in.Secret) >= 16 && len(in.Secret) <= 256, "secret", "length", "a secret of 16 to 256 bytes is required")
	return v.Err()
}

// Stream states.
const (
	streamOK       = "ok"
	streamRetrying = "retrying"
	streamDead     = "dead"
)

// Backoff shapes the retries of a failing delivery: the n-th retry waits about Base·2ⁿ⁻¹, capped at
// Max, with "equal jitter" (a uniformly random half of it added to the other half), so that many
// streams failing together do not retry together.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
}

// Wait is the wait before retry n (n ≥ 1): Base·2ⁿ⁻¹ capped at Max, half of it fixed and half
// random (never shorter than half the nominal wait, spread over the other half).
func (b Backoff) Wait(n int) time.Duration {
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// DeliverResult counts a delivery run.
type DeliverResult struct {
	Delivered    int
	Failed       int
	DeadLettered int
	More         bool // the run's budget ended with work left
}

func (r *DeliverResult) add(o DeliverResult) {
	r.Delivered += o.Delivered
	r.Failed += o.Failed
	r.DeadLettered += o.DeadLettered
}

// Sign is the X-SkillCert-Signature value of body: "sha256=" and the hex HMAC-SHA256 with secret.
func Sign(body, secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks an X-SkillCert-Signature header in constant time (for receivers and tests).
func VerifySignature(body, secret []byte, header string) bool {
	return hmac.Equal([]byte(Sign(body, secret)), []byte(strings.TrimSpace(header)))
}

func errorText(err error) string {
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return msg
}
