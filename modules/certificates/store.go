package certificates

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Series of serial counters: the national numbering and an enterprise's post numbering.
const (
	seriesNational = "national"
	seriesPost     = "post"
)

type certRow struct {
	bun.BaseModel `bun:"table:certificates"`

	ID              uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID        uuid.UUID  `bun:"tenant_id,type:uuid"`
	Kind            string     `bun:"kind"`
	IssueKey        string     `bun:"issue_key"`
	Status          string     `bun:"status"`
	Number          *string    `bun:"number"`
	BatchID         *uuid.UUID `bun:"batch_id,type:uuid"`
	ApplicationID   uuid.UUID  `bun:"application_id,type:uuid"`
	CandidateID     uuid.UUID  `bun:"candidate_id,type:uuid"`
	HolderName      string     `bun:"holder_name"`
	IDType          string     `bun:"id_type"`
	IDNumber        string     `bun:"id_number"`
	OccupationCode  string     `bun:"occupation_code"`
	OccupationName  string     `bun:"occupation_name"`
	Subtype         string     `bun:"subtype"`
	Level           int        `bun:"level"`
	Title           string     `bun:"title"`
	Post            string     `bun:"post"`
	ChunkID         *uuid.UUID `bun:"chunk_id,type:uuid"`
	IssuedAt        *time.Time `bun:"issued_at"`
	IssuedOn        *time.Time `bun:"issued_on"`
	StatusListIndex *int       `bun:"status_list_index"`
	KeyID           string     `bun:"key_id"`
	RevokedAt       *time.Time `bun:"revoked_at"`
	RevokeReason    string     `bun:"revoke_reason"`
	Replaces        *uuid.UUID `bun:"replaces,type:uuid"`
	ReplacedBy      *uuid.UUID `bun:"replaced_by,type:uuid"`
	Attempts        int        `bun:"attempts"`
	LastError       string     `bun:"last_error"`
	CreatedAt       time.Time  `bun:"created_at"`
	UpdatedAt       time.Time  `bun:"updated_at"`
}

