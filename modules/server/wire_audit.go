package server

import (
	"context"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/tenants"
)

// newAudit builds the audit service. Its checkpoint key derives from the master key that also seals
// the institutions' credential keys: SKILLCERT_MASTER_KEY, or the data directory's key file, which is
// created on first use exactly as certificates would (so both always derive from one secret).
func (s *Server) newAudit() *audit.Service {
	cfg := s.deps.Config
	return audit.NewService(s.deps.DB, audit.Deps{
		Directory: directoryLookup{s},
		MasterKey: func() ([]byte, error) {
			if _, err := credential.LoadMasterKey(cfg.MasterKey, cfg.DataDir); err != nil {
				return nil, err
			}
			return audit.ReadMasterKey(cfg.MasterKey, cfg.DataDir)
		},
	})
}

// directoryLookup finds tenants through the directory, which is built after the audit service.
type directoryLookup struct{ s *Server }

var _ audit.Directory = directoryLookup{}

func (d directoryLookup) ByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error) {
	return d.s.Directory.ByID(ctx, id)
}

// jobsAudit registers the checkpoint tasks: after reports (every 5 s) and hourly.
func (s *Server) jobsAudit(js *jobs.Server, sch *jobs.Scheduler) error {
	return audit.NewTasks(s.Audit, s.deps.Log).Register(js, sch)
}
