package console

// filingPages registers the pages of 备案: filings, annual reports, evaluation norms.
func (c *Console) filingPages(r *router) {}
