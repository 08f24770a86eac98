package batches

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Stores: bun, private row structs, an explicit tenant condition on every query (RLS backs it in
// PostgreSQL; SQLite has none).

type batchRow struct {
	bun.BaseModel `bun:"table:batches"`

	ID                  uuid.UUID          `bun:"id,pk,type:uuid"`
	TenantID            uuid.UUID          `bun:"tenant_id,type:uuid"`
	OccupationCode      string             `bun:"occupation_code"`
	OccupationName      string             `bun:"occupation_name"`
	Subtype             string             `bun:"subtype"`
	Level               int                `bun:"level"`
	Title               string             `bun:"title"`
	Methods             []Method           `bun:"methods,type:jsonb"`
	PassMarks           map[Method]float64 `bun:"pass_marks,type:jsonb"`
	ExamStart           time.Time          `bun:"exam_start"`
	ExamEnd             *time.Time         `bun:"exam_end"`
	ApplicationDeadline time.Time          `bun:"application_deadline"`
	Venue               string             `bun:"venue"`
	FeeFen              int64              `bun:"fee_fen"`
	Capacity            int                `bun:"capacity"`
	PublicityDays       int                `bun:"publicity_days"`
	MinEvaluators       int                `bun:"min_evaluators"`
	RuleSet             string             `bun:"rule_set"`
	FilingID            *uuid.UUID         `bun:"filing_id,type:uuid"`
	Status              string             `bun:"status"`
	ResultsLate         bool               `bun:"results_late"`
	CancelReason        string             `bun:"cancel_reason"`
	PublishedAt         *time.Time         `bun:"published_at"`
	ClosedAt            *time.Time         `bun:"closed_at"`
	ResultsPublishedAt  *time.Time         `bun:"results_published_at"`
	PublicityEndsAt     *time.Time         `bun:"publicity_ends_at"`
	FinalizedAt         *time.Time         `bun:"finalized_at"`
	CancelledAt         *time.Time         `bun:"cancelled_at"`
	CreatedBy           *uuid.UUID         `bun:"created_by,type:uuid"`
	CreatedAt           time.Time          `bun:"created_at"`
	UpdatedAt           time.Time          `bun:"updated_at"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (r *batchRow) batch() Batch {
	return Batch{
		ID: r.ID, TenantID: r.TenantID, OccupationCode: r.OccupationCode, OccupationName: r.OccupationName,
		Subtype: r.Subtype, Level: catalog.Level(r.Level), Title: r.Title, Methods: r.Methods, PassMarks: r.PassMarks,
		ExamStart: r.ExamStart.UTC(), ExamEnd: utcPtr(r.ExamEnd), ApplicationDeadline: r.ApplicationDeadline.UTC(),
		Venue: r.Venue, FeeFen: r.FeeFen, Capacity: r.Capacity, PublicityDays: r.PublicityDays,
		MinEvaluators: r.MinEvaluators, RuleSet: r.RuleSet, FilingID: r.FilingID, Status: Status(r.Status),
		ResultsLate: r.ResultsLate, CancelReason: r.CancelReason, PublishedAt: utcPtr(r.PublishedAt),
		ClosedAt: utcPtr(r.ClosedAt), ResultsPublishedAt: utcPtr(r.ResultsPublishedAt),
		PublicityEndsAt: utcPtr(r.PublicityEndsAt), FinalizedAt: utcPtr(r.FinalizedAt),
		CancelledAt: utcPtr(r.CancelledAt), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func batchRowOf(b *Batch) *batchRow {
	return &batchRow{
		ID: b.ID, TenantID: b.TenantID, OccupationCode: b.OccupationCode, OccupationName: b.OccupationName,
		Subtype: b.Subtype, Level: int(b.Level), Title: b.Title, Methods: b.Methods, PassMarks: b.PassMarks,
		ExamStart: b.ExamStart, ExamEnd: b.ExamEnd, ApplicationDeadline: b.ApplicationDeadline, Venue: b.Venue,
		FeeFen: b.FeeFen, Capacity: b.Capacity, PublicityDays: b.PublicityDays, MinEvaluators: b.MinEvaluators,
		RuleSet: b.RuleSet, FilingID: b.FilingID, Status: string(b.Status), ResultsLate: b.ResultsLate,
		CancelReason: b.CancelReason, PublishedAt: b.PublishedAt, ClosedAt: b.ClosedAt,
		ResultsPublishedAt: b.ResultsPublishedAt, PublicityEndsAt: b.PublicityEndsAt, FinalizedAt: b.FinalizedAt,
		CancelledAt: b.CancelledAt, CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
	}
}

// lockRow adds FOR UPDATE in PostgreSQL (SQLite serialises writers anyway and has no row locks).
func lockRow(db bun.IDB, q *bun.SelectQuery, lock bool) *bun.SelectQuery {
	if lock && platform.IsPostgres(db) {
		return q.For("UPDATE")
	}
	return q
}

func insertBatch(ctx context.Context, db bun.IDB, b *Batch) error {
	_, err := db.NewInsert().Model(batchRowOf(b)).Exec(ctx)
	return err
}

// getBatch reads a batch of the tenant; lock takes its row lock for a state change. Every writer of a
// batch locks it so, which makes this the one place an archived batch (its 考务档案 made, see
// modules/exams) refuses every change: 409 archived.
func getBatch(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, lock bool) (Batch, error) {
	r := new(batchRow)
	err := lockRow(db, db.NewSelect().Model(r).Where("tenant_id = ? AND id = ?", tenantID, id), lock).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, ErrBatchNotFound
	}
	if err != nil {
		return Batch{}, err
	}
	if lock {
		archived, err := db.NewSelect().Table("batches").Where("tenant_id = ? AND id = ? AND archived_at IS NOT NULL", tenantID, id).Exists(ctx)
		if err != nil {
			return Batch{}, err
		}
		if archived {
			return Batch{}, ErrBatchArchived
		}
	}
	return r.batch(), nil
}

func updateBatch(ctx context.Context, db bun.IDB, b *Batch) error {
	_, err := db.NewUpdate().Model(batchRowOf(b)).WherePK().Where("tenant_id = ?", b.TenantID).Exec(ctx)
	return err
}

// batchKey is the keyset position of a batch list: the sort value and the id of the last row.
type batchKey struct {
	At time.Time
	ID uuid.UUID
}

// batchQuery selects and orders a page of batches.
type batchQuery struct {
	Status Status // "" for any
	Sort   string // SortCreatedAt (default) or SortExamStart
	Desc   bool
	After  *batchKey
	Limit  int // rows to read
	// Evaluator, when set, keeps only the batches this user is assigned to evaluate.
	Evaluator *uuid.UUID
}

func listBatches(ctx context.Context, db bun.IDB, tenantID uuid.UUID, q batchQuery) ([]Batch, error) {
	var rows []batchRow
	sel := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
	if q.Status != "" {
		sel = sel.Where("status = ?", string(q.Status))
	}
	if q.Evaluator != nil {
		sel = sel.Where("id IN (?)", evaluatorBatches(db, tenantID, *q.Evaluator))
	}
	col := SortCreatedAt
	if q.Sort == SortExamStart {
		col = SortExamStart
	}
	op, dir := ">", "ASC"
	if q.Desc {
		op, dir = "<", "DESC"
	}
	if q.After != nil {
		sel = sel.Where("("+col+", id) "+op+" (?, ?)", q.After.At, q.After.ID)
	}
	if err := sel.OrderExpr(col + " " + dir + ", id " + dir).Limit(int64(q.Limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Batch, len(rows))
	for i := range rows {
		out[i] = rows[i].batch()
	}
	return out, nil
}

type applicationRow struct {
	bun.BaseModel `bun:"table:applications,alias:a"`

	ID                uuid.UUID          `bun:"id,pk,type:uuid"`
	TenantID          uuid.UUID          `bun:"tenant_id,type:uuid"`
	BatchID           uuid.UUID          `bun:"batch_id,type:uuid"`
	CandidateID       uuid.UUID          `bun:"candidate_id,type:uuid"`
	CandidateUserID   *uuid.UUID         `bun:"candidate_user_id,type:uuid"`
	CandidateName     string             `bun:"candidate_name"`
	IDType            string             `bun:"id_type"`
	IDNumber          string             `bun:"id_number"`
	Status            string             `bun:"status"`
	Route             string             `bun:"route"`
	EvidenceFileIDs   []string           `bun:"evidence_file_ids,type:jsonb"`
	EligibilityPassed bool               `bun:"eligibility_passed"`
	EligibilityRule   string             `bun:"eligibility_rule"`
	Eligibility       *decisionJSON      `bun:"eligibility,type:jsonb"`
	TheoryExempt      bool               `bun:"theory_exempt"`
	FeeFen            int64              `bun:"fee_fen"`
	PaidAt            *time.Time         `bun:"paid_at"`
	PaidBy            *uuid.UUID         `bun:"paid_by,type:uuid"`
	ReviewDecision    string             `bun:"review_decision"`
	ReviewReason      string             `bun:"review_reason"`
	ReviewedBy        *uuid.UUID         `bun:"reviewed_by,type:uuid"`
	ReviewedAt        *time.Time         `bun:"reviewed_at"`
	Scores            map[Method]float64 `bun:"scores,type:jsonb"`
	Result            string             `bun:"result"`
	Held              bool               `bun:"held"`
	CreatedBy         *uuid.UUID         `bun:"created_by,type:uuid"`
	CreatedAt         time.Time          `bun:"created_at"`
	UpdatedAt         time.Time          `bun:"updated_at"`
}

// decisionJSON is the stored form of an eligibility decision.
type decisionJSON = eligibility.Decision

func (r *applicationRow) application() Application {
	a := Application{
		ID: r.ID, TenantID: r.TenantID, BatchID: r.BatchID, CandidateID: r.CandidateID, CandidateUserID: r.CandidateUserID,
		CandidateName: r.CandidateName, IDType: r.IDType, IDNumber: r.IDNumber, Status: ApplicationStatus(r.Status),
		Route: eligibility.Route(r.Route), EvidenceFileIDs: r.EvidenceFileIDs, FeeFen: r.FeeFen, PaidAt: utcPtr(r.PaidAt), PaidBy: r.PaidBy,
		ReviewDecision: r.ReviewDecision, ReviewReason: r.ReviewReason, ReviewedBy: r.ReviewedBy,
		ReviewedAt: utcPtr(r.ReviewedAt), Scores: r.Scores, Result: Result(r.Result), Held: r.Held,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.Eligibility != nil {
		a.Decision = *r.Eligibility
	} else {
		// List rows leave the full decision out; keep what the summary columns say.
		a.Decision = eligibility.Decision{TheoryExempt: r.TheoryExempt, PassedPath: r.EligibilityRule}
		if r.EligibilityPassed {
			a.Decision.Outcome = eligibility.OutcomeEligible
		} else {
			a.Decision.Outcome = eligibility.OutcomeIneligible
		}
	}
	if a.Scores == nil {
		a.Scores = map[Method]float64{}
	}
	return a
}

func applicationRowOf(a *Application) *applicationRow {
	d := a.Decision
	ev := a.EvidenceFileIDs
	if ev == nil {
		ev = []string{}
	}
	scores := a.Scores
	if scores == nil {
		scores = map[Method]float64{}
	}
	return &applicationRow{
		ID: a.ID, TenantID: a.TenantID, BatchID: a.BatchID, CandidateID: a.CandidateID, CandidateUserID: a.CandidateUserID,
		CandidateName: a.CandidateName, IDType: a.IDType, IDNumber: a.IDNumber, Status: string(a.Status),
		Route: string(a.Route), EvidenceFileIDs: ev, EligibilityPassed: decisionPassed(d),
		EligibilityRule: decisionRule(d), Eligibility: &d, TheoryExempt: d.TheoryExempt, FeeFen: a.FeeFen,
		PaidAt: a.PaidAt, PaidBy: a.PaidBy, ReviewDecision: a.ReviewDecision, ReviewReason: a.ReviewReason, ReviewedBy: a.ReviewedBy,
		ReviewedAt: a.ReviewedAt, Scores: scores, Result: string(a.Result), Held: a.Held,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}

// decisionPassed reports whether a path of the decision passed (eligible, or pending a reviewer).
func decisionPassed(d eligibility.Decision) bool { return d.Outcome != eligibility.OutcomeIneligible }

// decisionRule names the rule a decision rests on: the passed path, or the rule set when none passed.
func decisionRule(d eligibility.Decision) string {
	if d.PassedPath != "" {
		return d.PassedPath
	}
	return d.RuleSet
}

func insertApplication(ctx context.Context, db bun.IDB, a *Application, createdBy *uuid.UUID) error {
	r := applicationRowOf(a)
	r.CreatedBy = createdBy
	if _, err := db.NewInsert().Model(r).Exec(ctx); err != nil {
		if platform.IsUniqueViolation(err) {
			return ErrDuplicate
		}
		return err
	}
	return nil
}

func getApplication(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, lock bool) (Application, error) {
	r := new(applicationRow)
	err := lockRow(db, db.NewSelect().Model(r).ExcludeColumn("created_by").Where("tenant_id = ? AND id = ?", tenantID, id), lock).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Application{}, ErrApplicationNotFound
	}
	if err != nil {
		return Application{}, err
	}
	return r.application(), nil
}

func updateApplication(ctx context.Context, db bun.IDB, a *Application) error {
	_, err := db.NewUpdate().Model(applicationRowOf(a)).WherePK().ExcludeColumn("created_by", "created_at").
		Where("tenant_id = ?", a.TenantID).Exec(ctx)
	return err
}

// seatsTaken counts a batch's applications that hold a place. It runs under the batch's row lock, so
// concurrent applications cannot both take the last place.
func seatsTaken(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) (int, error) {
	n, err := db.NewSelect().Model((*applicationRow)(nil)).
		Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).
		Where("status IN (?)", bun.In([]string{string(AppEligible), string(AppPendingReview), string(AppApproved)})).
		Count(ctx)
	return int(n), err
}

// likeEscape escapes LIKE's wildcards so a search for "50%" means the characters.
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// appKey is the keyset position of an application list.
type appKey struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// listFields are what a page of applications shows — everything but the full eligibility decision —
// as columns and where each lands in an applicationRow (the pgx path scans by position).
var listFields = []struct {
	column string
	dest   func(r *applicationRow) any
}{
	{"id", func(r *applicationRow) any { return platform.UUIDDest{P: &r.ID} }},
	{"tenant_id", func(r *applicationRow) any { return platform.UUIDDest{P: &r.TenantID} }},
	{"batch_id", func(r *applicationRow) any { return platform.UUIDDest{P: &r.BatchID} }},
	{"candidate_id", func(r *applicationRow) any { return platform.UUIDDest{P: &r.CandidateID} }},
	{"candidate_user_id", func(r *applicationRow) any { return platform.NullUUIDDest{P: &r.CandidateUserID} }},
	{"candidate_name", func(r *applicationRow) any { return &r.CandidateName }},
	{"id_type", func(r *applicationRow) any { return appVocabulary.Dest(&r.IDType) }},
	{"id_number", func(r *applicationRow) any { return &r.IDNumber }},
	{"status", func(r *applicationRow) any { return appVocabulary.Dest(&r.Status) }},
	{"route", func(r *applicationRow) any { return appVocabulary.Dest(&r.Route) }},
	{"evidence_file_ids", func(r *applicationRow) any { return &r.EvidenceFileIDs }},
	{"eligibility_passed", func(r *applicationRow) any { return &r.EligibilityPassed }},
	{"eligibility_rule", func(r *applicationRow) any { return &r.EligibilityRule }},
	{"theory_exempt", func(r *applicationRow) any { return &r.TheoryExempt }},
	{"fee_fen", func(r *applicationRow) any { return &r.FeeFen }},
	{"paid_at", func(r *applicationRow) any { return &r.PaidAt }},
	{"paid_by", func(r *applicationRow) any { return platform.NullUUIDDest{P: &r.PaidBy} }},
	{"review_decision", func(r *applicationRow) any { return appVocabulary.Dest(&r.ReviewDecision) }},
	{"review_reason", func(r *applicationRow) any { return &r.ReviewReason }},
	{"reviewed_by", func(r *applicationRow) any { return platform.NullUUIDDest{P: &r.ReviewedBy} }},
	{"reviewed_at", func(r *applicationRow) any { return &r.ReviewedAt }},
	{"scores", func(r *applicationRow) any { return &r.Scores }},
	{"result", func(r *applicationRow) any { return appVocabulary.Dest(&r.Result) }},
	{"held", func(r *applicationRow) any { return &r.Held }},
	{"created_at", func(r *applicationRow) any { return &r.CreatedAt }},
	{"updated_at", func(r *applicationRow) any { return &r.UpdatedAt }},
}

// appVocabulary are the values of the applications' enumerated columns, shared by every scanned row.
var appVocabulary = platform.NewInterner(
	string(AppEligible), string(AppIneligible), string(AppPendingReview), string(AppApproved), string(AppRejected),
	string(eligibility.RouteNormal), string(eligibility.RouteDirectRecognition), string(eligibility.RouteFastTrack),
	string(ResultPass), string(ResultFail), ReviewApprove, ReviewReject,
	candidates.IDTypeResident, candidates.IDTypePassport, candidates.IDTypeHKMacaoPermit, candidates.IDTypeTaiwanPermit,
	candidates.IDTypeForeignPermanentR)

var listColumns = func() []string {
	cols := make([]string, len(listFields))
	for i, f := range listFields {
		cols[i] = f.column
	}
	return cols
}()

// applicationPageQuery selects one keyset page: of a batch (Batch set) or of a candidate.
type applicationPageQuery struct {
	TenantID  uuid.UUID
	Batch     *uuid.UUID
	Candidate *uuid.UUID
	Status    ApplicationStatus
	Search    string // a part of the name, or the whole ID number
	Desc      bool
	After     *appKey
	Limit     int // rows to read
}

// listApplications pages applications by (created_at, id) through bun, inside a transaction.
// It reads limit rows through the (tenant_id, batch_id|candidate_id, created_at, id) index; no count.
func listApplications(ctx context.Context, db bun.IDB, pq applicationPageQuery) ([]Application, error) {
	var rows []applicationRow
	q := db.NewSelect().Model(&rows).Column(listColumns...).Where("tenant_id = ?", pq.TenantID)
	if pq.Batch != nil {
		q = q.Where("batch_id = ?", *pq.Batch)
	}
	if pq.Candidate != nil {
		q = q.Where("candidate_id = ?", *pq.Candidate)
	}
	if pq.Status != "" {
		q = q.Where("status = ?", string(pq.Status))
	}
	if pq.Search != "" {
		q = q.Where(`(candidate_name LIKE ? ESCAPE '\' OR id_number = ?)`, "%"+likeEscape.Replace(pq.Search)+"%", pq.Search)
	}
	op, dir := pq.order()
	if pq.After != nil {
		q = q.Where("(created_at, id) "+op+" (?, ?)", pq.After.CreatedAt, pq.After.ID)
	}
	if err := q.OrderExpr("created_at " + dir + ", id " + dir).Limit(int64(pq.Limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Application, len(rows))
	for i := range rows {
		out[i] = rows[i].application()
	}
	return out, nil
}

func (pq applicationPageQuery) order() (op, dir string) {
	if pq.Desc {
		return "<", "DESC"
	}
	return ">", "ASC"
}

// sql is the page as PostgreSQL text with $n parameters, and its arguments. The text depends only on
// which filters are present, so each variant is prepared once per connection (tenants.QueryPG).
func (pq applicationPageQuery) sql() (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(listColumns, ", "))
	b.WriteString(" FROM applications WHERE tenant_id = $1")
	args := []any{pq.TenantID}
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if pq.Batch != nil {
		b.WriteString(" AND batch_id = " + param(*pq.Batch))
	}
	if pq.Candidate != nil {
		b.WriteString(" AND candidate_id = " + param(*pq.Candidate))
	}
	if pq.Status != "" {
		b.WriteString(" AND status = " + param(string(pq.Status)))
	}
	if pq.Search != "" {
		b.WriteString(` AND (candidate_name LIKE ` + param("%"+likeEscape.Replace(pq.Search)+"%") + ` ESCAPE '\' OR id_number = ` +
			param(pq.Search) + ")")
	}
	op, dir := pq.order()
	if pq.After != nil {
		b.WriteString(" AND (created_at, id) " + op + " (" + param(pq.After.CreatedAt) + ", " + param(pq.After.ID) + ")")
	}
	b.WriteString(" ORDER BY created_at " + dir + ", id " + dir + " LIMIT " + strconv.Itoa(pq.Limit))
	return b.String(), args
}

// listApplicationsPG is listApplications in one round trip on PostgreSQL (see tenants.QueryPG).
func listApplicationsPG(ctx context.Context, db *bun.DB, pq applicationPageQuery) ([]Application, error) {
	q, out := applicationsPGQuery(pq)
	err := tenants.QueryPGMany(ctx, db, q)
	return *out, err
}

// applicationsPGQuery is the page's query for tenants.QueryPGMany and where its rows land.
func applicationsPGQuery(pq applicationPageQuery) (tenants.PGQuery, *[]Application) {
	query, args := pq.sql()
	out := make([]Application, 0, pq.Limit)
	var r applicationRow
	dests := make([]any, len(listFields))
	for i, f := range listFields {
		dests[i] = f.dest(&r)
	}
	return tenants.PGQuery{SQL: query, Args: args, Scan: func(rows pgx.Rows) error {
		r = applicationRow{}
		if err := rows.Scan(dests...); err != nil {
			return err
		}
		out = append(out, r.application())
		return nil
	}}, &out
}

// applicationsOfBatch reads every application of a batch in the given statuses (results, finalize),
// with full decisions, in a stable order.
func applicationsOfBatch(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, statuses ...ApplicationStatus) ([]Application, error) {
	var rows []applicationRow
	q := db.NewSelect().Model(&rows).ExcludeColumn("created_by").Where("tenant_id = ? AND batch_id = ?", tenantID, batchID)
	if len(statuses) > 0 {
		ss := make([]string, len(statuses))
		for i, s := range statuses {
			ss[i] = string(s)
		}
		q = q.Where("status IN (?)", bun.In(ss))
	}
	if err := q.OrderExpr("created_at, id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Application, len(rows))
	for i := range rows {
		out[i] = rows[i].application()
	}
	return out, nil
}

// candidateApplication pairs an application with its batch's status, for re-evaluation.
type candidateApplication struct {
	applicationRow `bun:",extend"`
	BatchStatus    string `bun:"batch_status,scanonly"`
}

func applicationsOfCandidate(ctx context.Context, db bun.IDB, tenantID, candidateID uuid.UUID) ([]Application, []Status, error) {
	var rows []candidateApplication
	err := db.NewSelect().Model(&rows).
		ColumnExpr("a.*").ColumnExpr("b.status AS batch_status").
		Join("JOIN batches AS b ON b.id = a.batch_id AND b.tenant_id = a.tenant_id").
		Where("a.tenant_id = ? AND a.candidate_id = ?", tenantID, candidateID).
		OrderExpr("a.created_at, a.id").
		Scan(ctx)
	if err != nil {
		return nil, nil, err
	}
	apps := make([]Application, len(rows))
	sts := make([]Status, len(rows))
	for i := range rows {
		apps[i] = rows[i].application()
		sts[i] = Status(rows[i].BatchStatus)
	}
	return apps, sts, nil
}

type evaluatorRow struct {
	bun.BaseModel `bun:"table:batch_evaluators"`

	TenantID   uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	BatchID    uuid.UUID  `bun:"batch_id,pk,type:uuid"`
	UserID     uuid.UUID  `bun:"user_id,pk,type:uuid"`
	Method     string     `bun:"method,pk"`
	AssignedBy *uuid.UUID `bun:"assigned_by,type:uuid"`
	AssignedAt time.Time  `bun:"assigned_at"`
}

type supervisorRow struct {
	bun.BaseModel `bun:"table:batch_supervisors"`

	TenantID   uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	BatchID    uuid.UUID  `bun:"batch_id,pk,type:uuid"`
	UserID     uuid.UUID  `bun:"user_id,pk,type:uuid"`
	AssignedBy *uuid.UUID `bun:"assigned_by,type:uuid"`
	AssignedAt time.Time  `bun:"assigned_at"`
}

type recusalRow struct {
	bun.BaseModel `bun:"table:batch_recusals"`

	ID          uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID    uuid.UUID  `bun:"tenant_id,type:uuid"`
	BatchID     uuid.UUID  `bun:"batch_id,type:uuid"`
	EvaluatorID uuid.UUID  `bun:"evaluator_id,type:uuid"`
	CandidateID uuid.UUID  `bun:"candidate_id,type:uuid"`
	Relation    string     `bun:"relation"`
	DeclaredBy  *uuid.UUID `bun:"declared_by,type:uuid"`
	CreatedAt   time.Time  `bun:"created_at"`
}

func (r *recusalRow) recusal() Recusal {
	return Recusal{ID: r.ID, BatchID: r.BatchID, EvaluatorID: r.EvaluatorID, CandidateID: r.CandidateID,
		Relation: r.Relation, DeclaredBy: r.DeclaredBy, CreatedAt: r.CreatedAt.UTC()}
}

func insertEvaluators(ctx context.Context, db bun.IDB, rows []evaluatorRow) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := db.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

func insertSupervisors(ctx context.Context, db bun.IDB, rows []supervisorRow) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := db.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

func loadAssignments(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) (Assignments, error) {
	var out Assignments
	var evs []evaluatorRow
	if err := db.NewSelect().Model(&evs).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).
		OrderExpr("assigned_at, user_id, method").Scan(ctx); err != nil {
		return out, err
	}
	for _, e := range evs {
		out.Evaluators = append(out.Evaluators, EvaluatorAssignment{UserID: e.UserID, Method: Method(e.Method), AssignedAt: e.AssignedAt.UTC()})
	}
	var sups []supervisorRow
	if err := db.NewSelect().Model(&sups).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).
		OrderExpr("assigned_at, user_id").Scan(ctx); err != nil {
		return out, err
	}
	for _, s := range sups {
		out.Supervisors = append(out.Supervisors, SupervisorAssignment{UserID: s.UserID, AssignedAt: s.AssignedAt.UTC()})
	}
	var recs []recusalRow
	if err := db.NewSelect().Model(&recs).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).
		OrderExpr("created_at, id").Scan(ctx); err != nil {
		return out, err
	}
	for i := range recs {
		out.Recusals = append(out.Recusals, recs[i].recusal())
	}
	return out, nil
}

