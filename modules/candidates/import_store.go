package candidates

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// dbColumns maps an import field to the candidates columns it writes. The level and its date are one
// unit: a file that has either column rewrites both, so a stored date can never outlive its level.
var dbColumns = map[string][]string{
	fName:           {"name", "name_key"},
	fPhone:          {"phone"},
	fEducation:      {"education"},
	fYears:          {"occupation_years"},
	fLevel:          {"current_level", "current_level_obtained_on"},
	fLevelOn:        {"current_level", "current_level_obtained_on"},
	fTitle:          {"title_level"},
	fApprenticeship: {"apprenticeship_completed"},
	fRelated:        {"related_diploma"},
	fAwards:         {"awards"},
	fStudentNo:      {"student_no"},
}

// updateColumns lists, in a stable order, the columns an import of a file with fields present rewrites
// on candidates it already knows.
func updateColumns(present fieldSet) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range columns {
		if !present[c.field] {
			continue
		}
		for _, col := range dbColumns[c.field] {
			if !seen[col] {
				seen[col] = true
				out = append(out, col)
			}
		}
	}
	return out
}

// store writes the staged rows of an import in one transaction of the tenant: on PostgreSQL through COPY
// into a temporary table and one merging INSERT … ON CONFLICT; elsewhere (SQLite, dev mode) through
// batched upserts. Either way the import is audited once and changed candidates reach the listener.
func (s *Service) store(ctx context.Context, scope tenants.Scope, im *importer, fileName string) error {
	cols := updateColumns(im.present)
	record := func(ctx context.Context, tx bun.IDB, changed []uuid.UUID) error {
		if err := s.notifyChanged(ctx, tx, changed); err != nil {
			return err
		}
		r := im.result
		return audit.Record(ctx, tx, audit.Event{Action: "candidate.import", TargetType: "candidate_import", TargetID: r.SHA256,
			After: map[string]any{"file_name": fileName, "format": r.Format, "sha256": r.SHA256, "rows": r.Rows,
				"created": r.Created, "updated": r.Updated, "unchanged": r.Unchanged, "rejected": r.RejectedTotal,
				"columns": updateColumns(im.present)}})
	}
	if platform.IsPostgres(s.db) && !s.forceBatched {
		return s.withCopyTx(ctx, scope, func(ctx context.Context, tx bun.Tx, copyFrom copyFunc) error {
			changed, err := s.mergePG(ctx, tx, copyFrom, scope, im, cols)
			if err != nil {
				return err
			}
			return record(ctx, tx, changed)
		})
	}
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		changed, err := s.mergeBatched(ctx, tx, scope, im, cols)
		if err != nil {
			return err
		}
		return record(ctx, tx, changed)
	})
}

// copyFunc runs pgx's CopyFrom on the connection of the current transaction.
type copyFunc func(ctx context.Context, table string, cols []string, src pgx.CopyFromSource) (int64, error)

// withCopyTx is tenants.WithConnTx with the connection's pgx CopyFrom handed to fn, so the COPY and
// the merge run in the tenant's transaction under row-level security.
func (s *Service) withCopyTx(ctx context.Context, scope tenants.Scope, fn func(ctx context.Context, tx bun.Tx, copyFrom copyFunc) error) error {
	return tenants.WithConnTx(tenants.WithScope(ctx, scope), s.db, func(ctx context.Context, conn bun.Conn, tx bun.Tx) error {
		copyFrom := func(ctx context.Context, table string, cols []string, src pgx.CopyFromSource) (int64, error) {
			var n int64
			err := conn.Raw(func(dc any) error {
				c, ok := dc.(*stdlib.Conn)
				if !ok {
					return fmt.Errorf("candidates: COPY needs the pgx driver, got %T", dc)
				}
				var err error
				n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, src)
				return err
			})
			return n, err
		}
		return fn(ctx, tx, copyFrom)
	})
}

// stagingColumns are the columns of the temporary table an import is copied into.
var stagingColumns = []string{"row", "id", "name", "name_key", "id_type", "id_number", "phone", "education",
	"occupation_years", "current_level", "current_level_obtained_on", "title_level", "apprenticeship_completed",
	"related_diploma", "awards", "student_no"}

// insertColumns are the candidates columns an import inserts (from staging, same names).
var insertColumns = []string{"id", "name", "name_key", "id_type", "id_number", "phone", "education",
	"occupation_years", "current_level", "current_level_obtained_on", "title_level", "apprenticeship_completed",
	"related_diploma", "awards", "student_no"}

func awardsJSON(a []string) string {
	if len(a) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(a)
	return string(b)
}

