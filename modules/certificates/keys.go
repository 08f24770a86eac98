package certificates

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// KeyInfo describes one signing key of an institution (never its private half).
type KeyInfo struct {
	KID       string
	CreatedAt time.Time
	RetiredAt *time.Time
}

// masterKey returns the master key, loading it on first use: a process that never signs (an API
// replica serving lists) never needs it.
func (s *Service) masterKey() (*credential.MasterKey, error) {
	s.mkMu.Lock()
	defer s.mkMu.Unlock()
	if s.mk != nil {
		return s.mk, nil
	}
	if s.loadMK == nil {
		return nil, platform.E(platform.KindInternal, "no_master_key", "no master key is configured")
	}
	mk, err := s.loadMK()
	if err != nil {
		return nil, fmt.Errorf("loading the credential master key: %w", err)
	}
	s.mk = mk
	return mk, nil
}

type masterKeyState struct {
	mkMu   sync.Mutex
	mk     *credential.MasterKey
	loadMK func() (*credential.MasterKey, error)
}

func (s *Service) issuerID(tenantID uuid.UUID) string {
	return credential.IssuerID(s.publicURL, tenantID.String())
}

// signingRing returns the ring of the tenant in tx with its active key opened for signing, creating
// that key on the tenant's first issuance. The active key's row stays share-locked until the
// transaction ends, so a rotation cannot retire it while this transaction signs with it.
func (s *Service) signingRing(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, now time.Time) (*credential.KeyRing, string, error) {
	mk, err := s.masterKey()
	if err != nil {
		return nil, "", err
	}
	active, err := lockActiveKey(ctx, tx, tenantID, "SHARE")
	if errors.Is(err, errNoKey) {
		k, gerr := credential.GenerateKey(now)
		if gerr != nil {
			return nil, "", gerr
		}
		sealed, serr := mk.Seal(k)
		if serr != nil {
			return nil, "", serr
		}
		// Two issuers may race to create the first key: the partial unique index lets one win, and
		// the other reads the winner's key below.
		if _, err := insertKey(ctx, tx, &keyRow{KID: k.KID, TenantID: tenantID, PublicKey: sealed.PublicKey,
			Sealed: sealed.Ciphertext, CreatedAt: now}); err != nil {
			return nil, "", err
		}
		active, err = lockActiveKey(ctx, tx, tenantID, "SHARE")
	}
	if err != nil {
		return nil, "", fmt.Errorf("loading the active signing key: %w", err)
	}
	key, err := mk.Open(credential.SealedKey{KID: active.KID, PublicKey: active.PublicKey, Ciphertext: active.Sealed, CreatedAt: active.CreatedAt})
	if err != nil {
		return nil, "", err
	}
	ring, err := credential.NewKeyRing(s.issuerID(tenantID), key)
	if err != nil {
		return nil, "", err
	}
	return ring, key.KID, nil
}

// Keys lists the signing keys of the tenant in ctx, newest first.
func (s *Service) Keys(ctx context.Context) ([]KeyInfo, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return nil, tenants.ErrNoScope
	}
	var out []KeyInfo
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		rows, err := listKeys(ctx, tx, scope.TenantID)
		for _, r := range rows {
			out = append(out, KeyInfo{KID: r.KID, CreatedAt: r.CreatedAt.UTC(), RetiredAt: utcPtr(r.RetiredAt)})
		}
		return err
	})
	return out, err
}