// evaluatorMethods lists the methods a user is assigned to score in a batch.
func evaluatorMethods(ctx context.Context, db bun.IDB, tenantID, batchID, userID uuid.UUID) (map[Method]bool, error) {
	var ms []string
	err := db.NewSelect().Model((*evaluatorRow)(nil)).Column("method").
		Where("tenant_id = ? AND batch_id = ? AND user_id = ?", tenantID, batchID, userID).Scan(ctx, &ms)
	out := make(map[Method]bool, len(ms))
	for _, m := range ms {
		out[Method(m)] = true
	}
	return out, err
}

func insertRecusal(ctx context.Context, db bun.IDB, r *recusalRow) error {
	if _, err := db.NewInsert().Model(r).Exec(ctx); err != nil {
		if platform.IsUniqueViolation(err) {
			return platform.Conflict("duplicate", "this recusal is already declared")
		}
		return err
	}
	return nil
}

func isRecused(ctx context.Context, db bun.IDB, tenantID, batchID, evaluatorID, candidateID uuid.UUID) (bool, error) {
	return db.NewSelect().Model((*recusalRow)(nil)).
		Where("tenant_id = ? AND batch_id = ? AND evaluator_id = ? AND candidate_id = ?", tenantID, batchID, evaluatorID, candidateID).
		Exists(ctx)
}

