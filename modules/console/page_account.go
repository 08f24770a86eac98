package console

// accountPages registers the pages of own account (password) and the 工作台 to-dos.
func (c *Console) accountPages(r *router) {}