func (r *certRow) cert() Certificate {
	c := Certificate{
		ID: r.ID, TenantID: r.TenantID, Kind: Kind(r.Kind), Status: Status(r.Status),
		BatchID: r.BatchID, ApplicationID: r.ApplicationID, CandidateID: r.CandidateID,
		HolderName: r.HolderName, IDType: r.IDType, IDNumber: r.IDNumber,
		OccupationCode: r.OccupationCode, OccupationName: r.OccupationName, Subtype: r.Subtype, Level: r.Level,
		Title: r.Title, Post: r.Post, IssuedAt: utcPtr(r.IssuedAt), IssuedOn: datePtr(r.IssuedOn),
		StatusListIndex: r.StatusListIndex, KeyID: r.KeyID, RevokedAt: utcPtr(r.RevokedAt), RevokeReason: r.RevokeReason,
		Replaces: r.Replaces, ReplacedBy: r.ReplacedBy, Attempts: r.Attempts, LastError: r.LastError,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.Number != nil {
		c.Number = *r.Number
	}
	return c
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// datePtr normalises a stored date to midnight UTC of its calendar day (PostgreSQL returns dates in
// the session zone, SQLite as written).
func datePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	d := civilDate(*t)
	return &d
}

func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

type chunkRow struct {
	bun.BaseModel `bun:"table:certificate_chunks"`

	ID        uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID  uuid.UUID  `bun:"tenant_id,type:uuid"`
	Source    string     `bun:"source"`
	Gen       int        `bun:"gen"`
	RetryAt   time.Time  `bun:"retry_at"`
	DoneAt    *time.Time `bun:"done_at"`
	CreatedAt time.Time  `bun:"created_at"`
	// LeaseUntil is set while an issuance task works on the chunk (see Service.holdLease).
	LeaseUntil *time.Time `bun:"lease_until"`
}

type docRow struct {
	bun.BaseModel `bun:"table:certificate_documents"`

	CertificateID uuid.UUID `bun:"certificate_id,pk,type:uuid"`
	TenantID      uuid.UUID `bun:"tenant_id,type:uuid"`
	PDF           []byte    `bun:"pdf"`
	Credential    []byte    `bun:"credential"`
	CreatedAt     time.Time `bun:"created_at"`
}

type keyRow struct {
	bun.BaseModel `bun:"table:certificate_keys"`

	KID       string     `bun:"kid,pk"`
	TenantID  uuid.UUID  `bun:"tenant_id,type:uuid"`
	PublicKey []byte     `bun:"public_key"`
	Sealed    []byte     `bun:"sealed"`
	CreatedAt time.Time  `bun:"created_at"`
	RetiredAt *time.Time `bun:"retired_at"`
}

type statusListRow struct {
	bun.BaseModel `bun:"table:certificate_status_lists"`

	TenantID   uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	NextIndex  int       `bun:"next_index"`
	Encoded    string    `bun:"encoded"`
	Credential []byte    `bun:"credential"`
	UpdatedAt  time.Time `bun:"updated_at"`
}

type settingsRow struct {
	bun.BaseModel `bun:"table:certificate_settings"`

	TenantID   uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	PostPrefix string    `bun:"post_prefix"`
	PostTitle  string    `bun:"post_title"`
	UpdatedAt  time.Time `bun:"updated_at"`
}

type lookupRow struct {
	bun.BaseModel `bun:"table:certificate_lookup"`

	Number         string    `bun:"number,pk"`
	InstitutionID  uuid.UUID `bun:"institution_id,type:uuid"`
	CertificateID  uuid.UUID `bun:"certificate_id,type:uuid"`
	Kind           string    `bun:"kind"`
	Title          string    `bun:"title"`
	Status         string    `bun:"status"`
	HolderMasked   string    `bun:"holder_masked"`
	NameHash       []byte    `bun:"name_hash"`
	OccupationCode string    `bun:"occupation_code"`
	OccupationName string    `bun:"occupation_name"`
	Subtype        string    `bun:"subtype"`
	Level          int       `bun:"level"`
	Post           string    `bun:"post"`
	Institution    string    `bun:"institution"`
	IssuedOn       time.Time `bun:"issued_on"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

// Lookup statuses as the public sees them.
const (
	lookupValid   = "valid"
	lookupRevoked = "revoked"
)

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// insertPending adds pending certificates, skipping those whose issue key the tenant already has,
// and returns the ids inserted.
func insertPending(ctx context.Context, db bun.IDB, rows []certRow) ([]uuid.UUID, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	var ids []uuid.UUID
	err := db.NewInsert().Model(&rows).On("CONFLICT (tenant_id, issue_key) DO NOTHING").Returning("id").Scan(ctx, &ids)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("inserting pending certificates: %w", err)
	}
	return ids, nil
}

func insertChunk(ctx context.Context, db bun.IDB, c *chunkRow) error {
	if _, err := db.NewInsert().Model(c).Exec(ctx); err != nil {
		return fmt.Errorf("inserting certificate chunk: %w", err)
	}
	return nil
}

// lockPending selects the pending certificates of a chunk and locks them (PostgreSQL), skipping rows
// another transaction holds: that transaction is issuing them. SQLite serialises writing
// transactions, so it needs no row lock.
func lockPending(ctx context.Context, db bun.IDB, tenantID, chunkID uuid.UUID) ([]certRow, error) {
	var rows []certRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ? AND chunk_id = ? AND status = ?", tenantID, chunkID, StatusPending).
		OrderExpr("created_at, id")
	if platform.IsPostgres(db) {
		q = q.For("UPDATE SKIP LOCKED")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("locking pending certificates: %w", err)
	}
	return rows, nil
}

// markIssued is the pending → issued transition of rows (their fields set by the caller; they share
// issued_at, issued_on and key): conditional on status = 'pending', so it can happen once only, and
// failing unless every row moved. One statement for all rows on PostgreSQL.
func markIssued(ctx context.Context, db bun.IDB, tenantID uuid.UUID, rows []*certRow) error {
	if len(rows) == 0 {
		return nil
	}
	var n int64
	if platform.IsPostgres(db) {
		first := rows[0]
		values := make([]string, len(rows))
		args := []any{first.IssuedAt, first.IssuedOn, first.KeyID, first.UpdatedAt}
		for i, r := range rows {
			values[i] = "(?::uuid, ?, ?::integer)"
			args = append(args, r.ID, *r.Number, *r.StatusListIndex)
		}
		args = append(args, tenantID, StatusPending)
		res, err := db.NewRaw(`UPDATE certificates AS c SET status = 'issued', number = v.number, status_list_index = v.idx,
			issued_at = ?, issued_on = ?, key_id = ?, last_error = '', updated_at = ?
			FROM (VALUES `+strings.Join(values, ", ")+`) AS v (id, number, idx)
			WHERE c.tenant_id = ? AND c.id = v.id AND c.status = ?`, args...).Exec(ctx)
		if err != nil {
			return fmt.Errorf("marking certificates issued: %w", err)
		}
		n, _ = res.RowsAffected()
	} else {
		for _, r := range rows {
			res, err := db.NewUpdate().Model(r).
				Column("status", "number", "issued_at", "issued_on", "status_list_index", "key_id", "last_error", "updated_at").
				Where("tenant_id = ? AND id = ? AND status = ?", tenantID, r.ID, StatusPending).Exec(ctx)
			if err != nil {
				return fmt.Errorf("marking certificate issued: %w", err)
			}
			k, _ := res.RowsAffected()
			n += k
		}
	}
	if n != int64(len(rows)) {
		return fmt.Errorf("only %d of %d certificates were still pending", n, len(rows))
	}
	return nil
}

// insertDocuments stores a chunk's PDFs and credentials. On PostgreSQL they go as binary parameters of
// one prepared statement (pgx's statement cache, chosen for this query only): through bun and the
// pool's simple protocol each PDF would travel as a hex literal twice its size, formatted here and
// parsed there — a tenth of a certificate's issuing time.
func insertDocuments(ctx context.Context, db bun.IDB, rows []docRow) error {
	if len(rows) == 0 {
		return nil
	}
	if tx, ok := db.(bun.Tx); ok && platform.IsPostgres(tx) {
		var q strings.Builder
		q.WriteString("INSERT INTO certificate_documents (certificate_id, tenant_id, pdf, credential, created_at) VALUES ")
		args := make([]any, 0, 1+5*len(rows))
		args = append(args, pgx.QueryExecModeCacheStatement)
		for i, r := range rows {
			if i > 0 {
				q.WriteString(", ")
			}
			n := 5 * i
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
			args = append(args, r.CertificateID, r.TenantID, r.PDF, r.Credential, r.CreatedAt)
		}
		if _, err := tx.Tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("storing certificate documents: %w", err)
		}
		return nil
	}
	if _, err := db.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("storing certificate documents: %w", err)
	}
	return nil
}

func insertLookups(ctx context.Context, db bun.IDB, rows []lookupRow) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := db.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("publishing certificate lookups: %w", err)
	}
	return nil
}

// allocSerials takes n consecutive serials of a counter and returns the first. The upsert locks the
// counter row until the transaction ends, so concurrent issuers queue and a rollback gives the
// serials back: gap-free and never reused. A counter that cannot take n more (its CHECK stops at
// MaxSerial) is left alone and returns no row: ErrSerialExceeded.
func allocSerials(ctx context.Context, db bun.IDB, tenantID uuid.UUID, series string, year, level, n int) (int, error) {
	if n > MaxSerial {
		return 0, ErrSerialExceeded
	}
	var last int
	err := db.NewRaw(`INSERT INTO certificate_serials (tenant_id, series, year, level, last) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, series, year, level) DO UPDATE SET last = certificate_serials.last + ?
		WHERE certificate_serials.last <= ?
		RETURNING last`, tenantID, series, year, level, n, n, MaxSerial-n).Scan(ctx, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrSerialExceeded
	}
	if err != nil {
		return 0, fmt.Errorf("allocating serials: %w", err)
	}
	return last - n + 1, nil
}

func getCert(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID) (certRow, error) {
	var r certRow
	err := db.NewSelect().Model(&r).Where("tenant_id = ? AND id = ?", tenantID, id).Scan(ctx)
	return r, notFound(err)
}

func getCertByNumber(ctx context.Context, db bun.IDB, tenantID uuid.UUID, number string) (certRow, error) {
	var r certRow
	err := db.NewSelect().Model(&r).Where("tenant_id = ? AND number = ?", tenantID, number).Scan(ctx)
	return r, notFound(err)
}

func getCertByKey(ctx context.Context, db bun.IDB, tenantID uuid.UUID, key string) (certRow, error) {
	var r certRow
	err := db.NewSelect().Model(&r).Where("tenant_id = ? AND issue_key = ?", tenantID, key).Scan(ctx)
	return r, notFound(err)
}

// listCerts reads up to limit certificates of the tenant that f selects, in creation order (newest
// first with desc), after the row after when it is set (keyset paging).
func listCerts(ctx context.Context, db bun.IDB, tenantID uuid.UUID, f ListFilter, after *certKey, desc bool, limit int) ([]certRow, error) {
	var rows []certRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
	if f.BatchID != nil {
		q = q.Where("batch_id = ?", *f.BatchID)
	}
	if f.CandidateID != nil {
		q = q.Where("candidate_id = ?", *f.CandidateID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Failed {
		q = q.Where("last_error <> ''")
	}
	if after != nil {
		if desc {
			q = q.Where("(created_at, id) < (?, ?)", after.CreatedAt, after.ID)
		} else {
			q = q.Where("(created_at, id) > (?, ?)", after.CreatedAt, after.ID)
		}
	}
	if desc {
		q = q.OrderExpr("created_at DESC, id DESC")
	} else {
		q = q.OrderExpr("created_at, id")
	}
	if err := q.Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing certificates: %w", err)
	}
	return rows, nil
}

func getDocument(ctx context.Context, db bun.IDB, tenantID, certID uuid.UUID, column string) ([]byte, error) {
	var b []byte
	err := db.NewSelect().Model((*docRow)(nil)).Column(column).
		Where("tenant_id = ? AND certificate_id = ?", tenantID, certID).Scan(ctx, &b)
	return b, notFound(err)
}

// issuedIDsOfBatch lists the ids and numbers of a batch's issued or revoked certificates, in number
// order.
func issuedOfBatch(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) ([]certRow, error) {
	var rows []certRow
	err := db.NewSelect().Model(&rows).Column("id", "number").
		Where("tenant_id = ? AND batch_id = ? AND status <> ?", tenantID, batchID, StatusPending).
		OrderExpr("number").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing a batch's certificates: %w", err)
	}
	return rows, nil
}

type pdfRow struct {
	CertificateID uuid.UUID `bun:"certificate_id,type:uuid"`
	PDF           []byte    `bun:"pdf"`
}

func pdfsOf(ctx context.Context, db bun.IDB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID][]byte, error) {
	var rows []pdfRow
	err := db.NewSelect().Model((*docRow)(nil)).Column("certificate_id", "pdf").
		Where("tenant_id = ? AND certificate_id IN (?)", tenantID, bun.In(ids)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("reading certificate PDFs: %w", err)
	}
	out := make(map[uuid.UUID][]byte, len(rows))
	for _, r := range rows {
		out[r.CertificateID] = r.PDF
	}
	return out, nil
}

// lookupSQL is the public lookup's one statement.
const lookupSQL = `SELECT number, kind, title, status, holder_masked, name_hash, occupation_code, occupation_name,
	subtype, level, post, institution, issued_on FROM certificate_lookup WHERE number = $1`

// getLookup is the public lookup: one primary-key SELECT, no transaction (see the package comment).
// On PostgreSQL it goes to pgx directly as a prepared statement cached per connection: the pool runs
// bun's queries in the simple protocol (parsed and planned each time), which for this, the hottest
// public path, costs the database more than the lookup itself.
func getLookup(ctx context.Context, db bun.IDB, number string) (lookupRow, error) {
	var r lookupRow
	if bdb, ok := db.(*bun.DB); ok && platform.IsPostgres(db) {
		conn, err := bdb.DB.Conn(ctx)
		if err != nil {
			return r, err
		}
		defer conn.Close()
		err = conn.Raw(func(dc any) error {
			sc, ok := dc.(*stdlib.Conn)
			if !ok {
				return errNotPgx
			}
			return sc.Conn().QueryRow(ctx, lookupSQL, pgx.QueryExecModeCacheStatement, number).Scan(
				&r.Number, &r.Kind, &r.Title, &r.Status, &r.HolderMasked, &r.NameHash, &r.OccupationCode,
				&r.OccupationName, &r.Subtype, &r.Level, &r.Post, &r.Institution, &r.IssuedOn)
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return r, ErrNotFound
		}
		if !errors.Is(err, errNotPgx) {
			return r, err
		}
	}
	err := db.NewSelect().Model(&r).
		Column("number", "kind", "title", "status", "holder_masked", "name_hash", "occupation_code", "occupation_name",
			"subtype", "level", "post", "institution", "issued_on").
		Where("number = ?", number).Scan(ctx)
	return r, notFound(err)
}

var errNotPgx = errors.New("not a pgx connection")

func setLookupStatus(ctx context.Context, db bun.IDB, tenantID uuid.UUID, number, status string, now time.Time) error {
	_, err := db.NewUpdate().Model((*lookupRow)(nil)).Set("status = ?, updated_at = ?", status, now).
		Where("institution_id = ? AND number = ?", tenantID, number).Exec(ctx)
	if err != nil {
		return fmt.Errorf("updating certificate lookup: %w", err)
	}
	return nil
}

// revokeRow is the issued → revoked transition, conditional like the issuing one.
func revokeRow(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, reason string, replacedBy *uuid.UUID, now time.Time) (certRow, error) {
	var r certRow
	q := db.NewUpdate().Model(&r).
		Set("status = ?, revoked_at = ?, revoke_reason = ?, updated_at = ?", StatusRevoked, now, reason, now).
		Where("tenant_id = ? AND id = ? AND status = ?", tenantID, id, StatusIssued).Returning("*")
	if replacedBy != nil {
		q = q.Set("replaced_by = ?", *replacedBy)
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return r, ErrNotIssued
		}
		return r, fmt.Errorf("revoking certificate: %w", err)
	}
	return r, nil
}

// keys

func listKeys(ctx context.Context, db bun.IDB, tenantID uuid.UUID) ([]keyRow, error) {
	var rows []keyRow
	if err := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID).OrderExpr("created_at DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("loading signing keys: %w", err)
	}
	return rows, nil
}

// lockActiveKey reads the tenant's active key and holds a share lock on it (PostgreSQL) until the
// transaction ends, so a rotation, which must update that row, waits for issuers that sign with it.
func lockActiveKey(ctx context.Context, db bun.IDB, tenantID uuid.UUID, mode string) (keyRow, error) {
	var r keyRow
	q := db.NewSelect().Model(&r).Where("tenant_id = ? AND retired_at IS NULL", tenantID)
	if platform.IsPostgres(db) {
		q = q.For(mode)
	}
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errNoKey
	}
	return r, err
}

var errNoKey = errors.New("no active key")

// insertKey adds a key unless the tenant already has an active one (another issuer made it first).
func insertKey(ctx context.Context, db bun.IDB, r *keyRow) (bool, error) {
	res, err := db.NewInsert().Model(r).On("CONFLICT (tenant_id) WHERE retired_at IS NULL DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("storing signing key: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func retireKey(ctx context.Context, db bun.IDB, tenantID uuid.UUID, kid string, at time.Time) error {
	_, err := db.NewUpdate().Model((*keyRow)(nil)).Set("retired_at = ?", at).
		Where("tenant_id = ? AND kid = ? AND retired_at IS NULL", tenantID, kid).Exec(ctx)
	return err
}

// status lists

func lockStatusList(ctx context.Context, db bun.IDB, tenantID uuid.UUID) (statusListRow, error) {
	var r statusListRow
	q := db.NewSelect().Model(&r).Where("tenant_id = ?", tenantID)
	if platform.IsPostgres(db) {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	return r, notFound(err)
}

// settings

func getSettings(ctx context.Context, db bun.IDB, tenantID uuid.UUID) (settingsRow, error) {
	var r settingsRow
	err := db.NewSelect().Model(&r).Where("tenant_id = ?", tenantID).Scan(ctx)
	return r, notFound(err)
}

func upsertSettings(ctx context.Context, db bun.IDB, r *settingsRow) error {
	_, err := db.NewInsert().Model(r).
		On("CONFLICT (tenant_id) DO UPDATE SET post_prefix = EXCLUDED.post_prefix, post_title = EXCLUDED.post_title, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if platform.IsConstraint(err, "certificate_settings_post_prefix_key") {
		return ErrPrefixTaken
	}
	return err
}

// chunks and reconciliation

type dueChunk struct {
	ID         uuid.UUID  `bun:"id,type:uuid"`
	TenantID   uuid.UUID  `bun:"tenant_id,type:uuid"`
	Gen        int        `bun:"gen"`
	LeaseUntil *time.Time `bun:"lease_until"`
}

// dueChunks lists chunks not done that the reconciler must look at, across tenants (it reads them
// through tenants.SystemReadTx): those whose lease expired (their worker died mid-chunk) and those
// no task holds whose retry time has come. A chunk under a live lease is being issued and is left out.
// The longest-waiting come first, so that a run bounded by limit still reaches every chunk in turn.
func dueChunks(ctx context.Context, db bun.IDB, now time.Time, limit int) ([]dueChunk, error) {
	var rows []dueChunk
	err := db.NewSelect().Model((*chunkRow)(nil)).Column("id", "tenant_id", "gen", "lease_until").
		Where("done_at IS NULL").
		Where("(lease_until IS NULL AND retry_at <= ?) OR lease_until < ?", now, now).
		OrderExpr("coalesce(lease_until, retry_at)").Limit(int64(limit)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("finding due certificate chunks: %w", err)
	}
	return rows, nil
}

// claimDueChunk records a re-enqueue of a chunk the reconciler found due at generation gen: it
// names a new generation (the new task's id), pushes the retry time to retryAt and drops an expired
// lease. It reports false when the chunk is done, or changed since it was read (a task took a lease
// on it, a concurrent reconciler claimed it).
func claimDueChunk(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, gen int, now, retryAt time.Time) (int, bool, error) {
	var next int
	err := db.NewUpdate().Model((*chunkRow)(nil)).Set("gen = gen + 1, retry_at = ?, lease_until = NULL", retryAt).
		Where("tenant_id = ? AND id = ? AND done_at IS NULL AND gen = ?", tenantID, id, gen).
		Where("lease_until IS NULL OR lease_until < ?", now).
		Returning("gen").Scan(ctx, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return next, err == nil, err
}

// postponeChunks pushes the retry time of chunks whose task is still on its way in the queue, so the
// reconciler looks at them again at retryAt and at others meanwhile.
func postponeChunks(ctx context.Context, db bun.IDB, tenantID uuid.UUID, ids []uuid.UUID, retryAt time.Time) error {
	_, err := db.NewUpdate().Model((*chunkRow)(nil)).Set("retry_at = ?", retryAt).
		Where("tenant_id = ? AND id IN (?) AND done_at IS NULL", tenantID, bun.In(ids)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("postponing certificate chunks: %w", err)
	}
	return nil
}

// leaseChunk sets the lease of a chunk not done to until (nil: releases it).
func leaseChunk(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, until *time.Time) error {
	_, err := db.NewUpdate().Model((*chunkRow)(nil)).Set("lease_until = ?", until).
		Where("tenant_id = ? AND id = ? AND done_at IS NULL", tenantID, id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("leasing certificate chunk: %w", err)
	}
	return nil
}

func getChunk(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID) (chunkRow, error) {
	var r chunkRow
	err := db.NewSelect().Model(&r).Where("tenant_id = ? AND id = ?", tenantID, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errChunkNotVisible
	}
	return r, err
}

// errChunkNotVisible: the chunk's task ran before the transaction that wrote the chunk committed, or
// that transaction rolled back.
var errChunkNotVisible = errors.New("certificate chunk not found (not committed yet, or rolled back)")

// finishChunk marks a chunk done when nothing of it is pending any more.
func finishChunk(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, now time.Time) error {
	_, err := db.NewUpdate().Model((*chunkRow)(nil)).Set("done_at = ?", now).
		Where("tenant_id = ? AND id = ? AND done_at IS NULL", tenantID, id).
		Where("NOT EXISTS (SELECT 1 FROM certificates AS c WHERE c.tenant_id = ? AND c.chunk_id = ? AND c.status = ?)",
			tenantID, id, StatusPending).
		Exec(ctx)
	return err
}

// deferChunk postpones a chunk's next attempt to at (the reconciler takes it up then) and records
// why the last attempt failed on its pending certificates.
func deferChunk(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, at time.Time, reason string, now time.Time) error {
	if _, err := db.NewUpdate().Model((*chunkRow)(nil)).Set("retry_at = ?", at).
		Where("tenant_id = ? AND id = ?", tenantID, id).Exec(ctx); err != nil {
		return err
	}
	_, err := db.NewUpdate().Model((*certRow)(nil)).Set("attempts = attempts + 1, last_error = ?, updated_at = ?", reason, now).
		Where("tenant_id = ? AND chunk_id = ? AND status = ?", tenantID, id, StatusPending).Exec(ctx)
	return err
}

// moveToChunk moves one pending certificate into another chunk (to isolate a certificate that fails).
func moveToChunk(ctx context.Context, db bun.IDB, tenantID, certID, chunkID uuid.UUID) error {
	_, err := db.NewUpdate().Model((*certRow)(nil)).Set("chunk_id = ?", chunkID).
		Where("tenant_id = ? AND id = ? AND status = ?", tenantID, certID, StatusPending).Exec(ctx)
	return err
}

// scopeOf is the tenants.Scope of an institution, for transactions run on its behalf.
func scopeOf(t tenants.Tenant) tenants.Scope {
	return tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}
}
