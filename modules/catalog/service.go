package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/catalog/seed"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Service reads and maintains the occupation catalog and enterprises' evaluation norms.
type Service struct {
	db  *bun.DB
	now func() time.Time

	seedOnce    sync.Once
	seedRows    []seed.Occupation
	seedVersion string
	seedErr     error
}

// NewService returns the catalog service on db.
func NewService(db *bun.DB) *Service {
	return &Service{db: db, now: time.Now}
}

// China's calendar decides what "today" is for filing dates; China has no daylight saving time, so a
// fixed zone needs no tzdata.
var chinaTime = time.FixedZone("CST", 8*3600)

func (s *Service) today() time.Time { return dateOf(s.now().In(chinaTime)) }

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// loadSeed builds the embedded seed once and names its version by content, so a changed seed (a new
// release) is applied on the next start and an unchanged one costs a single query.
func (s *Service) loadSeed() ([]seed.Occupation, string, error) {
	s.seedOnce.Do(func() {
		s.seedRows, s.seedErr = seed.Occupations()
		if s.seedErr != nil {
			return
		}
		b, err := json.Marshal(s.seedRows)
		if err != nil {
			s.seedErr = err
			return
		}
		sum := sha256.Sum256(b)
		s.seedVersion = hex.EncodeToString(sum[:16])
	})
	return s.seedRows, s.seedVersion, s.seedErr
}

// EnsureSeeded loads the embedded occupation seed into the catalog unless this seed version was
// applied already; it reports whether it wrote anything. It is safe to call on every start and from
// several processes at once: rows are upserted, and an occupation a platform administrator imported is
// never overwritten by the seed. Seeding is system bootstrap, like a migration, and is not audited.
func (s *Service) EnsureSeeded(ctx context.Context) (bool, error) {
	occs, version, err := s.loadSeed()
	if err != nil {
		return false, fmt.Errorf("catalog seed: %w", err)
	}
	if v, err := loadMeta(ctx, s.db, seedVersionKey); err != nil {
		return false, fmt.Errorf("catalog seed: reading version: %w", err)
	} else if v == version {
		return false, nil
	}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if platform.IsPostgres(tx) {
			// Concurrent starts wait for the first instead of upserting the same rows side by side.
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('skillcert:catalog:seed'))"); err != nil {
				return err
			}
		}
		if v, err := loadMeta(ctx, tx, seedVersionKey); err != nil || v == version {
			return err
		}
		at := s.stamp()
		rows := make([]occupationRow, len(occs))
		for i, o := range occs {
			rows[i] = rowFromSeed(o, SourceSeed, at)
		}
		if err := upsertOccupations(ctx, tx, rows, true); err != nil {
			return err
		}
		return saveMeta(ctx, tx, seedVersionKey, version, at)
	})
	if err != nil {
		return false, fmt.Errorf("catalog seed: %w", err)
	}
	return true, nil
}

// Occupation returns the occupation with code as the tenant in ctx sees it (with its filed evaluation
// norm, if any; see Occupation). Without a tenant in ctx it is the catalog entry alone. Unknown codes
// are 404 not_found.
func (s *Service) Occupation(ctx context.Context, code string) (Occupation, error) {
	if _, ok := tenants.FromContext(ctx); !ok {
		r, err := getOccupation(ctx, s.db, code)
		if err != nil {
			return Occupation{}, err
		}
		return r.occupation(), nil
	}
	var o Occupation
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		o, err = s.OccupationTx(ctx, tx, code)
		return err
	})
	return o, err
}

// OccupationTx is Occupation inside the caller's tenant transaction.
func (s *Service) OccupationTx(ctx context.Context, tx bun.IDB, code string) (Occupation, error) {
	r, err := getOccupation(ctx, tx, code)
	if err != nil {
		return Occupation{}, err
	}
	o := r.occupation()
	scope, ok := tenants.FromContext(ctx)
	if !ok || o.HasNationalStandard {
		return o, nil
	}
	n, err := normForOccupation(ctx, tx, scope.TenantID, code)
	switch {
	case errors.Is(err, ErrNormNotFound):
		return o, nil
	case err != nil:
		return Occupation{}, err
	}
	if NormStatus(n.Status) == NormFiled {
		o.NormFiled, o.NormID = true, n.ID
		o.Levels, o.Subtypes = n.Levels, n.Subtypes
		if o.Subtypes == nil {
			o.Subtypes = []string{}
		}
	}
	return o, nil
}

