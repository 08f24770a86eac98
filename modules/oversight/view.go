package oversight

// ReplayResponse is the answer to a replay: how many reports were queued again.
type ReplayResponse struct {
	Queued int `json:"queued"`
}

// ReconciliationPage is a page of differences with the latest reconciliation run.
type ReconciliationPage struct {
	Items      []ReconciliationDiff `json:"items"`
	NextCursor string               `json:"next_cursor"`
	LastRun    *ReconcileResult     `json:"last_run"`
}
