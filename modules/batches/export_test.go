package batches

// WithFinalizeHook returns a service that shares everything with s but hands finalized batches to h:
// for tests of what finalize gives issuance and of its rollback when issuance fails. Test-only, so that
// production code receives its hook through Deps and nowhere else.
func (s *Service) WithFinalizeHook(h FinalizeHook) *Service {
	d := s.deps
	d.Finalize = h
	return &Service{db: s.db, deps: d}
}
