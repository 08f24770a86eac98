package oversight

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// cst is China Standard Time (no daylight saving): report days and months are Beijing days.
var cst = time.FixedZone("CST", 8*3600)

// certificatePayload is what oversight reads of certificate reports (certificate.issued, .revoked,
// .reissued). Unknown fields are ignored; missing ones fall back to what the report itself says.
type certificatePayload struct {
	Number         string    `json:"number"`
	Kind           string    `json:"kind"` // skill_level or post (一岗双证: the enterprise's own post certificate)
	Status         string    `json:"status"`
	OccupationCode string    `json:"occupation_code"`
	Level          flexInt   `json:"level"`
	IssuedOn       string    `json:"issued_on"`
	IDType         string    `json:"id_type"`
	IDNumber       string    `json:"id_number"`
	BatchID        string    `json:"batch_id"`
	ApplicationID  string    `json:"application_id"`
	Holder         *holderID `json:"holder"`
}

// holderID accepts a nested holder object ({"holder":{"id_type","id_number"}}).
type holderID struct {
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
}

// batchPayload is what oversight reads of batch reports (batch.published, results.published,
// batch.finalized).
type batchPayload struct {
	ID                 string   `json:"id"`
	BatchID            string   `json:"batch_id"`
	OccupationCode     string   `json:"occupation_code"`
	Level              flexInt  `json:"level"`
	Title              string   `json:"title"`
	ExamStart          string   `json:"exam_start"`
	ExamEnd            string   `json:"exam_end"`
	SupervisorIDs      []string `json:"supervisor_ids"`
	Supervisors        *flexInt `json:"supervisors"`
	Candidates         *flexInt `json:"candidates"`
	Admitted           *flexInt `json:"admitted"`
	Passed             *flexInt `json:"passed"`
	ResultsPublishedAt string   `json:"results_published_at"`
	ResultsDueAt       string   `json:"results_due_at"`
	ResultsLate        *bool    `json:"results_late"`
}

// flexInt reads a JSON number or a numeric string ("4"), as levels are sometimes written.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		var x float64
		if err := json.Unmarshal(b, &x); err != nil {
			return nil // not a number: ignore rather than refuse the report
		}
		n = int(x)
	}
	*f = flexInt(n)
	return nil
}

func (p *certificatePayload) idType() string {
	if p.IDType == "" && p.Holder != nil {
		return p.Holder.IDType
	}
	return p.IDType
}

func (p *certificatePayload) idNumber() string {
	if p.IDNumber == "" && p.Holder != nil {
		return p.Holder.IDNumber
	}
	return p.IDNumber
}

// certStatus is the status a certificate report leaves its number in: a revocation and a reissue
// (reported for the replaced number; the new number has its own certificate.issued) end it.
func certStatus(kind string, p *certificatePayload) string {
	switch reports.Kind(kind) {
	case reports.CertificateRevoked, reports.CertificateReissued:
		return "revoked"
	}
	if p.Status == "revoked" {
		return "revoked"
	}
	return "issued"
}

// parseDay reads a date ("2026-11-23") or a time (RFC 3339, taken as its Beijing day).
func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.UTC(), true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return dayOf(t), true
	}
	return time.Time{}, false
}

// dayOf is t's Beijing calendar day as a UTC midnight (how dates are stored).
func dayOf(t time.Time) time.Time {
	y, m, d := t.In(cst).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func monthOf(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// personKey is the keyed hash that identifies a person across institutions without revealing the
// id number: HMAC-SHA256 with the platform secret over the id type and the normalised number.
func (s *Service) personKeyOf(idType, idNumber string) string {
	idNumber = strings.ToUpper(strings.TrimSpace(idNumber))
	if idNumber == "" {
		return ""
	}
	if idType == "" {
		idType = "resident_id"
	}
	m := hmac.New(sha256.New, s.personKey)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(idType)) + "\x00" + idNumber))
	return hex.EncodeToString(m.Sum(nil))
}

