package console

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/identity"
)

// navItem is one entry of the menu. Entries whose permission the user lacks are not shown (the
// server refuses those pages anyway).
type navItem struct {
	Path, Key  string
	Permission string // "" for every signed-in user
	Active     bool
}

// menu is the console's menu in order; each module's pages add their entry here as they are built.
var menu = []navItem{
	{Path: "/", Key: "nav.home"},
	{Path: "/batches", Key: "nav.batches", Permission: batches.PermBatchList},
	{Path: "/users", Key: "nav.users", Permission: identity.PermUserList},
	{Path: "/audit", Key: "nav.audit", Permission: audit.PermAuditList},
}

func (c *Console) nav(fc *fiber.Ctx) []navItem {
	var out []navItem
	for _, it := range menu {
		if it.Permission != "" && !c.d.Authorizer.Can(fc.UserContext(), it.Permission) {
			continue
		}
		it.Active = it.Path == fc.Path() || (it.Path != "/" && len(fc.Path()) > len(it.Path) && fc.Path()[:len(it.Path)+1] == it.Path+"/")
		out = append(out, it)
	}
	return out
}

// homePage is the 工作台: what needs the user's attention, as counted links.
type homePage struct {
	Todos []todo
}

// todo is one line of the to-do list: a count and where to act on it.
type todo struct {
	Key   string
	Count int
	Path  string
}

func (c *Console) home(fc *fiber.Ctx) error {
	return c.render(fc, "home", homePage{})
}
