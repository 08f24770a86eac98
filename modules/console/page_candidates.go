package console

// candidatePages registers the pages of 考生: candidates, photos and the import dialog.
func (c *Console) candidatePages(r *router) {}