type personCertRow struct {
	bun.BaseModel `bun:"table:oversight_person_certs"`

	TenantID       uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	Number         string    `bun:"number,pk"`
	PersonKey      string    `bun:"person_key"`
	OccupationCode string    `bun:"occupation_code"`
	Level          int       `bun:"level"`
	Status         string    `bun:"status"`
	IssuedOn       time.Time `bun:"issued_on"`
}

type certStatRow struct {
	bun.BaseModel `bun:"table:oversight_cert_stats"`

	TenantID       uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	OccupationCode string    `bun:"occupation_code,pk"`
	Level          int       `bun:"level,pk"`
	Month          time.Time `bun:"month,pk"`
	Issued         int64     `bun:"issued"`
	Revoked        int64     `bun:"revoked"`
}

type batchFactRow struct {
	bun.BaseModel `bun:"table:oversight_batch_facts"`

	TenantID           uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	BatchID            string     `bun:"batch_id,pk"`
	OccupationCode     string     `bun:"occupation_code"`
	Level              int        `bun:"level"`
	Title              string     `bun:"title"`
	ExamEnd            *time.Time `bun:"exam_end"`
	Supervisors        *int       `bun:"supervisors"`
	PublishedAt        *time.Time `bun:"published_at"`
	ResultsPublishedAt *time.Time `bun:"results_published_at"`
	ResultsDueOn       *time.Time `bun:"results_due_on"`
	ResultsLate        bool       `bun:"results_late"`
	Candidates         int        `bun:"candidates"`
	Passed             int        `bun:"passed"`
	FinalizedAt        *time.Time `bun:"finalized_at"`
}

// applyFacts updates the report-fed facts kept in the institution's tenant (the transaction is scoped
// to it): the person index and statistics summary for certificate reports, batch facts for batch
// reports. Every outbox event passes here exactly once (its dispatch marks it in the same transaction),
// which is what makes the counters right. A payload oversight cannot read leaves the facts alone: the
// report itself is still stored and delivered.
func (s *Service) applyFacts(ctx context.Context, tx bun.IDB, inst tenants.Tenant, ev *reports.Event) error {
	switch reports.Kind(ev.Kind) {
	case reports.CertificateIssued, reports.CertificateReissued, reports.CertificateRevoked:
		var p certificatePayload
		if json.Unmarshal(ev.Payload, &p) != nil || p.Number == "" {
			return nil
		}
		return s.applyCertificate(ctx, tx, inst, ev, &p)
	case reports.BatchPublished, reports.ResultsPublished, reports.BatchFinalized:
		var p batchPayload
		if json.Unmarshal(ev.Payload, &p) != nil {
			return nil
		}
		return applyBatch(ctx, tx, inst, ev, &p)
	}
	return nil
}

