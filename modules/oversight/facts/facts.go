package facts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// Keeper applies reports to the facts.
type Keeper struct {
	personKey []byte // HMAC key of person hashes
}

// NewKeeper returns a keeper hashing people with personKey (derived from the platform secret).
func NewKeeper(personKey []byte) *Keeper { return &Keeper{personKey: personKey} }

// PersonKey is the keyed hash that identifies a person across institutions without revealing the id
// number: HMAC-SHA256 with the platform secret over the id type and the normalised number ("" for no
// number).
func (k *Keeper) PersonKey(idType, idNumber string) string {
	idNumber = strings.ToUpper(strings.TrimSpace(idNumber))
	if idNumber == "" {
		return ""
	}
	if idType == "" {
		idType = "resident_id"
	}
	m := hmac.New(sha256.New, k.personKey)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(idType)) + "\x00" + idNumber))
	return hex.EncodeToString(m.Sum(nil))
}

// Apply updates the report-fed facts kept in the institution's tenant (the transaction is scoped to
// it): the person index and statistics summary for certificate reports, batch facts for batch
// reports. Every outbox event passes here exactly once (its dispatch marks it in the same
// transaction), which is what makes the counters right. A payload oversight cannot read leaves the
// facts alone: the report itself is still stored and delivered.
func (k *Keeper) Apply(ctx context.Context, tx bun.IDB, inst tenants.Tenant, ev *reports.Event) error {
	switch reports.Kind(ev.Kind) {
	case reports.CertificateIssued, reports.CertificateReissued, reports.CertificateRevoked:
		var p certificatePayload
		if json.Unmarshal(ev.Payload, &p) != nil || p.Number == "" {
			return nil
		}
		return k.applyCertificate(ctx, tx, inst, ev, &p)
	case reports.BatchPublished, reports.ResultsPublished, reports.BatchFinalized:
		var p batchPayload
		if json.Unmarshal(ev.Payload, &p) != nil {
			return nil
		}
		return applyBatch(ctx, tx, inst, ev, &p)
	}
	return nil
}

func (k *Keeper) applyCertificate(ctx context.Context, tx bun.IDB, inst tenants.Tenant, ev *reports.Event, p *certificatePayload) error {
	status := certStatus(ev.Kind, p)
	prev := new(PersonCert)
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
		if _, err := tx.NewUpdate().Model((*PersonCert)(nil)).Set("status = ?", status).
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
		day = core.DayOf(ev.CreatedAt)
	}
	row := &PersonCert{TenantID: inst.ID, Number: p.Number, PersonKey: k.PersonKey(p.idType(), p.idNumber()),
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
	if status == StatusRevoked {
		revoked = 1
	}
	return bumpStats(ctx, tx, inst.ID, row.OccupationCode, row.Level, monthOf(row.IssuedOn), 1, revoked)
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
	row := new(BatchFact)
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
			row.ResultsLate = core.DayOf(*row.ResultsPublishedAt).After(due)
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

// Copy is a report as a regulator stored it, as far as its record of certificates needs.
type Copy struct {
	InstitutionID uuid.UUID
	Seq           int64
	Kind          string
	Payload       json.RawMessage
	ReportedAt    time.Time
}

// ApplyReported keeps the regulator's record of each certificate as last reported (the transaction is
// scoped to the regulator): reconciliation compares it with holdings.
func ApplyReported(ctx context.Context, tx bun.IDB, regulatorID uuid.UUID, r Copy) error {
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
		_, err := tx.NewUpdate().Model((*ReportedCert)(nil)).Set("status = ?", status).Set("report_seq = ?", r.Seq).
			Where("tenant_id = ?", regulatorID).Where("institution_id = ?", r.InstitutionID).Where("number = ?", p.Number).Exec(ctx)
		return err
	}
	day, ok := parseDay(p.IssuedOn)
	if !ok {
		day = core.DayOf(r.ReportedAt)
	}
	row := &ReportedCert{TenantID: regulatorID, InstitutionID: r.InstitutionID, Number: p.Number, Status: status, IssuedOn: day, ReportSeq: r.Seq}
	_, err := tx.NewInsert().Model(row).On("CONFLICT (tenant_id, institution_id, number) DO UPDATE").
		Set("status = EXCLUDED.status, issued_on = EXCLUDED.issued_on, report_seq = EXCLUDED.report_seq").Exec(ctx)
	return err
}
