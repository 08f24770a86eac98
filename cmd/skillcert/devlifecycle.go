package main

import "context"

// seedDemoLifecycle adds demo lifecycle data (filings, batches, candidates) once those modules exist.
func seedDemoLifecycle(ctx context.Context, r *runtime) error { return nil }
