package crosscheck

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
)

type flagRow struct {
	bun.BaseModel `bun:"table:oversight_flags"`

	TenantID       uuid.UUID       `bun:"tenant_id,pk,type:uuid"`
	ID             uuid.UUID       `bun:"id,pk,type:uuid"`
	Kind           string          `bun:"kind"`
	Fingerprint    string          `bun:"fingerprint"`
	PersonRef      string          `bun:"person_ref"`
	OccupationCode string          `bun:"occupation_code"`
	Level          int             `bun:"level"`
	Items          json.RawMessage `bun:"items,type:jsonb"`
	OutsideCount   int             `bun:"outside_count"`
	FirstSeenAt    time.Time       `bun:"first_seen_at"`
	LastSeenAt     time.Time       `bun:"last_seen_at"`
	ResolvedAt     *time.Time      `bun:"resolved_at"`
}

func (r *flagRow) flag() Flag {
	f := Flag{ID: r.ID, Kind: r.Kind, PersonRef: r.PersonRef, OccupationCode: r.OccupationCode, Level: r.Level,
		OutsideCount: r.OutsideCount, FirstSeenAt: r.FirstSeenAt.UTC(), LastSeenAt: r.LastSeenAt.UTC(), ResolvedAt: core.UTCPtr(r.ResolvedAt)}
	_ = json.Unmarshal(r.Items, &f.Items)
	if f.Items == nil {
		f.Items = []FlagItem{}
	}
	return f
}

// firstSeen is the order of the list: oldest finding first.
var firstSeen = core.Keyset{Column: "first_seen_at"}