func (s *Service) applyCertificate(ctx context.Context, tx bun.IDB, inst tenants.Tenant, ev *reports.Event, p *certificatePayload) error {
	status := certStatus(ev.Kind, p)
	prev := new(personCertRow)
	err := tx.NewSelect().Model(prev).Where("tenant_id = ?", inst.ID).Where("number = ?", p.Number).Scan(ctx)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if reports.Kind(ev.Kind) != reports.CertificateIssued {
		// A revocation or reissue changes a certificate reported before; one never seen (a post
		// certificate, or history from before oversight) has no facts to change.
		if !exists || prev.Status == status {
			return nil
		}
		if _, err := tx.NewUpdate().Model((*personCertRow)(nil)).Set("status = ?", status).
			Where("tenant_id = ?", inst.ID).Where("number = ?", p.Number).Exec(ctx); err != nil {
			return err
		}
		return bumpStats(ctx, tx, inst.ID, prev.OccupationCode, prev.Level, monthOf(prev.IssuedOn), 0, 1)
	}
	if p.Kind == "post" || p.OccupationCode == "" || p.Level == 0 {
		return nil // statistics and the national checks count skill level certificates only
	}
	day, ok := parseDay(p.IssuedOn)
	if !ok {
		day = dayOf(ev.CreatedAt)
	}
	row := &personCertRow{TenantID: inst.ID, Number: p.Number, PersonKey: s.personKeyOf(p.idType(), p.idNumber()),
		OccupationCode: p.OccupationCode, Level: int(p.Level), Status: status, IssuedOn: day}
	if _, err := tx.NewInsert().Model(row).
		On("CONFLICT (tenant_id, number) DO UPDATE").
		Set("person_key = EXCLUDED.person_key, occupation_code = EXCLUDED.occupation_code, level = EXCLUDED.level").
		Set("status = EXCLUDED.status, issued_on = EXCLUDED.issued_on").
		Exec(ctx); err != nil {
		return err
	}
	if exists {
		return nil // a number is issued once; a repeated report changes no count
	}
	var revoked int64
	if status == "revoked" {
		revoked = 1
	}
	return bumpStats(ctx, tx, inst.ID, row.OccupationCode, row.Level, monthOf(row.IssuedOn), 1, revoked)
}

func bumpStats(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, occupation string, level int, month time.Time, issued, revoked int64) error {
	row := &certStatRow{TenantID: tenantID, OccupationCode: occupation, Level: level, Month: month, Issued: issued, Revoked: revoked}
	_, err := tx.NewInsert().Model(row).
		On("CONFLICT (tenant_id, occupation_code, level, month) DO UPDATE").
		Set("issued = ?TableAlias.issued + EXCLUDED.issued, revoked = ?TableAlias.revoked + EXCLUDED.revoked").
		Exec(ctx)
	return err
}

// resultsDueDays is how many working days after the exam results are due (DOMAIN.md step 5): five
// for social training organisations, ten for employers and schools.
func resultsDueDays(k tenants.Kind) int {
	if k == tenants.KindSocialOrg {
		return 5
	}
	return 10
}

// addWorkingDays counts n working days (Monday–Friday) after day. Public holidays and their make-up
// working days are not modelled (the calendar changes every year by State Council notice); the
// regulator sees the dates behind every late flag and can discount a holiday.
func addWorkingDays(day time.Time, n int) time.Time {
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return day
}