// mergePG copies the staged rows into a temporary table and merges them into candidates in one
// statement. xmax = 0 tells an inserted row from an updated one; rows whose values do not differ from
// the stored ones are not updated (the ON CONFLICT … WHERE), hence neither returned nor counted.
func (s *Service) mergePG(ctx context.Context, tx bun.Tx, copyFrom copyFunc, scope tenants.Scope, im *importer, cols []string) ([]uuid.UUID, error) {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE candidate_import (
		row integer NOT NULL, id uuid NOT NULL, name text NOT NULL, name_key text NOT NULL, id_type text NOT NULL,
		id_number text NOT NULL, phone text NOT NULL, education text NOT NULL, occupation_years integer NOT NULL,
		current_level smallint NOT NULL, current_level_obtained_on date, title_level text NOT NULL,
		apprenticeship_completed boolean NOT NULL, related_diploma boolean NOT NULL, awards jsonb NOT NULL,
		student_no text NOT NULL) ON COMMIT DROP`); err != nil {
		return nil, err
	}
	rows := im.staged
	_, err := copyFrom(ctx, "candidate_import", stagingColumns, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := &rows[i]
		var on any
		if r.In.CurrentLevelObtainedOn != nil {
			on = *r.In.CurrentLevelObtainedOn
		}
		return []any{int32(r.Row), [16]byte(r.ID), r.In.Name, NameSearchKey(r.In.Name), r.In.IDType, r.In.IDNumber,
			r.In.Phone, r.In.Education, int32(r.In.OccupationYears), int16(r.In.CurrentLevel), on, r.In.TitleLevel,
			r.In.ApprenticeshipCompleted, r.In.RelatedDiploma, awardsJSON(r.In.Awards), r.In.StudentNo}, nil
	}))
	if err != nil {
		return nil, fmt.Errorf("candidates: copying the import: %w", err)
	}
	staged := len(rows)
	if im.present[fStudentNo] {
		// A student number may belong to one candidate only; rows that would give another candidate's
		// number to this one are rejected instead of failing the whole merge on the unique index.
		var clashes []int
		if err := tx.NewRaw(`DELETE FROM candidate_import s USING candidates c
			WHERE c.tenant_id = ? AND s.student_no <> '' AND c.student_no = s.student_no
			  AND (c.id_type <> s.id_type OR c.id_number <> s.id_number)
			RETURNING s.row`, scope.TenantID).Scan(ctx, &clashes); err != nil {
			return nil, err
		}
		for _, row := range clashes {
			im.reject(row, []platform.FieldError{{Field: fStudentNo, Code: "duplicate", Message: ErrStudentNoUsed.Message}})
		}
		staged -= len(clashes)
	}
	return s.runMerge(ctx, tx, scope, im, cols, staged)
}

func (s *Service) runMerge(ctx context.Context, tx bun.Tx, scope tenants.Scope, im *importer, cols []string, staged int) ([]uuid.UUID, error) {
	now := s.clock()
	var set, distinctOld, distinctNew []string
	for _, c := range cols {
		set = append(set, c+" = EXCLUDED."+c)
		distinctOld = append(distinctOld, "c."+c)
		distinctNew = append(distinctNew, "EXCLUDED."+c)
	}
	conflict := "DO NOTHING"
	if len(cols) > 0 {
		conflict = fmt.Sprintf("DO UPDATE SET %s, updated_at = EXCLUDED.updated_at WHERE (%s) IS DISTINCT FROM (%s)",
			strings.Join(set, ", "), strings.Join(distinctOld, ", "), strings.Join(distinctNew, ", "))
	}
	query := fmt.Sprintf(`INSERT INTO candidates AS c (tenant_id, %[1]s, has_photo, created_at, updated_at)
		SELECT ?, %[2]s, false, ?, ? FROM candidate_import s ORDER BY s.row
		ON CONFLICT (tenant_id, id_type, id_number) %[3]s
		RETURNING c.id, (c.xmax = 0) AS created`,
		strings.Join(insertColumns, ", "), "s."+strings.Join(insertColumns, ", s."), conflict)
	var out []struct {
		ID      uuid.UUID `bun:"id,type:uuid"`
		Created bool      `bun:"created"`
	}
	if err := tx.NewRaw(query, scope.TenantID, now, now).Scan(ctx, &out); err != nil {
		return nil, duplicateOf(ctx, tx, nil, err)
	}
	var changed []uuid.UUID
	for _, r := range out {
		if r.Created {
			im.result.Created++
		} else {
			im.result.Updated++
			changed = append(changed, r.ID)
		}
	}
	im.result.Unchanged = staged - im.result.Created - im.result.Updated
	return changed, nil
}

// batchSize bounds the rows of one statement of the batched path: 500 rows × 19 columns stays well under
// SQLite's 32,766 bound variables.
const batchSize = 500

// mergeBatched is the portable path (SQLite in dev mode): per batch of rows, the stored candidates with
// the same documents are read and compared in Go, then new and changed rows are written with one
// INSERT … ON CONFLICT DO UPDATE of the present columns.
func (s *Service) mergeBatched(ctx context.Context, tx bun.IDB, scope tenants.Scope, im *importer, cols []string) ([]uuid.UUID, error) {
	now := s.clock()
	var changed []uuid.UUID
	for start := 0; start < len(im.staged); start += batchSize {
		batch := im.staged[start:min(start+batchSize, len(im.staged))]
		existing, err := existingByNumber(ctx, tx, scope.TenantID, batch)
		if err != nil {
			return nil, err
		}
		clashes, err := studentClashes(ctx, tx, scope.TenantID, batch)
		if err != nil {
			return nil, err
		}
		var write []candidateRow
		for _, r := range batch {
			if clashes[r.Row] {
				im.reject(r.Row, []platform.FieldError{{Field: fStudentNo, Code: "duplicate", Message: ErrStudentNoUsed.Message}})
				continue
			}
			old, known := existing[r.In.IDType+":"+r.In.IDNumber]
			row := rowOf(r.ID, scope.TenantID, r.In, now)
			switch {
			case !known:
				im.result.Created++
			case sameColumns(old, row, cols):
				im.result.Unchanged++
				continue
			default:
				im.result.Updated++
				changed = append(changed, old.ID)
			}
			write = append(write, *row)
		}
		if len(write) == 0 {
			continue
		}
		q := tx.NewInsert().Model(&write)
		if len(cols) == 0 {
			q = q.On("CONFLICT (tenant_id, id_type, id_number) DO NOTHING")
		} else {
			q = q.On("CONFLICT (tenant_id, id_type, id_number) DO UPDATE")
			for _, c := range cols {
				q = q.Set(c + " = EXCLUDED." + c)
			}
			q = q.Set("updated_at = EXCLUDED.updated_at")
		}
		if _, err := q.Exec(ctx); err != nil {
			return nil, duplicateOf(ctx, tx, nil, err)
		}
	}
	return changed, nil
}

func existingByNumber(ctx context.Context, db bun.IDB, tenantID uuid.UUID, batch []stagedRow) (map[string]*candidateRow, error) {
	numbers := make([]string, len(batch))
	for i, r := range batch {
		numbers[i] = r.In.IDNumber
	}
	var rows []candidateRow
	if err := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID).Where("id_number IN (?)", bun.In(numbers)).
		Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]*candidateRow, len(rows))
	for i := range rows {
		out[rows[i].IDType+":"+rows[i].IDNumber] = &rows[i]
	}
	return out, nil
}

// studentClashes returns the rows of batch whose student number belongs to another stored candidate.
func studentClashes(ctx context.Context, db bun.IDB, tenantID uuid.UUID, batch []stagedRow) (map[int]bool, error) {
	var numbers []string
	for _, r := range batch {
		if r.In.StudentNo != "" {
			numbers = append(numbers, r.In.StudentNo)
		}
	}
	if len(numbers) == 0 {
		return nil, nil
	}
	var owners []struct {
		StudentNo string `bun:"student_no"`
		IDType    string `bun:"id_type"`
		IDNumber  string `bun:"id_number"`
	}
	if err := db.NewSelect().Table("candidates").Column("student_no", "id_type", "id_number").
		Where("tenant_id = ?", tenantID).Where("student_no IN (?)", bun.In(numbers)).Scan(ctx, &owners); err != nil {
		return nil, err
	}
	owner := make(map[string]string, len(owners))
	for _, o := range owners {
		owner[o.StudentNo] = o.IDType + ":" + o.IDNumber
	}
	out := map[int]bool{}
	for _, r := range batch {
		if o, ok := owner[r.In.StudentNo]; ok && r.In.StudentNo != "" && o != r.In.IDType+":"+r.In.IDNumber {
			out[r.Row] = true
		}
	}
	return out, nil
}

// sameColumns reports whether the stored row a and the imported row b agree on every column in cols.
func sameColumns(a, b *candidateRow, cols []string) bool {
	for _, c := range cols {
		var same bool
		switch c {
		case "name":
			same = a.Name == b.Name
		case "name_key":
			same = a.NameKey == b.NameKey
		case "phone":
			same = a.Phone == b.Phone
		case "education":
			same = a.Education == b.Education
		case "occupation_years":
			same = a.OccupationYears == b.OccupationYears
		case "current_level":
			same = a.CurrentLevel == b.CurrentLevel
		case "current_level_obtained_on":
			same = sameDate(dateOnly(a.CurrentLevelObtainedOn), dateOnly(b.CurrentLevelObtainedOn))
		case "title_level":
			same = a.TitleLevel == b.TitleLevel
		case "apprenticeship_completed":
			same = a.ApprenticeshipCompleted == b.ApprenticeshipCompleted
		case "related_diploma":
			same = a.RelatedDiploma == b.RelatedDiploma
		case "awards":
			same = awardsJSON(a.Awards) == awardsJSON(b.Awards)
		case "student_no":
			same = a.StudentNo == b.StudentNo
		}
		if !same {
			return false
		}
	}
	return true
}

func dateOnly(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	d := civilDate(*t)
	return &d
}
