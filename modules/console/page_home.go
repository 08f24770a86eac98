package console

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	cat "github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/tenants"
)

// navItem is one entry of the menu. Entries whose permission the user lacks are not shown (the
// server refuses those pages anyway).
type navItem struct {
	Path, Key  string
	Permission string // "" for every signed-in user
	// Kinds, when set, are the only tenant kinds that see the entry (a page only they can use).
	Kinds  []tenants.Kind
	Active bool
}

// menu is the console's menu in order; each module's pages add their entry here as they are built.
var menu = []navItem{
	{Path: "/", Key: "nav.home"},
	{Path: "/filings", Key: "nav.filings", Permission: filings.PermFilingList},
	{Path: "/evaluation-norms", Key: "nav.norms", Permission: cat.PermNormList, Kinds: []tenants.Kind{tenants.KindEnterprise}},
	{Path: "/batches", Key: "nav.batches", Permission: batches.PermBatchList},
	{Path: "/exam-sites", Key: "nav.exam_sites", Permission: exams.PermSiteRead},
	{Path: "/my/tickets", Key: "nav.my_tickets", Permission: exams.PermTicketReadOwn},
	{Path: "/candidates", Key: "nav.candidates", Permission: candidates.PermCandidateList},
	{Path: "/certificates", Key: "nav.certificates", Permission: certificates.PermCertificateList},
	{Path: "/users", Key: "nav.users", Permission: identity.PermUserList},
	{Path: "/audit", Key: "nav.audit", Permission: audit.PermAuditList},
	{Path: "/decisions", Key: "nav.decisions", Permission: oversight.PermDecisionList},
	{Path: "/oversight/dashboard", Key: "nav.oversight_dashboard", Permission: oversight.PermRead, Kinds: []tenants.Kind{tenants.KindRegulator}},
	{Path: "/oversight/institutions", Key: "nav.oversight_institutions", Permission: oversight.PermRead, Kinds: []tenants.Kind{tenants.KindRegulator}},
}

func (c *Console) nav(fc *fiber.Ctx) []navItem {
	var out []navItem
	for _, it := range menu {
		if it.Permission != "" && !c.d.Authorizer.Can(fc.UserContext(), it.Permission) {
			continue
		}
		if s, _ := tenants.FromContext(fc.UserContext()); len(it.Kinds) > 0 && !slices.Contains(it.Kinds, s.Kind) {
			continue
		}
		it.Active = it.Path == fc.Path() || (it.Path != "/" && len(fc.Path()) > len(it.Path) && fc.Path()[:len(it.Path)+1] == it.Path+"/")
		out = append(out, it)
	}
	return out
}

// homePage is the 工作台: what needs the user's attention, as counted links (page_home_todos.go), and
// where to go next when nothing does.
type homePage struct {
	Todos []todo
	Next  []navItem // the menu's other entries, for the empty state
}

// todo is one line of the to-do list: a count and where to act on it.
type todo struct {
	Key   string
	Count int
	Path  string
	Batch string // the batch it is about, if one
}

func (c *Console) home(fc *fiber.Ctx) error {
	p := homePage{Todos: c.todos(fc)}
	for _, it := range c.nav(fc) {
		if it.Path != "/" {
			p.Next = append(p.Next, it)
		}
	}
	return c.render(fc, "home", p)
}