// RotateKey gives the tenant in ctx a new signing key and retires the active one, which keeps
// verifying what it signed before. The status list is re-signed with the new key. Audited.
func (s *Service) RotateKey(ctx context.Context) (KeyInfo, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return KeyInfo{}, err
	}
	mk, err := s.masterKey()
	if err != nil {
		return KeyInfo{}, err
	}
	var info KeyInfo
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		// Waits for issuers holding the active key (share locks), then takes the time of retirement.
		old, err := lockActiveKey(ctx, tx, scope.TenantID, "UPDATE")
		if err != nil && !errors.Is(err, errNoKey) {
			return err
		}
		now := s.clock()
		k, err := credential.GenerateKey(now)
		if err != nil {
			return err
		}
		sealed, err := mk.Seal(k)
		if err != nil {
			return err
		}
		before := map[string]any{}
		if old.KID != "" {
			if err := retireKey(ctx, tx, scope.TenantID, old.KID, now); err != nil {
				return fmt.Errorf("retiring key: %w", err)
			}
			before["kid"] = old.KID
		}
		if _, err := insertKey(ctx, tx, &keyRow{KID: k.KID, TenantID: scope.TenantID, PublicKey: sealed.PublicKey,
			Sealed: sealed.Ciphertext, CreatedAt: now}); err != nil {
			return err
		}
		ring, err := credential.NewKeyRing(s.issuerID(scope.TenantID), k)
		if err != nil {
			return err
		}
		if err := s.resignStatusList(ctx, tx, scope.TenantID, ring, now); err != nil {
			return err
		}
		info = KeyInfo{KID: k.KID, CreatedAt: now}
		return audit.Record(ctx, tx, audit.Event{Action: "certificate.key_rotate", TargetType: "certificate_key",
			TargetID: k.KID, Before: before, After: map[string]any{"kid": k.KID}})
	})
	return info, err
}

// JWKS returns the public keys of every institution, retired ones included (they verify what they
// signed before retirement): the document at /.well-known/skillcert/keys.
func (s *Service) JWKS(ctx context.Context) (credential.JWKSet, error) {
	var rows []keyRow
	err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&rows).Column("kid", "public_key", "created_at", "retired_at").
			OrderExpr("tenant_id, created_at").Scan(ctx)
	})
	if err != nil {
		return credential.JWKSet{}, fmt.Errorf("loading public keys: %w", err)
	}
	keys := make([]*credential.Key, 0, len(rows))
	for _, r := range rows {
		k, err := publicKeyOf(r)
		if err != nil {
			return credential.JWKSet{}, err
		}
		keys = append(keys, k)
	}
	return credential.NewJWKSet(keys...), nil
}

func publicKeyOf(r keyRow) (*credential.Key, error) {
	var retired time.Time
	if r.RetiredAt != nil {
		retired = *r.RetiredAt
	}
	return credential.NewPublicKey(r.PublicKey, r.CreatedAt, retired)
}

// resolver implements credential.Resolver over the keys and status lists tables, for verifying
// credentials that claim to be SkillCert's.
type resolver struct{ s *Service }

var _ credential.Resolver = resolver{}

// PublicKey finds a key by kid among every institution's keys.
func (r resolver) PublicKey(ctx context.Context, kid string) (string, *credential.Key, error) {
	var row keyRow
	err := tenants.SystemReadTx(ctx, r.s.db, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&row).Column("kid", "tenant_id", "public_key", "created_at", "retired_at").
			Where("kid = ?", kid).Scan(ctx)
	})
	if err != nil {
		if errors.Is(notFound(err), ErrNotFound) {
			return "", nil, credential.ErrUnknownKey
		}
		return "", nil, err
	}
	k, err := publicKeyOf(row)
	if err != nil {
		return "", nil, err
	}
	return r.s.issuerID(row.TenantID), k, nil
}

// StatusList returns the signed status list served at url, which must be one of this deployment's
// status list addresses: a verifier here never fetches anything from elsewhere.
func (r resolver) StatusList(ctx context.Context, url string) ([]byte, error) {
	prefix := credential.StatusListURL(r.s.publicURL, "")
	if !strings.HasPrefix(url, prefix) {
		return nil, fmt.Errorf("status list %q is not served by this platform", url)
	}
	id, err := uuid.Parse(strings.TrimPrefix(url, prefix))
	if err != nil {
		return nil, fmt.Errorf("status list %q is not served by this platform", url)
	}
	return r.s.StatusList(ctx, id)
}