type objectionRow struct {
	bun.BaseModel `bun:"table:objections"`

	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID      uuid.UUID  `bun:"tenant_id,type:uuid"`
	BatchID       uuid.UUID  `bun:"batch_id,type:uuid"`
	ApplicationID uuid.UUID  `bun:"application_id,type:uuid"`
	Reason        string     `bun:"reason"`
	Contact       string     `bun:"contact"`
	Status        string     `bun:"status"`
	Note          string     `bun:"note"`
	CreatedAt     time.Time  `bun:"created_at"`
	ResolvedAt    *time.Time `bun:"resolved_at"`
	ResolvedBy    *uuid.UUID `bun:"resolved_by,type:uuid"`
}

func (r *objectionRow) objection() Objection {
	return Objection{ID: r.ID, TenantID: r.TenantID, BatchID: r.BatchID, ApplicationID: r.ApplicationID,
		Reason: r.Reason, Contact: r.Contact, Status: ObjectionStatus(r.Status), Note: r.Note,
		CreatedAt: r.CreatedAt.UTC(), ResolvedAt: utcPtr(r.ResolvedAt), ResolvedBy: r.ResolvedBy}
}

func objectionRowOf(o *Objection) *objectionRow {
	return &objectionRow{ID: o.ID, TenantID: o.TenantID, BatchID: o.BatchID, ApplicationID: o.ApplicationID,
		Reason: o.Reason, Contact: o.Contact, Status: string(o.Status), Note: o.Note, CreatedAt: o.CreatedAt,
		ResolvedAt: o.ResolvedAt, ResolvedBy: o.ResolvedBy}
}

