package credential

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

const testPublicURL = "https://skillcert.example"

// memResolver is a Resolver over maps, standing in for the certificates store.
type memResolver struct {
	mu        sync.Mutex
	keys      map[string]resolvedKey // by kid
	lists     map[string][]byte      // by URL
	keyErr    error                  // when set, every key lookup fails with it
	listErr   error                  // when set, every status list fetch fails with it
	listFetch int
}

type resolvedKey struct {
	issuer string
	key    *Key
}

func newMemResolver() *memResolver {
	return &memResolver{keys: map[string]resolvedKey{}, lists: map[string][]byte{}}
}

// addRing publishes the public halves of a ring's keys, as the store would from sealed rows.
func (m *memResolver) addRing(tb testing.TB, r *KeyRing) {
	tb.Helper()
	for _, k := range r.Keys() {
		pub, err := NewPublicKey(k.Public, k.CreatedAt, k.RetiredAt)
		if err != nil {
			tb.Fatal(err)
		}
		m.keys[k.KID] = resolvedKey{issuer: r.Issuer(), key: pub}
	}
}

func (m *memResolver) PublicKey(_ context.Context, kid string) (string, *Key, error) {
	if m.keyErr != nil {
		return "", nil, m.keyErr
	}
	k, ok := m.keys[kid]
	if !ok {
		return "", nil, ErrUnknownKey
	}
	return k.issuer, k.key, nil
}

func (m *memResolver) StatusList(_ context.Context, url string) ([]byte, error) {
	m.mu.Lock()
	m.listFetch++
	m.mu.Unlock()
	if m.listErr != nil {
		return nil, m.listErr
	}
	b, ok := m.lists[url]
	if !ok {
		return nil, errors.New("no status list at " + url)
	}
	return b, nil
}

var _ Resolver = (*memResolver)(nil)

// issuerFixture is one institution: its key ring, its revocation list and a resolver that knows both.
type issuerFixture struct {
	institution Institution
	ring        *KeyRing
	list        *StatusList
	resolver    *memResolver
}

var fixtureTime = time.Date(2025, 6, 1, 9, 30, 0, 0, chinaTime)

func newIssuerFixture(tb testing.TB, institutionID string) *issuerFixture {
	tb.Helper()
	k, err := GenerateKey(fixtureTime.Add(-24 * time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	ring, err := NewKeyRing(IssuerID(testPublicURL, institutionID), k)
	if err != nil {
		tb.Fatal(err)
	}
	f := &issuerFixture{
		institution: Institution{ID: institutionID, Name: "华东电力职业技能等级认定中心", URL: "https://hd-power.example"},
		ring:        ring,
		list:        NewStatusList(0),
		resolver:    newMemResolver(),
	}
	f.resolver.addRing(tb, ring)
	f.publishList(tb, fixtureTime)
	return f
}

// publishList signs the current list and serves it, as the certificates module does after a change.
func (f *issuerFixture) publishList(tb testing.TB, now time.Time) {
	tb.Helper()
	url := StatusListURL(testPublicURL, f.institution.ID)
	doc, err := BuildStatusListCredential(StatusListMeta{URL: url, Issuer: f.ring.Issuer(), ValidFrom: now}, f.list)
	if err != nil {
		tb.Fatal(err)
	}
	signed, err := f.ring.Sign(doc, now)
	if err != nil {
		tb.Fatal(err)
	}
	f.resolver.lists[url] = signed
}

func (f *issuerFixture) certificate(index int) Certificate {
	return Certificate{
		Number:          "Y000031000001254000123",
		Holder:          Holder{Name: "张晓明", IDNumber: "310101199001011234", IDSalt: "c2FsdA"},
		Occupation:      Occupation{Code: "6-31-01-03", Name: "电工", Subtype: "--"},
		Level:           4,
		Institution:     f.institution,
		IssuedOn:        fixtureTime,
		StatusListIndex: index,
	}
}

// issue builds and signs the credential of f.certificate(index).
func (f *issuerFixture) issue(tb testing.TB, index int) []byte {
	tb.Helper()
	doc, err := BuildOpenBadge(testPublicURL, f.certificate(index))
	if err != nil {
		tb.Fatal(err)
	}
	signed, err := f.ring.Sign(doc, fixtureTime)
	if err != nil {
		tb.Fatal(err)
	}
	return signed
}
