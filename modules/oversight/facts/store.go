package facts

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The facts' tables, for the readers that aggregate them with SQL of their own.
const (
	CertStatsTable  = "oversight_cert_stats"
	BatchFactsTable = "oversight_batch_facts"
)

// PersonCert is one skill level certificate in the person index (institution's tenant): whose it is,
// by keyed hash only.
type PersonCert struct {
	bun.BaseModel `bun:"table:oversight_person_certs"`

	TenantID       uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	Number         string    `bun:"number,pk"`
	PersonKey      string    `bun:"person_key"`
	OccupationCode string    `bun:"occupation_code"`
	Level          int       `bun:"level"`
	Status         string    `bun:"status"`
	IssuedOn       time.Time `bun:"issued_on"`
}

// CertStat is one cell of the statistics summary (institution × occupation × level × month of issue).
type CertStat struct {
	bun.BaseModel `bun:"table:oversight_cert_stats"`

	TenantID       uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	OccupationCode string    `bun:"occupation_code,pk"`
	Level          int       `bun:"level,pk"`
	Month          time.Time `bun:"month,pk"`
	Issued         int64     `bun:"issued"`
	Revoked        int64     `bun:"revoked"`
}

// BatchFact is what the reports told of one batch (institution's tenant).
type BatchFact struct {
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

// ReportedCert is a certificate as last reported to a regulator (regulator's tenant).
type ReportedCert struct {
	bun.BaseModel `bun:"table:oversight_reported_certs"`

	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	InstitutionID uuid.UUID `bun:"institution_id,pk,type:uuid"`
	Number        string    `bun:"number,pk"`
	Status        string    `bun:"status"`
	IssuedOn      time.Time `bun:"issued_on"`
	ReportSeq     int64     `bun:"report_seq"`
}

func bumpStats(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, occupation string, level int, month time.Time, issued, revoked int64) error {
	row := &CertStat{TenantID: tenantID, OccupationCode: occupation, Level: level, Month: month, Issued: issued, Revoked: revoked}
	_, err := tx.NewInsert().Model(row).
		On("CONFLICT (tenant_id, occupation_code, level, month) DO UPDATE").
		Set("issued = ?TableAlias.issued + EXCLUDED.issued, revoked = ?TableAlias.revoked + EXCLUDED.revoked").
		Exec(ctx)
	return err
}