func getObjection(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, lock bool) (Objection, error) {
	r := new(objectionRow)
	err := lockRow(db, db.NewSelect().Model(r).Where("tenant_id = ? AND id = ?", tenantID, id), lock).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Objection{}, ErrObjectionNotFound
	}
	if err != nil {
		return Objection{}, err
	}
	return r.objection(), nil
}

// objectionKey is the keyset position of an objection list.
type objectionKey struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

func listObjections(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, after *objectionKey, limit int) ([]Objection, error) {
	var rows []objectionRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID)
	if after != nil {
		q = q.Where("(created_at, id) > (?, ?)", after.CreatedAt, after.ID)
	}
	if err := q.OrderExpr("created_at, id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Objection, len(rows))
	for i := range rows {
		out[i] = rows[i].objection()
	}
	return out, nil
}

type passRow struct {
	bun.BaseModel `bun:"table:batch_passes"`

	TenantID       uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ApplicationID  uuid.UUID `bun:"application_id,pk,type:uuid"`
	BatchID        uuid.UUID `bun:"batch_id,type:uuid"`
	CandidateID    uuid.UUID `bun:"candidate_id,type:uuid"`
	HolderName     string    `bun:"holder_name"`
	IDType         string    `bun:"id_type"`
	IDNumber       string    `bun:"id_number"`
	OccupationCode string    `bun:"occupation_code"`
	OccupationName string    `bun:"occupation_name"`
	Subtype        string    `bun:"subtype"`
	Level          int       `bun:"level"`
	FinalizedAt    time.Time `bun:"finalized_at"`
}

