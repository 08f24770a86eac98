package server

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// Certificates holds the services of certificates: numbering, issuance pipeline, PDF, credentials, verification (issue: certificates).
type Certificates struct {
	// Service issues, serves, verifies and revokes certificates; oversight applies regulators'
	// decisions through its RevokeForDecision.
	Service *certificates.Service
	// PublicLimiter rate-limits the public look-ups (SKILLCERT_PUBLIC_RATE per minute and address).
	PublicLimiter *ratelimit.Limiter
}

// buildCertificates builds the certificates service on filings (the approved scope and the codes in
// numbers), candidates (own certificates, photos) and the directory. Batches, built after it, hands it
// the passed applications of a finalized batch.
func (s *Server) buildCertificates(context.Context) error {
	lc := &s.Lifecycle
	if lc.Filings == nil || lc.Candidates == nil {
		return fmt.Errorf("certificates: built before filings and candidates")
	}
	cfg := s.deps.Config
	svc := certificates.NewService(certificates.Config{
		Reads:        s.deps.Reads,
		DB:           s.deps.DB,
		Jobs:         s.deps.Jobs,
		Institutions: s.Directory,
		Filings: certificates.FilingsFunc(func(ctx context.Context, tx bun.IDB, code string, level int, asOf time.Time) (certificates.ApprovedScope, error) {
			sc, err := lc.Filings.CheckScope(ctx, tx, code, level, asOf)
			if err != nil {
				return certificates.ApprovedScope{}, err
			}
			return certificates.ApprovedScope{EvaluatorCode: sc.EvaluatorCode, ProvinceCode: sc.ProvinceCode, SiteSerial: sc.SiteSerial}, nil
		}),
		Candidates: certificates.CandidatesFunc(func(ctx context.Context, tx bun.IDB, userID uuid.UUID) (uuid.UUID, error) {
			c, err := lc.Candidates.ByUserTx(ctx, tx, userID)
			return c.ID, err
		}),
		Photos: certificates.PhotosFunc(func(ctx context.Context, tx bun.IDB, candidateID uuid.UUID) ([]byte, error) {
			p, err := lc.Candidates.PhotoTx(ctx, tx, candidateID)
			return p.Data, err
		}),
		// Fonts are parsed on first render, so API replicas that never render never load them.
		Renderer:  func() (*render.Renderer, error) { return render.New(render.Options{}) },
		MasterKey: func() (*credential.MasterKey, error) { return credential.LoadMasterKey(cfg.MasterKey, cfg.DataDir) },
		PublicURL: cfg.PublicURL,
		Log:       s.deps.Log,
	})
	var rdb redis.Cmdable // a nil *redis.Client must stay a nil interface: the limiter is then off
	if s.deps.Redis != nil {
		rdb = s.deps.Redis
	}
	limiter := ratelimit.PerMinute(rdb, "public-certificates", cfg.PublicRate, s.deps.Log)
	s.Certificates = Certificates{Service: svc, PublicLimiter: limiter}
	return nil
}

// jobsCertificates registers the issuance task and the reconciler (every 10 s, on the critical queue).
func (s *Server) jobsCertificates(js *jobs.Server, sch *jobs.Scheduler) error {
	if s.Certificates.Service == nil {
		return fmt.Errorf("certificates: jobs registered before the server was built")
	}
	return s.Certificates.Service.RegisterJobs(js, sch)
}

// finalizeHook adapts the certificates service to batches.FinalizeHook, so that neither module
// imports the other.
type finalizeHook struct{ svc *certificates.Service }

var _ batches.FinalizeHook = finalizeHook{}

func (f finalizeHook) OnFinalized(ctx context.Context, tx bun.Tx, b batches.FinalizedBatch) error {
	passed := make([]certificates.PassedApplication, len(b.Passed))
	for i, p := range b.Passed {
		passed[i] = certificates.PassedApplication{ApplicationID: p.ApplicationID, CandidateID: p.CandidateID,
			HolderName: p.HolderName, IDType: p.IDType, IDNumber: p.IDNumber}
	}
	return f.svc.OnFinalized(ctx, tx, certificates.FinalizedBatch{BatchID: b.BatchID, TenantID: b.TenantID,
		OccupationCode: b.OccupationCode, OccupationName: b.OccupationName, Subtype: b.Subtype, Level: b.Level,
		FinalizedAt: b.FinalizedAt, Passed: passed})
}
