package institutions

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
)

// The drill-down a regulator makes into one institution: a batch with its applications (results and
// scores) and the objections raised during its publicity, one certificate, and the state of the
// institution's audit chain. All read-only, and 404 for an institution outside the jurisdiction.

// ErrRecordNotFound is a batch or certificate the institution does not have (404).
var ErrRecordNotFound = platform.E(platform.KindNotFound, "not_found", "no such record of this institution")

// maxBatchRows bounds the applications and objections shown with one batch.
const maxBatchRows = 1000

// BatchDetail is a batch as a regulator drills into it.
type BatchDetail struct {
	Batch        BatchRecord         `json:"batch"`
	PublicityEnd *time.Time          `json:"publicity_ends_at,omitempty"`
	Applications []ApplicationRecord `json:"applications"`
	Objections   []ObjectionRecord   `json:"objections"`
	// Truncated is set when the batch has more than 1,000 applications or objections (the first are
	// listed).
	Truncated bool `json:"truncated,omitempty"`
}

// ApplicationRecord is an application as a regulator sees it: the candidate's name in full, the id
// number masked by the console, the review, the result and the scores by method.
type ApplicationRecord struct {
	ID            uuid.UUID          `json:"id"`
	CandidateName string             `json:"candidate_name"`
	IDNumber      string             `json:"id_number"`
	Status        string             `json:"status"`
	Result        string             `json:"result"`
	Scores        map[string]float64 `json:"scores"`
	TheoryExempt  bool               `json:"theory_exempt"`
	CreatedAt     time.Time          `json:"created_at"`
}

// ObjectionRecord is an objection raised during a batch's publicity (the objector's contact is not
// shown to the regulator's viewers: the reason and outcome are).
type ObjectionRecord struct {
	ID            uuid.UUID  `json:"id"`
	ApplicationID uuid.UUID  `json:"application_id"`
	Reason        string     `json:"reason"`
	Status        string     `json:"status"`
	Note          string     `json:"note"`
	CreatedAt     time.Time  `json:"created_at"`
	ResolvedAt    *time.Time `json:"resolved_at,omitempty"`
}

// Chains checks an institution's audit chain against itself and its checkpoints (audit.Service).
type Chains interface {
	VerifyTenant(ctx context.Context, tenantID uuid.UUID) (audit.VerifyResult, error)
}

// Batch returns one of an institution's batches with its applications and objections.
func (s *Service) Batch(ctx context.Context, institutionID, batchID uuid.UUID) (BatchDetail, error) {
	var out BatchDetail
	err := s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) (err error) {
		if err := j.Require(institutionID); err != nil {
			return err
		}
		out, err = s.records.Batch(ctx, tx, institutionID, batchID)
		return err
	})
	return out, err
}

// Certificate returns one of an institution's certificates.
func (s *Service) Certificate(ctx context.Context, institutionID, id uuid.UUID) (CertificateRecord, error) {
	var out []CertificateRecord
	err := s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) (err error) {
		if err := j.Require(institutionID); err != nil {
			return err
		}
		out, err = s.records.Certificates(ctx, tx, institutionID, RecordFilter{ID: id}, core.TimeKey{}, 1)
		return err
	})
	if err == nil && len(out) == 0 {
		err = ErrRecordNotFound
	}
	if err != nil {
		return CertificateRecord{}, err
	}
	return out[0], nil
}

// VerifyChain checks the institution's audit chain and finds its latest anchor (the newest
// checkpoint a regulator holds that the chain agrees with). 503 when no checker is wired.
func (s *Service) VerifyChain(ctx context.Context, institutionID uuid.UUID) (audit.VerifyResult, error) {
	if _, err := s.Get(ctx, institutionID); err != nil {
		return audit.VerifyResult{}, err
	}
	if s.chains == nil {
		return audit.VerifyResult{}, platform.E(platform.KindUnavailable, "unavailable", "the audit chain check is not available")
	}
	return s.chains.VerifyTenant(ctx, institutionID)
}

// Batch reads one batch with up to maxBatchRows applications and objections.
func (Records) Batch(ctx context.Context, tx bun.IDB, institutionID, batchID uuid.UUID) (BatchDetail, error) {
	var out BatchDetail
	var rows []struct {
		BatchRecord
		PublicityEndsAt *time.Time `bun:"publicity_ends_at"`
	}
	if err := tx.NewSelect().TableExpr("batches").
		ColumnExpr("id, title, occupation_code, level, status, exam_start, application_deadline, venue, fee_fen, capacity, created_at, publicity_ends_at").
		Where("tenant_id = ?", institutionID).Where("id = ?", batchID).Scan(ctx, &rows); err != nil {
		return out, err
	}
	if len(rows) == 0 {
		return out, ErrRecordNotFound
	}
	out.Batch, out.PublicityEnd = rows[0].BatchRecord, core.UTCPtr(rows[0].PublicityEndsAt)
	var apps []struct {
		ID            uuid.UUID       `bun:"id,type:uuid"`
		CandidateName string          `bun:"candidate_name"`
		IDNumber      string          `bun:"id_number"`
		Status        string          `bun:"status"`
		Result        string          `bun:"result"`
		Scores        json.RawMessage `bun:"scores"`
		TheoryExempt  bool            `bun:"theory_exempt"`
		CreatedAt     time.Time       `bun:"created_at"`
	}
	if err := tx.NewSelect().TableExpr("applications").
		ColumnExpr("id, candidate_name, id_number, status, result, scores, theory_exempt, created_at").
		Where("tenant_id = ?", institutionID).Where("batch_id = ?", batchID).
		OrderExpr("created_at, id").Limit(maxBatchRows+1).Scan(ctx, &apps); err != nil {
		return out, err
	}
	out.Applications = []ApplicationRecord{}
	for i, a := range apps {
		if i == maxBatchRows {
			out.Truncated = true
			break
		}
		r := ApplicationRecord{ID: a.ID, CandidateName: a.CandidateName, IDNumber: a.IDNumber, Status: a.Status, Result: a.Result,
			TheoryExempt: a.TheoryExempt, CreatedAt: a.CreatedAt.UTC(), Scores: map[string]float64{}}
		_ = json.Unmarshal(a.Scores, &r.Scores) // scores by method; anything else is not a score
		out.Applications = append(out.Applications, r)
	}
	out.Objections = []ObjectionRecord{}
	if err := tx.NewSelect().TableExpr("objections").
		ColumnExpr("id, application_id, reason, status, note, created_at, resolved_at").
		Where("tenant_id = ?", institutionID).Where("batch_id = ?", batchID).
		OrderExpr("created_at, id").Limit(maxBatchRows+1).Scan(ctx, &out.Objections); err != nil {
		return out, err
	}
	if len(out.Objections) > maxBatchRows {
		out.Objections, out.Truncated = out.Objections[:maxBatchRows], true
	}
	return out, nil
}