// List returns a page of the catalog's occupations ordered by code (the catalog as published, without
// any tenant's norms). The list runs by code ascending only (400 invalid_sort for descending).
func (s *Service) List(ctx context.Context, req platform.PageRequest, f ListFilter) (platform.Page[Occupation], error) {
	if req.Desc {
		return platform.Page[Occupation]{}, ErrCodeOrder
	}
	var after string
	if _, err := platform.DecodeCursor(req.Cursor, &after); err != nil {
		return platform.Page[Occupation]{}, err
	}
	rows, err := listOccupations(ctx, s.db, f, after, req.Fetch())
	if err != nil {
		return platform.Page[Occupation]{}, err
	}
	out := make([]Occupation, len(rows))
	for i := range rows {
		out[i] = rows[i].occupation()
	}
	return platform.CutPage(out, req, func(o Occupation) string { return platform.EncodeCursor(o.Code) }), nil
}

// Import loads or updates the catalog from a CSV in the seed exchange format (seed.ParseCSV; a file
// Export wrote, edited). Every row is checked first and any problem refuses the whole file (422
// validation_failed naming each row and column); otherwise every occupation is upserted and marked as
// imported, so later seed versions leave it alone. Occupations missing from the file are kept: filings
// and certificates refer to them. Platform administrators only; audited as occupation.import.
func (s *Service) Import(ctx context.Context, r io.Reader) (ImportReport, error) {
	if _, err := tenants.RequireKind(ctx, tenants.KindPlatform); err != nil {
		if platform.KindOf(err) == platform.KindForbidden {
			err = ErrPlatformOnly
		}
		return ImportReport{}, err
	}
	occs, err := seed.ParseCSV(r)
	if err != nil {
		return ImportReport{}, err
	}
	rep := ImportReport{Rows: len(occs)}
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		codes := make([]string, len(occs))
		for i, o := range occs {
			codes[i] = o.Code
		}
		existing, err := occupationsByCode(ctx, tx, codes)
		if err != nil {
			return err
		}
		at := s.stamp()
		var write []occupationRow
		var created, updated []string
		for _, o := range occs {
			row := rowFromSeed(o, SourceImport, at)
			old, ok := existing[o.Code]
			switch {
			case !ok:
				created = append(created, o.Code)
			case !sameData(old, row):
				updated = append(updated, o.Code)
			case old.Source == SourceImport:
				rep.Unchanged++
				continue
			default:
				// Same data, but adopt it as imported so a later seed does not replace the admin's copy.
				rep.Unchanged++
			}
			write = append(write, row)
		}
		rep.Created, rep.Updated = len(created), len(updated)
		if err := upsertOccupations(ctx, tx, write, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "occupation.import", TargetType: "catalog", TargetID: "occupations",
			After: map[string]any{"rows": rep.Rows, "created": capList(created), "updated": capList(updated), "unchanged": rep.Unchanged}})
	})
	if err != nil {
		return ImportReport{}, err
	}
	return rep, nil
}

// capList keeps an audit entry readable for a whole-catalog upload: the first codes and a count.
func capList(codes []string) any {
	const shown = 100
	if len(codes) <= shown {
		return codes
	}
	return map[string]any{"count": len(codes), "first": codes[:shown]}
}

// Export writes the whole catalog in the exchange format Import reads.
func (s *Service) Export(ctx context.Context, w io.Writer) error {
	var all []seed.Occupation
	after := ""
	for {
		rows, err := listOccupations(ctx, s.db, ListFilter{}, after, 1000)
		if err != nil {
			return err
		}
		for _, r := range rows {
			all = append(all, seed.Occupation{Code: r.Code, Name: r.Name, MajorCode: r.MajorCode, MajorName: r.MajorName,
				MiddleCode: r.MiddleCode, MiddleName: r.MiddleName, MinorCode: r.MinorCode, MinorName: r.MinorName,
				IsGreen: r.IsGreen, IsDigital: r.IsDigital, Subtypes: r.Subtypes, Levels: r.Levels,
				StandardYear: r.StandardYear, HasNationalStandard: r.HasNationalStandard, New: r.IsNew, Note: r.Note})
		}
		if len(rows) < 1000 {
			break
		}
		after = rows[len(rows)-1].Code
	}
	return seed.WriteCSV(w, all)
}

