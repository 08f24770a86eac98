package candidates

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
)

type candidateRow struct {
	bun.BaseModel `bun:"table:candidates"`

	ID                      uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID                uuid.UUID  `bun:"tenant_id,type:uuid"`
	UserID                  *uuid.UUID `bun:"user_id,type:uuid"`
	Name                    string     `bun:"name"`
	NameKey                 string     `bun:"name_key"`
	IDType                  string     `bun:"id_type"`
	IDNumber                string     `bun:"id_number"`
	Phone                   string     `bun:"phone"`
	Education               string     `bun:"education"`
	OccupationYears         int        `bun:"occupation_years"`
	CurrentLevel            int        `bun:"current_level"`
	CurrentLevelObtainedOn  *time.Time `bun:"current_level_obtained_on,type:date"`
	TitleLevel              string     `bun:"title_level"`
	ApprenticeshipCompleted bool       `bun:"apprenticeship_completed"`
	RelatedDiploma          bool       `bun:"related_diploma"`
	Awards                  []string   `bun:"awards,type:jsonb"`
	StudentNo               string     `bun:"student_no"`
	HasPhoto                bool       `bun:"has_photo"`
	CreatedAt               time.Time  `bun:"created_at"`
	UpdatedAt               time.Time  `bun:"updated_at"`
}

type photoRow struct {
	bun.BaseModel `bun:"table:candidate_photos"`

	TenantID    uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	CandidateID uuid.UUID `bun:"candidate_id,pk,type:uuid"`
	ContentType string    `bun:"content_type"`
	Data        []byte    `bun:"data"`
	SHA256      string    `bun:"sha256"`
	Width       int       `bun:"width"`
	Height      int       `bun:"height"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

const dateLayout = time.DateOnly

func (r *candidateRow) candidate() Candidate {
	c := Candidate{ID: r.ID, TenantID: r.TenantID, UserID: r.UserID, Name: r.Name, NameKey: r.NameKey,
		IDType: r.IDType, IDNumber: r.IDNumber, Phone: r.Phone, Education: r.Education,
		OccupationYears: r.OccupationYears, CurrentLevel: r.CurrentLevel, TitleLevel: r.TitleLevel,
		ApprenticeshipCompleted: r.ApprenticeshipCompleted, RelatedDiploma: r.RelatedDiploma,
		Awards: r.Awards, StudentNo: r.StudentNo, HasPhoto: r.HasPhoto,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if c.Awards == nil {
		c.Awards = []string{}
	}
	if r.CurrentLevelObtainedOn != nil {
		d := civilDate(*r.CurrentLevelObtainedOn)
		c.CurrentLevelObtainedOn = &d
	}
	return c
}

// rowOf builds the stored row of a normalized, validated input.
func rowOf(id, tenantID uuid.UUID, in Input, now time.Time) *candidateRow {
	awards := in.Awards
	if awards == nil {
		awards = []string{}
	}
	return &candidateRow{ID: id, TenantID: tenantID, Name: in.Name, NameKey: NameSearchKey(in.Name),
		IDType: in.IDType, IDNumber: in.IDNumber, Phone: in.Phone, Education: in.Education,
		OccupationYears: in.OccupationYears, CurrentLevel: in.CurrentLevel,
		CurrentLevelObtainedOn: in.CurrentLevelObtainedOn, TitleLevel: in.TitleLevel,
		ApprenticeshipCompleted: in.ApprenticeshipCompleted, RelatedDiploma: in.RelatedDiploma,
		Awards: awards, StudentNo: in.StudentNo, CreatedAt: now, UpdatedAt: now}
}

// Unique constraints of the candidates table (migrations/*/20261123002000_candidates.tx.up.sql).
const (
	userIndex      = "candidates_user_idx"
	studentNoIndex = "candidates_student_no_idx"
)

// duplicateOf turns a unique violation of writing r (nil for a bulk write) into ErrDuplicate naming the
// field it is about; any other error passes as it is. PostgreSQL names the violated constraint. SQLite
// does not, so there a clash of r's student number is looked up (a failed statement leaves an SQLite
// transaction usable); anything else is the document.
func duplicateOf(ctx context.Context, db bun.IDB, r *candidateRow, err error) error {
	if !platform.IsUniqueViolation(err) {
		return err
	}
	if platform.IsPostgres(db) {
		switch {
		case platform.IsConstraint(err, studentNoIndex):
			return duplicateError(fStudentNo)
		case platform.IsConstraint(err, userIndex):
			return duplicateError("user_id")
		}
		return duplicateError(IDNumberField)
	}
	if r != nil && r.StudentNo != "" {
		taken, qerr := db.NewSelect().Model((*candidateRow)(nil)).
			Where("tenant_id = ? AND student_no = ? AND id <> ?", r.TenantID, r.StudentNo, r.ID).Exists(ctx)
		if qerr != nil {
			return qerr
		}
		if taken {
			return duplicateError(fStudentNo)
		}
	}
	return duplicateError(IDNumberField)
}

func insertCandidate(ctx context.Context, db bun.IDB, r *candidateRow) error {
	_, err := db.NewInsert().Model(r).Exec(ctx)
	return duplicateOf(ctx, db, r, err)
}

func updateCandidate(ctx context.Context, db bun.IDB, r *candidateRow) error {
	_, err := db.NewUpdate().Model(r).
		Column("name", "name_key", "id_type", "id_number", "phone", "education", "occupation_years",
			"current_level", "current_level_obtained_on", "title_level", "apprenticeship_completed",
			"related_diploma", "awards", "student_no", "updated_at").
		Where("tenant_id = ?", r.TenantID).WherePK().Exec(ctx)
	return duplicateOf(ctx, db, r, err)
}

func selectCandidate(db bun.IDB, r *candidateRow, tenantID uuid.UUID, lock bool) *bun.SelectQuery {
	q := db.NewSelect().Model(r).Where("tenant_id = ?", tenantID)
	if lock && platform.IsPostgres(db) {
		q = q.For("UPDATE")
	}
	return q
}

func one(ctx context.Context, q *bun.SelectQuery, r *candidateRow) (Candidate, error) {
	if err := q.Limit(1).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Candidate{}, ErrNotFound
		}
		return Candidate{}, err
	}
	return r.candidate(), nil
}

func candidateByID(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, lock bool) (Candidate, error) {
	r := new(candidateRow)
	return one(ctx, selectCandidate(db, r, tenantID, lock).Where("id = ?", id), r)
}

func candidateByUser(ctx context.Context, db bun.IDB, tenantID, userID uuid.UUID) (Candidate, error) {
	r := new(candidateRow)
	return one(ctx, selectCandidate(db, r, tenantID, false).Where("user_id = ?", userID), r)
}

func candidateByIDNumber(ctx context.Context, db bun.IDB, tenantID uuid.UUID, idType, number string, lock bool) (Candidate, error) {
	r := new(candidateRow)
	return one(ctx, selectCandidate(db, r, tenantID, lock).Where("id_type = ? AND id_number = ?", idType, number), r)
}

func linkUser(ctx context.Context, db bun.IDB, tenantID, id, userID uuid.UUID, now time.Time) error {
	res, err := db.NewUpdate().Table("candidates").Set("user_id = ?", userID).Set("updated_at = ?", now).
		Where("tenant_id = ? AND id = ? AND user_id IS NULL", tenantID, id).Exec(ctx)
	if platform.IsUniqueViolation(err) {
		return duplicateError("user_id") // the only column written: the login is linked elsewhere
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return duplicateError(IDNumberField)
	}
	return nil
}

// listCursor is the keyset position after the last row of a page, for either sort.
type listCursor struct {
	CreatedAt time.Time
	NameKey   string
	ID        uuid.UUID
}

// likeEscape escapes LIKE's wildcards so a search for "50%" means the characters.
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// listCandidates reads the rows of one page (req.Fetch of them) after the cursor when given.
func listCandidates(ctx context.Context, db bun.IDB, tenantID uuid.UUID, f ListFilter, req platform.PageRequest, after *listCursor) ([]Candidate, error) {
	var rows []candidateRow
	sel := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
	if f.within != nil {
		if len(*f.within) == 0 {
			return nil, nil
		}
		sel = sel.Where("id IN (?)", bun.In(*f.within))
	}
	if f.Education != "" {
		sel = sel.Where("education = ?", f.Education)
	}
	if f.HasPhoto != nil {
		sel = sel.Where("has_photo = ?", *f.HasPhoto)
	}
	if s := strings.TrimSpace(f.Q); s != "" {
		key := NameSearchKey(s)
		number := NormalizeOtherID(s)
		sel = sel.WhereGroup(" AND ", func(g *bun.SelectQuery) *bun.SelectQuery {
			if key != "" {
				g = g.WhereOr(`name_key LIKE ? ESCAPE '\'`, "%"+likeEscape.Replace(key)+"%")
			}
			return g.WhereOr("id_number = ?", number)
		})
	}
	cmp, dir := ">", "ASC"
	if req.Desc {
		cmp, dir = "<", "DESC"
	}
	switch req.Sort {
	case SortName:
		if after != nil {
			sel = sel.Where("(name_key, id) "+cmp+" (?, ?)", after.NameKey, after.ID)
		}
		sel = sel.OrderExpr("name_key " + dir + ", id " + dir)
	default:
		if after != nil {
			sel = sel.Where("(created_at, id) "+cmp+" (?, ?)", after.CreatedAt, after.ID)
		}
		sel = sel.OrderExpr("created_at " + dir + ", id " + dir)
	}
	if err := sel.Limit(int64(req.Fetch())).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Candidate, len(rows))
	for i := range rows {
		out[i] = rows[i].candidate()
	}
	return out, nil
}

