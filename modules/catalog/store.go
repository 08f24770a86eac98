package catalog

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/catalog/seed"
	"github.com/skillcert/skillcert/modules/platform"
)

type occupationRow struct {
	bun.BaseModel `bun:"table:occupations,alias:o"`

	Code                string    `bun:"code,pk"`
	Name                string    `bun:"name"`
	MajorCode           string    `bun:"major_code"`
	MajorName           string    `bun:"major_name"`
	MiddleCode          string    `bun:"middle_code"`
	MiddleName          string    `bun:"middle_name"`
	MinorCode           string    `bun:"minor_code"`
	MinorName           string    `bun:"minor_name"`
	IsGreen             bool      `bun:"is_green"`
	IsDigital           bool      `bun:"is_digital"`
	Subtypes            []string  `bun:"subtypes,type:jsonb"`
	Levels              []int     `bun:"levels,type:jsonb"`
	StandardYear        int       `bun:"standard_year"`
	HasNationalStandard bool      `bun:"has_national_standard"`
	IsNew               bool      `bun:"is_new"`
	Note                string    `bun:"note"`
	Source              string    `bun:"source"`
	UpdatedAt           time.Time `bun:"updated_at"`
}

func rowFromSeed(o seed.Occupation, source string, at time.Time) occupationRow {
	r := occupationRow{Code: o.Code, Name: o.Name, MajorCode: o.MajorCode, MajorName: o.MajorName,
		MiddleCode: o.MiddleCode, MiddleName: o.MiddleName, MinorCode: o.MinorCode, MinorName: o.MinorName,
		IsGreen: o.IsGreen, IsDigital: o.IsDigital, Subtypes: o.Subtypes, Levels: o.Levels,
		StandardYear: o.StandardYear, HasNationalStandard: o.HasNationalStandard, IsNew: o.New, Note: o.Note,
		Source: source, UpdatedAt: at}
	if r.Subtypes == nil {
		r.Subtypes = []string{}
	}
	return r
}

// sameData reports whether two rows hold the same occupation data (source and time aside).
func sameData(a, b occupationRow) bool {
	a.Source, b.Source = "", ""
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	if len(a.Subtypes) == 0 && len(b.Subtypes) == 0 {
		a.Subtypes, b.Subtypes = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func (r *occupationRow) occupation() Occupation {
	return Occupation{Code: r.Code, Name: r.Name, Subtypes: slices.Clip(r.Subtypes), Levels: slices.Clip(r.Levels),
		HasNationalStandard: r.HasNationalStandard, MajorCode: r.MajorCode, MajorName: r.MajorName,
		MiddleCode: r.MiddleCode, MiddleName: r.MiddleName, MinorCode: r.MinorCode, MinorName: r.MinorName,
		IsGreen: r.IsGreen, IsDigital: r.IsDigital, New: r.IsNew, StandardYear: r.StandardYear, Note: r.Note,
		Source: r.Source, UpdatedAt: r.UpdatedAt.UTC()}
}

type metaRow struct {
	bun.BaseModel `bun:"table:catalog_meta"`

	Key       string    `bun:"key,pk"`
	Value     string    `bun:"value"`
	UpdatedAt time.Time `bun:"updated_at"`
}

const seedVersionKey = "seed_version"

func loadMeta(ctx context.Context, db bun.IDB, key string) (string, error) {
	var r metaRow
	err := db.NewSelect().Model(&r).Where("key = ?", key).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return r.Value, err
}

func saveMeta(ctx context.Context, db bun.IDB, key, value string, at time.Time) error {
	_, err := db.NewInsert().Model(&metaRow{Key: key, Value: value, UpdatedAt: at}).
		On("CONFLICT (key) DO UPDATE").Set("value = EXCLUDED.value, updated_at = EXCLUDED.updated_at").Exec(ctx)
	return err
}

// chunk bounds rows per statement: 17 columns × 500 rows stays far below both databases' parameter
// limits (bun inlines values anyway) and keeps statements a few hundred KiB.
const chunk = 500

// upsertOccupations writes rows; with onlySeeded, an existing row is overwritten only when it came
// from the seed, so an administrator's import survives a newer seed.
func upsertOccupations(ctx context.Context, db bun.IDB, rows []occupationRow, onlySeeded bool) error {
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		q := db.NewInsert().Model(&part).On("CONFLICT (code) DO UPDATE")
		if onlySeeded {
			q = q.Where("o.source = ?", SourceSeed)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func occupationsByCode(ctx context.Context, db bun.IDB, codes []string) (map[string]occupationRow, error) {
	out := make(map[string]occupationRow, len(codes))
	for start := 0; start < len(codes); start += chunk {
		var rows []occupationRow
		if err := db.NewSelect().Model(&rows).Where("code IN (?)", bun.In(codes[start:min(start+chunk, len(codes))])).Scan(ctx); err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.Code] = r
		}
	}
	return out, nil
}

func getOccupation(ctx context.Context, db bun.IDB, code string) (occupationRow, error) {
	var r occupationRow
	err := db.NewSelect().Model(&r).Where("code = ?", code).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrOccupationNotFound
	}
	return r, err
}

// likeEscape escapes LIKE wildcards so a user's % or _ matches itself.
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// listOccupations reads up to limit occupations by code, after the code after ("" from the start).
func listOccupations(ctx context.Context, db bun.IDB, f ListFilter, after string, limit int) ([]occupationRow, error) {
	var rows []occupationRow
	q := db.NewSelect().Model(&rows)
	if s := strings.TrimSpace(f.Query); s != "" {
		e := likeEscape.Replace(s)
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where(`code LIKE ? ESCAPE '\'`, e+"%").WhereOr(`name LIKE ? ESCAPE '\'`, "%"+e+"%")
		})
	}
	if f.HasNationalStandard != nil {
		q = q.Where("has_national_standard = ?", *f.HasNationalStandard)
	}
	if after != "" {
		q = q.Where("code > ?", after)
	}
	err := q.Order("code").Limit(int64(limit)).Scan(ctx)
	return rows, err
}