func insertPasses(ctx context.Context, db bun.IDB, rows []passRow) error {
	return platform.InsertInChunks(ctx, db, rows, 1000)
}

// listPasses reads up to limit passes of a batch by application id, after the id after when given.
func listPasses(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, after *uuid.UUID, desc bool, limit int) ([]PassedApplication, error) {
	var rows []passRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID)
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if after != nil {
		q = q.Where("application_id "+op+" ?", *after)
	}
	if err := q.OrderExpr("application_id " + dir).Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]PassedApplication, len(rows))
	for i, r := range rows {
		out[i] = PassedApplication{ApplicationID: r.ApplicationID, CandidateID: r.CandidateID, HolderName: r.HolderName,
			IDType: r.IDType, IDNumber: r.IDNumber}
	}
	return out, nil
}

// listPublicResults reads up to limit passed applications of a batch by (created_at, id), after the
// cursor when given, masked as the public sees them (candidates.MaskName, candidates.MaskIDNumber).
func listPublicResults(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, after *appKey, limit int) ([]PublicResult, error) {
	var rows []applicationRow
	q := db.NewSelect().Model(&rows).Column("id", "candidate_name", "id_type", "id_number", "result", "held", "created_at").
		Where("tenant_id = ? AND batch_id = ? AND result = ?", tenantID, batchID, string(ResultPass))
	if after != nil {
		q = q.Where("(created_at, id) > (?, ?)", after.CreatedAt, after.ID)
	}
	if err := q.OrderExpr("created_at, id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]PublicResult, len(rows))
	for i, r := range rows {
		out[i] = PublicResult{ApplicationID: r.ID, MaskedName: candidates.MaskName(r.CandidateName),
			MaskedIDNumber: candidates.MaskIDNumber(r.IDNumber), Result: Result(r.Result), Held: r.Held,
			CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

type calendarRow struct {
	bun.BaseModel `bun:"table:calendar_days"`

	Day  string `bun:"day,pk"`
	Year int    `bun:"year"`
	Kind string `bun:"kind"`
}

func replaceCalendarYear(ctx context.Context, db bun.IDB, h Holidays) error {
	if _, err := db.NewDelete().Model((*calendarRow)(nil)).Where("year = ?", h.Year).Exec(ctx); err != nil {
		return err
	}
	rows := make([]calendarRow, 0, len(h.Holidays)+len(h.Workdays))
	for _, d := range h.Holidays {
		rows = append(rows, calendarRow{Day: d, Year: h.Year, Kind: "holiday"})
	}
	for _, d := range h.Workdays {
		rows = append(rows, calendarRow{Day: d, Year: h.Year, Kind: "workday"})
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := db.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// loadCalendar reads the calendar days of the years from..to.
func loadCalendar(ctx context.Context, db bun.IDB, from, to int) ([]calendarRow, error) {
	var rows []calendarRow
	err := db.NewSelect().Model(&rows).Where("year BETWEEN ? AND ?", from, to).OrderExpr("day").Scan(ctx)
	return rows, err
}

// lateCandidate is a batch the late-results scan looks at, with its tenant.
type lateCandidate struct {
	ID         uuid.UUID  `bun:"id,type:uuid"`
	TenantID   uuid.UUID  `bun:"tenant_id,type:uuid"`
	ExamStart  time.Time  `bun:"exam_start"`
	ExamEnd    *time.Time `bun:"exam_end"`
	Kind       string     `bun:"kind"`
	RegionCode string     `bun:"region_code"`
	Slug       string     `bun:"slug"`
}

// batchesAwaitingResults lists, across tenants, open and closed batches not yet flagged late whose exam
// began before examBefore (a cheap bound: results are never due sooner than 5 days after the exam).
func batchesAwaitingResults(ctx context.Context, db bun.IDB, examBefore time.Time) ([]lateCandidate, error) {
	var out []lateCandidate
	err := db.NewSelect().TableExpr("batches AS b").
		ColumnExpr("b.id, b.tenant_id, b.exam_start, b.exam_end, t.kind, t.region_code, t.slug").
		Join("JOIN tenants AS t ON t.id = b.tenant_id").
		Where("b.status IN ('open', 'closed') AND b.results_late = ?", false).
		Where("b.exam_start < ?", examBefore).
		OrderExpr("b.tenant_id, b.exam_start").
		Scan(ctx, &out)
	return out, err
}

// evaluatorAssigned reports whether userID is assigned to evaluate any method of batchID.
func evaluatorAssigned(ctx context.Context, db bun.IDB, tenantID, batchID, userID uuid.UUID) (bool, error) {
	return db.NewSelect().Model((*evaluatorRow)(nil)).
		Where("tenant_id = ? AND batch_id = ? AND user_id = ?", tenantID, batchID, userID).Exists(ctx)
}

// evaluatorBatches is the subquery of the batches userID is assigned to evaluate.
func evaluatorBatches(db bun.IDB, tenantID, userID uuid.UUID) *bun.SelectQuery {
	return db.NewSelect().Model((*evaluatorRow)(nil)).Column("batch_id").
		Where("tenant_id = ? AND user_id = ?", tenantID, userID)
}

// candidatesOfEvaluator lists the candidates with an application in a batch userID evaluates.
func candidatesOfEvaluator(ctx context.Context, db bun.IDB, tenantID, userID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := db.NewSelect().Model((*applicationRow)(nil)).ColumnExpr("DISTINCT candidate_id").
		Where("tenant_id = ? AND batch_id IN (?)", tenantID, evaluatorBatches(db, tenantID, userID)).Scan(ctx, &ids)
	return ids, err
}
