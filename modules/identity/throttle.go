package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Throttle counts failed logins per account and per client address in Redis, shared by every
// instance. Windows are fixed and named by their start in the key, so they roll over even where TTLs
// do not move by themselves (miniredis in dev mode); the TTL only cleans up.
//
// Keys never hold the tenant, the username or the address in clear (usernames are often phone or id
// numbers; Redis dumps, replicas and MONITOR would show them): each key names a keyed hash of them,
// HMAC-SHA256 under a per-deployment key when one is given. Without one, SHA-256 over a fixed
// domain-separation prefix still keeps names out of Redis, but a reader of Redis could confirm a
// guessed name; the key (derived from SKILLCERT_MASTER_KEY, which every instance shares) closes that.
type Throttle struct {
	rdb          redis.UniversalClient
	key          []byte        // HMAC key of the key names; nil: SHA-256 with throttleDomain
	AccountLimit int64         // failures per account per window before 429 (default 5)
	AddressLimit int64         // failures per client address per window before 429 (default 30)
	Window       time.Duration // default 15 minutes
	now          func() time.Time
}

// throttleDomain separates the throttle's hashes from any other hash of the same names.
const throttleDomain = "skillcert/identity/login-throttle/v1\x00"

// NewThrottle returns a throttle with the default limits. key is a per-deployment secret the key
// names are HMACed with (the same on every instance, or counts would split); nil hashes them with
// SHA-256 alone.
func NewThrottle(rdb redis.UniversalClient, key []byte) *Throttle {
	return &Throttle{rdb: rdb, key: key, AccountLimit: 5, AddressLimit: 30, Window: 15 * time.Minute, now: time.Now}
}

// name hashes one counted name (kind "acct" or "addr") for a key.
func (t *Throttle) name(kind, value string) string {
	var h hash.Hash
	if t.key != nil {
		h = hmac.New(sha256.New, t.key)
	} else {
		h = sha256.New()
		h.Write([]byte(throttleDomain))
	}
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(value))
	return hex.EncodeToString(h.Sum(nil))
}

func (t *Throttle) keys(account, addr string) (string, string) {
	bucket := strconv.FormatInt(t.now().Unix()/int64(t.Window.Seconds()), 10)
	return "skillcert:login:acct:" + t.name("acct", account) + ":" + bucket,
		"skillcert:login:addr:" + t.name("addr", addr) + ":" + bucket
}

// Blocked reports whether the account or the address has used up its failures in this window.
func (t *Throttle) Blocked(ctx context.Context, account, addr string) (bool, error) {
	ka, kd := t.keys(account, addr)
	// Two GETs in one pipeline, not MGET: on a Redis Cluster the two keys live in different hash
	// slots, where MGET fails with CROSSSLOT; the cluster client sends each GET to its node.
	p := t.rdb.Pipeline()
	a, d := p.Get(ctx, ka), p.Get(ctx, kd)
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return false, err
	}
	return count(a.Val()) >= t.AccountLimit || count(d.Val()) >= t.AddressLimit, nil
}

// Fail counts one failed attempt against both.
func (t *Throttle) Fail(ctx context.Context, account, addr string) error {
	ka, kd := t.keys(account, addr)
	// No MULTI: on a Redis Cluster the two keys live in different hash slots, where one transaction
	// over both fails with CROSSSLOT. Each counter is created with its expiry (SET NX EX) before the
	// INCR, so none is ever left without one: a key names its window and is only written during it,
	// and it expires two windows after its first write.
	p := t.rdb.Pipeline()
	for _, k := range []string{ka, kd} {
		p.SetNX(ctx, k, 0, 2*t.Window)
		p.Incr(ctx, k)
	}
	_, err := p.Exec(ctx)
	return err
}

// Succeed clears the account's failures after a successful login (the address keeps its count).
func (t *Throttle) Succeed(ctx context.Context, account, addr string) error {
	ka, _ := t.keys(account, addr)
	return t.rdb.Del(ctx, ka).Err()
}

func count(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