type normRow struct {
	bun.BaseModel `bun:"table:evaluation_norms"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID       uuid.UUID  `bun:"tenant_id,type:uuid"`
	OccupationCode string     `bun:"occupation_code"`
	Title          string     `bun:"title"`
	Subtypes       []string   `bun:"subtypes,type:jsonb"`
	Levels         []int      `bun:"levels,type:jsonb"`
	DocumentRef    string     `bun:"document_ref"`
	Status         string     `bun:"status"`
	FilingRef      string     `bun:"filing_ref"`
	FiledOn        *time.Time `bun:"filed_on,type:date"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`

	OccupationName string `bun:"occupation_name,scanonly"`
}

func (r *normRow) norm() Norm {
	n := Norm{ID: r.ID, TenantID: r.TenantID, OccupationCode: r.OccupationCode, OccupationName: r.OccupationName,
		Title: r.Title, Subtypes: r.Subtypes, Levels: r.Levels, DocumentRef: r.DocumentRef, Status: NormStatus(r.Status),
		FilingRef: r.FilingRef, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if n.Subtypes == nil {
		n.Subtypes = []string{}
	}
	if r.FiledOn != nil {
		n.FiledOn = dateOf(*r.FiledOn)
	}
	return n
}

// dateOf keeps the calendar date of t as UTC midnight (how dates are held in Go).
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func normSelect(db bun.IDB, dst any) *bun.SelectQuery {
	return db.NewSelect().Model(dst).ColumnExpr("n.*").ColumnExpr("o.name AS occupation_name").
		ModelTableExpr("evaluation_norms AS n").Join("JOIN occupations AS o ON o.code = n.occupation_code")
}

func insertNorm(ctx context.Context, db bun.IDB, r *normRow) error {
	_, err := db.NewInsert().Model(r).Exec(ctx)
	if platform.IsUniqueViolation(err) {
		return ErrNormDuplicate
	}
	return err
}

func getNorm(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, forUpdate bool) (normRow, error) {
	var r normRow
	q := normSelect(db, &r).Where("n.tenant_id = ? AND n.id = ?", tenantID, id)
	if forUpdate && platform.IsPostgres(db) {
		q = q.For("UPDATE OF n")
	}
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNormNotFound
	}
	return r, err
}

func normForOccupation(ctx context.Context, db bun.IDB, tenantID uuid.UUID, code string) (normRow, error) {
	var r normRow
	err := normSelect(db, &r).Where("n.tenant_id = ? AND n.occupation_code = ?", tenantID, code).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNormNotFound
	}
	return r, err
}

func fileNorm(ctx context.Context, db bun.IDB, r *normRow) error {
	_, err := db.NewUpdate().Model(r).Column("status", "filing_ref", "filed_on", "updated_at").
		Where("tenant_id = ? AND id = ?", r.TenantID, r.ID).Exec(ctx)
	return err
}

// normCursor is the keyset position of a norm list.
type normCursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// listNorms reads up to limit norms of the tenant by (created_at, id), after the cursor when given.
func listNorms(ctx context.Context, db bun.IDB, tenantID uuid.UUID, after *normCursor, desc bool, limit int) ([]normRow, error) {
	var rows []normRow
	q := normSelect(db, &rows).Where("n.tenant_id = ?", tenantID)
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if after != nil {
		q = q.Where("(n.created_at, n.id) "+op+" (?, ?)", after.CreatedAt, after.ID)
	}
	err := q.OrderExpr("n.created_at " + dir + ", n.id " + dir).Limit(int64(limit)).Scan(ctx)
	return rows, err
}