// CreateNorm adds a draft evaluation norm of the enterprise in ctx for an occupation without a national
// standard. Errors: 403 for tenants other than enterprises, 422 validation_failed (occupation_code
// unknown, bad levels), 422 has_national_standard, 409 duplicate when the enterprise has a norm for the
// occupation already.
func (s *Service) CreateNorm(ctx context.Context, in NewNorm) (Norm, error) {
	scope, err := tenants.RequireKind(ctx, tenants.KindEnterprise)
	if err != nil {
		if platform.KindOf(err) == platform.KindForbidden {
			err = ErrEnterpriseOnly
		}
		return Norm{}, err
	}
	if err := in.Validate(); err != nil {
		return Norm{}, err
	}
	var out Norm
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		occ, err := getOccupation(ctx, tx, in.OccupationCode)
		if errors.Is(err, ErrOccupationNotFound) {
			var v platform.Validation
			v.Add("occupation_code", "unknown", "no occupation "+in.OccupationCode+" in the catalog")
			return v.Err()
		}
		if err != nil {
			return err
		}
		if occ.HasNationalStandard {
			return ErrHasStandard
		}
		at := s.stamp()
		row := &normRow{ID: uuid.New(), TenantID: scope.TenantID, OccupationCode: in.OccupationCode, Title: in.Title,
			Subtypes: in.Subtypes, Levels: in.Levels, DocumentRef: in.DocumentRef, Status: string(NormDraft),
			CreatedAt: at, UpdatedAt: at, OccupationName: occ.Name}
		if err := insertNorm(ctx, tx, row); err != nil {
			return err
		}
		out = row.norm()
		return audit.Record(ctx, tx, audit.Event{Action: "norm.create", TargetType: "evaluation_norm", TargetID: row.ID.String(),
			After: normAudit(out)})
	})
	return out, err
}

// FileNorm records that the ministry filed the norm (its filing reference and date), which makes the
// occupation evaluable for the enterprise at the norm's levels. 409 invalid_state when already filed.
func (s *Service) FileNorm(ctx context.Context, id uuid.UUID, in NormFiling) (Norm, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return Norm{}, tenants.ErrNoScope
	}
	in.FilingRef = strings.TrimSpace(in.FilingRef)
	var v platform.Validation
	v.Check(in.FilingRef != "" && utf8.RuneCountInString(in.FilingRef) <= 100, "filing_ref", "required", "the filing reference (备案号), 1–100 characters")
	if v.Check(!in.FiledOn.IsZero(), "filed_on", "required", "the filing date is required") {
		in.FiledOn = dateOf(in.FiledOn)
		v.Check(!in.FiledOn.After(s.today()), "filed_on", "in_future", "the filing date cannot be in the future")
	}
	if err := v.Err(); err != nil {
		return Norm{}, err
	}
	var out Norm
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := getNorm(ctx, tx, scope.TenantID, id, true)
		if err != nil {
			return err
		}
		if NormStatus(row.Status) != NormDraft {
			return ErrNormFiled
		}
		before := row.norm()
		filed := in.FiledOn
		row.Status, row.FilingRef, row.FiledOn, row.UpdatedAt = string(NormFiled), in.FilingRef, &filed, s.stamp()
		if err := fileNorm(ctx, tx, &row); err != nil {
			return err
		}
		out = row.norm()
		return audit.Record(ctx, tx, audit.Event{Action: "norm.file", TargetType: "evaluation_norm", TargetID: id.String(),
			Before: normAudit(before), After: normAudit(out)})
	})
	return out, err
}

// Norm returns one evaluation norm of the tenant in ctx (404 for another tenant's).
func (s *Service) Norm(ctx context.Context, id uuid.UUID) (Norm, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return Norm{}, tenants.ErrNoScope
	}
	var out Norm
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := getNorm(ctx, tx, scope.TenantID, id, false)
		out = row.norm()
		return err
	})
	return out, err
}

// Norms returns a page of the evaluation norms of the tenant in ctx by creation time (SortCreatedAt,
// either way).
func (s *Service) Norms(ctx context.Context, req platform.PageRequest) (platform.Page[Norm], error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return platform.Page[Norm]{}, tenants.ErrNoScope
	}
	var after *normCursor
	var cur normCursor
	if ok, err := platform.DecodeCursor(req.Cursor, &cur.CreatedAt, &cur.ID); err != nil {
		return platform.Page[Norm]{}, err
	} else if ok {
		after = &cur
	}
	var out []Norm
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		rows, err := listNorms(ctx, tx, scope.TenantID, after, req.Desc, req.Fetch())
		for i := range rows {
			out = append(out, rows[i].norm())
		}
		return err
	})
	if err != nil {
		return platform.Page[Norm]{}, err
	}
	return platform.CutPage(out, req, func(n Norm) string { return platform.EncodeCursor(n.CreatedAt, n.ID) }), nil
}

func normAudit(n Norm) map[string]any {
	m := map[string]any{"occupation_code": n.OccupationCode, "title": n.Title, "levels": n.Levels, "subtypes": n.Subtypes,
		"document_ref": n.DocumentRef, "status": n.Status}
	if n.Status == NormFiled {
		m["filing_ref"], m["filed_on"] = n.FilingRef, n.FiledOn.Format(time.DateOnly)
	}
	return m
}
