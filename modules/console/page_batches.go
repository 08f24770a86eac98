package console

// batchPages registers the pages of 批次: batches and their step flow, applications, assignments, objections.
func (c *Console) batchPages(r *router) {}
