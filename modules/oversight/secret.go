package oversight

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

type secretRow struct {
	bun.BaseModel `bun:"table:oversight_secrets"`

	Name  string `bun:"name,pk"`
	Value []byte `bun:"value"`
}

// PlatformSecret returns the module's platform secret. With SKILLCERT_MASTER_KEY (base64 of 32 bytes)
// it is derived from it, so it lives outside the database; without one (dev mode) a random secret is
// made once and kept in the database. Changing it later orphans the person hashes of the
// cross-institution checks (they are rebuilt only as certificates are reported again) and the sealed
// sync secrets (regulators set their endpoints again).
func PlatformSecret(ctx context.Context, db bun.IDB, masterKey string) ([]byte, error) {
	if masterKey = strings.TrimSpace(masterKey); masterKey != "" {
		var raw []byte
		var err error
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if raw, err = enc.DecodeString(masterKey); err == nil {
				break
			}
		}
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("SKILLCERT_MASTER_KEY must be base64 of 32 bytes")
		}
		m := hmac.New(sha256.New, raw)
		m.Write([]byte("skillcert/oversight/platform-secret/v1"))
		return m.Sum(nil), nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if _, err := db.NewInsert().Model(&secretRow{Name: "platform", Value: b}).On("CONFLICT (name) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("oversight: keeping the platform secret: %w", err)
	}
	row := new(secretRow)
	if err := db.NewSelect().Model(row).Where("name = ?", "platform").Scan(ctx); err != nil {
		return nil, fmt.Errorf("oversight: reading the platform secret: %w", err)
	}
	return row.Value, nil
}
