package oversight

import "time"

// Backoff exposes the retry wait for the tests.
func (s *Service) Backoff(n int) time.Duration { return s.backoff(n) }