func applyBatch(ctx context.Context, tx bun.IDB, inst tenants.Tenant, ev *reports.Event, p *batchPayload) error {
	id := p.BatchID
	if id == "" {
		id = p.ID
	}
	if id == "" {
		id = ev.SubjectID
	}
	if id == "" {
		return nil
	}
	row := new(batchFactRow)
	err := tx.NewSelect().Model(row).Where("tenant_id = ?", inst.ID).Where("batch_id = ?", id).Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	row.TenantID, row.BatchID = inst.ID, id
	if p.OccupationCode != "" {
		row.OccupationCode = p.OccupationCode
	}
	if p.Level != 0 {
		row.Level = int(p.Level)
	}
	if p.Title != "" {
		row.Title = p.Title
	}
	if d, ok := parseDay(p.ExamEnd); ok {
		row.ExamEnd = &d
	} else if d, ok := parseDay(p.ExamStart); ok && row.ExamEnd == nil {
		row.ExamEnd = &d
	}
	switch {
	case p.Supervisors != nil:
		n := int(*p.Supervisors)
		row.Supervisors = &n
	case p.SupervisorIDs != nil:
		n := len(p.SupervisorIDs)
		row.Supervisors = &n
	}
	at := ev.CreatedAt.UTC()
	switch reports.Kind(ev.Kind) {
	case reports.BatchPublished:
		row.PublishedAt = &at
	case reports.ResultsPublished:
		// Pass rates rest on the results as published (finalize may hold some back on objection).
		switch {
		case p.Admitted != nil:
			row.Candidates = int(*p.Admitted)
		case p.Candidates != nil:
			row.Candidates = int(*p.Candidates)
		}
		if p.Passed != nil {
			row.Passed = int(*p.Passed)
		}
		pub := at
		if t, err := time.Parse(time.RFC3339Nano, p.ResultsPublishedAt); err == nil {
			pub = t.UTC()
		}
		row.ResultsPublishedAt = &pub
	case reports.BatchFinalized:
		row.FinalizedAt = &at
	}
	switch {
	case p.ResultsLate != nil:
		// The institution's module counts working days on the holiday calendar: take its word, and
		// its due date, when the report carries them.
		row.ResultsLate = *p.ResultsLate
		if d, ok := parseDay(p.ResultsDueAt); ok {
			row.ResultsDueOn = &d
		}
	case row.ExamEnd != nil:
		due := addWorkingDays(*row.ExamEnd, resultsDueDays(inst.Kind))
		row.ResultsDueOn = &due
		if row.ResultsPublishedAt != nil {
			row.ResultsLate = dayOf(*row.ResultsPublishedAt).After(due)
		}
	}
	_, err = tx.NewInsert().Model(row).
		On("CONFLICT (tenant_id, batch_id) DO UPDATE").
		Set("occupation_code = EXCLUDED.occupation_code, level = EXCLUDED.level, title = EXCLUDED.title").
		Set("exam_end = EXCLUDED.exam_end, supervisors = EXCLUDED.supervisors, published_at = EXCLUDED.published_at").
		Set("results_published_at = EXCLUDED.results_published_at, results_due_on = EXCLUDED.results_due_on").
		Set("results_late = EXCLUDED.results_late, candidates = EXCLUDED.candidates, passed = EXCLUDED.passed").
		Set("finalized_at = EXCLUDED.finalized_at").
		Exec(ctx)
	return err
}

type reportedCertRow struct {
	bun.BaseModel `bun:"table:oversight_reported_certs"`

	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	InstitutionID uuid.UUID `bun:"institution_id,pk,type:uuid"`
	Number        string    `bun:"number,pk"`
	Status        string    `bun:"status"`
	IssuedOn      time.Time `bun:"issued_on"`
	ReportSeq     int64     `bun:"report_seq"`
}

// applyReported keeps the regulator's record of each certificate as last reported (the transaction is
// scoped to the regulator): reconciliation compares it with holdings.
func applyReported(ctx context.Context, tx bun.IDB, regulatorID uuid.UUID, r *reportRow) error {
	switch reports.Kind(r.Kind) {
	case reports.CertificateIssued, reports.CertificateReissued, reports.CertificateRevoked:
	default:
		return nil
	}
	var p certificatePayload
	if json.Unmarshal(r.Payload, &p) != nil || p.Number == "" {
		return nil
	}
	status := certStatus(r.Kind, &p)
	if reports.Kind(r.Kind) != reports.CertificateIssued {
		_, err := tx.NewUpdate().Model((*reportedCertRow)(nil)).Set("status = ?", status).Set("report_seq = ?", r.Seq).
			Where("tenant_id = ?", regulatorID).Where("institution_id = ?", r.InstitutionID).Where("number = ?", p.Number).Exec(ctx)
		return err
	}
	day, ok := parseDay(p.IssuedOn)
	if !ok {
		day = dayOf(r.ReportedAt)
	}
	row := &reportedCertRow{TenantID: regulatorID, InstitutionID: r.InstitutionID, Number: p.Number, Status: status, IssuedOn: day, ReportSeq: r.Seq}
	_, err := tx.NewInsert().Model(row).On("CONFLICT (tenant_id, institution_id, number) DO UPDATE").
		Set("status = EXCLUDED.status, issued_on = EXCLUDED.issued_on, report_seq = EXCLUDED.report_seq").Exec(ctx)
	return err
}
