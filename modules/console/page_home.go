package console

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	cat "github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/directory"
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
	{Path: "/my/applications", Key: "nav.my_applications", Permission: batches.PermApplicationListOwn},
	{Path: "/my/tickets", Key: "nav.my_tickets", Permission: exams.PermTicketReadOwn},
	{Path: "/my/certificates", Key: "nav.my_certificates", Permission: certificates.PermCertificateListOwn},
	{Path: "/my/photo", Key: "nav.my_photo", Permission: candidates.PermCandidatePhotoOwn},
	{Path: "/candidates", Key: "nav.candidates", Permission: candidates.PermCandidateList},
	{Path: "/certificates", Key: "nav.certificates", Permission: certificates.PermCertificateList},
	{Path: "/users", Key: "nav.users", Permission: identity.PermUserList},
	{Path: "/audit", Key: "nav.audit", Permission: audit.PermAuditList},
	{Path: "/decisions", Key: "nav.decisions", Permission: oversight.PermDecisionList},
	// The regulator's work pages (page_regulator.go) and the platform operator's (page_operator.go).
	{Path: "/oversight/filings", Key: "reg.nav.filings", Permission: filings.PermOversightFilingList},
	{Path: "/oversight/inspections", Key: "reg.nav.inspections", Permission: oversight.PermRead},
	{Path: "/oversight/sampling", Key: "reg.nav.sampling", Permission: oversight.PermRead},
	{Path: "/oversight/complaints", Key: "reg.nav.complaints", Permission: oversight.PermRead},
	{Path: "/oversight/decisions", Key: "reg.nav.decisions", Permission: oversight.PermRead},
	{Path: "/oversight/flags", Key: "reg.nav.flags", Permission: oversight.PermRead},
	{Path: "/oversight/reports", Key: "reg.nav.reports", Permission: oversight.PermRead},
	{Path: "/oversight/reconciliation", Key: "reg.nav.reconciliation", Permission: oversight.PermRead},
	{Path: "/oversight/sync", Key: "reg.nav.sync", Permission: oversight.PermRead},
	{Path: "/platform/tenants", Key: "oper.nav.tenants", Permission: directory.PermTenantList},
	{Path: "/platform/health", Key: "oper.nav.health", Permission: directory.PermTenantList},
	{Path: "/scoring", Key: "nav.scoring", Permission: batches.PermScoreWrite},
	{Path: "/supervision", Key: "nav.supervision", Permission: batches.PermSupervisionWrite},
	{Path: "/oversight/dashboard", Key: "nav.oversight_dashboard", Permission: oversight.PermRead, Kinds: []tenants.Kind{tenants.KindRegulator}},
	{Path: "/oversight/institutions", Key: "nav.oversight_institutions", Permission: oversight.PermRead, Kinds: []tenants.Kind{tenants.KindRegulator}},
}

func (c *Console) nav(fc *fiber.Ctx) []navItem {
	var out []navItem
	candidate := portalCandidateOnly(fc) // a candidate's menu is the portal's: no 工作台
	for _, it := range menu {
		if candidate && it.Path == "/" {
			continue
		}
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
	if portalCandidateOnly(fc) {
		return fc.Redirect(portalHome, fiber.StatusSeeOther)
	}
	p := homePage{Todos: c.todos(fc)}
	for _, it := range c.nav(fc) {
		if it.Path != "/" {
			p.Next = append(p.Next, it)
		}
	}
	return c.render(fc, "home", p)
}