func upsertPhoto(ctx context.Context, db bun.IDB, p *photoRow) error {
	_, err := db.NewInsert().Model(p).
		On("CONFLICT (tenant_id, candidate_id) DO UPDATE").
		Set("content_type = EXCLUDED.content_type, data = EXCLUDED.data, sha256 = EXCLUDED.sha256").
		Set("width = EXCLUDED.width, height = EXCLUDED.height, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return err
	}
	_, err = db.NewUpdate().Table("candidates").Set("has_photo = ?", true).Set("updated_at = ?", p.UpdatedAt).
		Where("tenant_id = ? AND id = ?", p.TenantID, p.CandidateID).Exec(ctx)
	return err
}

func photoOf(ctx context.Context, db bun.IDB, tenantID, candidateID uuid.UUID) (Photo, error) {
	var r photoRow
	err := db.NewSelect().Model(&r).Where("tenant_id = ? AND candidate_id = ?", tenantID, candidateID).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Photo{}, ErrPhotoNotFound
	}
	if err != nil {
		return Photo{}, err
	}
	return Photo{CandidateID: r.CandidateID, ContentType: r.ContentType, Data: r.Data, SHA256: r.SHA256,
		Width: r.Width, Height: r.Height, UpdatedAt: r.UpdatedAt.UTC()}, nil
}
