package console

// examPages registers the pages of 考务: exam sites and rooms, sessions, arrangement, tickets and check-in.
func (c *Console) examPages(r *router) {}
