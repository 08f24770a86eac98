package console

// certificatePages registers the pages of 证书: certificates, batch ZIPs, revocation, reissue, settings and keys.
func (c *Console) certificatePages(r *router) {}
