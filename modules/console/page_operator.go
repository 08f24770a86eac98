package console

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/tenants"
)

// The platform operator's console (平台运营): the tenant register — create a tenant of a kind and
// region with its first administrator, suspend or reinstate one, list by kind and region — the
// platform's health (queues and their lag, sync delivery, certificate readiness, migrations), and
// the audit of the operator's own actions. The operator sees no tenant's records here.

// OperatorTenants is what the tenant pages need of the register (*directory.Service; API twins
// POST/GET /api/v1/tenants, POST /api/v1/tenants/{id}/suspend|reinstate).
type OperatorTenants interface {
	Create(ctx context.Context, in directory.NewTenant, admin directory.FirstAdmin) (tenants.Tenant, identity.User, error)
	List(ctx context.Context, req platform.PageRequest, f directory.Filter) (platform.Page[tenants.Tenant], error)
	SetTenantStatus(ctx context.Context, id uuid.UUID, status tenants.Status, reason string) (tenants.Tenant, error)
}

// PlatformHealth reports the platform's health for the operator (the server implements it).
type PlatformHealth interface {
	PlatformHealth(ctx context.Context) HealthReport
}

// HealthReport is the platform's health at one moment.
type HealthReport struct {
	Queues     []QueueHealth
	QueueError string // the queues could not be read
	Sync       []SyncHealth
	SyncError  string
	// FontProblem says why certificates can't be rendered ("" when a CJK font is found).
	FontProblem string
	// Migrations applied (newest last) and pending; MigrationError when they could not be read.
	Applied        []string
	Pending        []string
	MigrationError string
	CheckedAt      time.Time
}

// QueueHealth is one job queue: its backlog and how far the workers lag.
type QueueHealth struct {
	Name                                                   string
	Pending, Active, Scheduled, Retry, Archived, Completed int
	Latency                                                time.Duration
}

// LatencyText is the lag for people: "0s", "12s", "3m5s".
func (q QueueHealth) LatencyText() string { return q.Latency.Round(time.Second).String() }

// Lagging reports a queue whose oldest pending task waited more than a minute.
func (q QueueHealth) Lagging() bool { return q.Latency > time.Minute }

// SyncHealth is one regulator's sync delivery.
type SyncHealth struct {
	Regulator, Host                           string
	Paused                                    bool
	Pending, DeadLetters, Delivered, Failures int64
	LastError                                 string
	LastSuccessAt                             *time.Time
}

// Operator is what the operator's console calls; a nil field leaves its pages out.
type Operator struct {
	Tenants OperatorTenants
	Health  PlatformHealth
}

// operatorPages registers the operator's pages.
func (c *Console) operatorPages(r *router) {
	if c.d.Operator.Tenants != nil {
		r.get("/platform/tenants", access{Permission: directory.PermTenantList}, c.operTenantsPage)
		r.post("/platform/tenants", access{Permission: directory.PermTenantCreate}, c.operCreateTenant)
		r.post("/platform/tenants/:id/suspend", access{Permission: directory.PermTenantStatus}, c.operSetStatus(tenants.StatusSuspended))
		r.post("/platform/tenants/:id/reinstate", access{Permission: directory.PermTenantStatus}, c.operSetStatus(tenants.StatusActive))
	}
	if c.d.Operator.Health != nil {
		// The health page shows the register's neighbours: who may list tenants may see the platform run.
		r.get("/platform/health", access{Permission: directory.PermTenantList}, c.operHealthPage)
	}
}

var operTenantList = &httpx.List{Sorts: []string{directory.SortCreatedAt}, Filters: []httpx.Filter{
	{Name: "kind", Enum: []string{"enterprise", "social_org", "school", "regulator", "platform"}},
	{Name: "region_code"},
}}

// operTenantForm is the new-tenant form, named as POST /api/v1/tenants's body (admin.* nested).
type operTenantForm struct {
	Slug, Name, Kind, RegionCode, CreditCode string
	AdminUsername, AdminDisplayName          string
	Fields                                   map[string]string
}

type operTenantsPage struct {
	Tenants   []tenants.Tenant
	List      listView
	Kind      string
	Region    string
	Kinds     []string
	CanCreate bool
	CanStatus bool
	Form      operTenantForm
	Created   string // slug of the tenant just created
	Changed   string // message id of a status just changed
	Failed    uuid.UUID
	Fields    map[string]string // of the failed status form
}

func (c *Console) operTenantsPage(fc *fiber.Ctx) error {
	p := operTenantsPage{Created: fc.Query("created"), Form: operTenantForm{Kind: string(tenants.KindEnterprise)}}
	switch fc.Query("done") {
	case "suspended", "active":
		p.Changed = "oper.tenants.done_" + fc.Query("done")
	}
	return c.renderOperTenants(fc, p)
}

func (c *Console) renderOperTenants(fc *fiber.Ctx, p operTenantsPage) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, operTenantList)
	if err != nil {
		return err
	}
	if fc.Query("sort") == "" {
		req.Desc, lv.Desc = true, true
	}
	p.Kind, p.Region = fc.Query("kind"), strings.TrimSpace(fc.Query("region_code"))
	page, err := c.d.Operator.Tenants.List(ctx, req, directory.Filter{Kind: tenants.Kind(p.Kind), RegionCode: p.Region})
	if err != nil {
		return err
	}
	p.Tenants, p.List = page.Items, lv.WithNext(page.NextCursor)
	p.Kinds = []string{"enterprise", "social_org", "school", "regulator"}
	p.CanCreate = c.d.Authorizer.Can(ctx, directory.PermTenantCreate)
	p.CanStatus = c.d.Authorizer.Can(ctx, directory.PermTenantStatus)
	return c.render(fc, "operator_tenants", p)
}

func (c *Console) operCreateTenant(fc *fiber.Ctx) error {
	f := operTenantForm{Slug: fc.FormValue("slug"), Name: fc.FormValue("name"), Kind: fc.FormValue("kind"), RegionCode: fc.FormValue("region_code"),
		CreditCode: fc.FormValue("credit_code"), AdminUsername: fc.FormValue("admin.username"), AdminDisplayName: fc.FormValue("admin.display_name")}
	t, _, err := c.d.Operator.Tenants.Create(fc.UserContext(), directory.NewTenant{Slug: f.Slug, Name: f.Name, Kind: tenants.Kind(f.Kind),
		RegionCode: f.RegionCode, CreditCode: f.CreditCode},
		directory.FirstAdmin{Username: f.AdminUsername, Password: fc.FormValue("admin.password"), DisplayName: f.AdminDisplayName})
	if err != nil {
		fields, ok := regFields(err, "slug")
		if !ok {
			return err
		}
		f.Fields = fields
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderOperTenants(fc, operTenantsPage{Form: f})
	}
	return fc.Redirect("/platform/tenants?created="+t.Slug, fiber.StatusSeeOther)
}

func (c *Console) operSetStatus(status tenants.Status) fiber.Handler {
	return func(fc *fiber.Ctx) error {
		id, err := httpx.UUIDParam(fc, "id")
		if err != nil {
			return err
		}
		if _, err := c.d.Operator.Tenants.SetTenantStatus(fc.UserContext(), id, status, fc.FormValue("reason")); err != nil {
			fields, ok := regFields(err, "reason")
			if !ok {
				return err
			}
			fc.Status(httpx.ProblemFor(err).Status)
			return c.renderOperTenants(fc, operTenantsPage{Failed: id, Fields: fields, Form: operTenantForm{Kind: string(tenants.KindEnterprise)}})
		}
		return fc.Redirect("/platform/tenants?done="+string(status), fiber.StatusSeeOther)
	}
}

type operHealthPage struct {
	HealthReport
	Actions  []audit.Entry // the operator's latest actions
	CanAudit bool
}

func (c *Console) operHealthPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	p := operHealthPage{HealthReport: c.d.Operator.Health.PlatformHealth(ctx), CanAudit: c.d.Authorizer.Can(ctx, audit.PermAuditList)}
	if p.CanAudit && c.d.Audit != nil {
		// The log pages oldest first: walk the last week's entries and keep the latest ten, newest first.
		req := platform.PageRequest{Limit: 100}
		f := audit.Filter{Since: c.d.Now().Add(-7 * 24 * time.Hour)}
		for i := 0; i < 50; i++ {
			page, err := c.d.Audit.List(ctx, req, f)
			if err != nil {
				return err
			}
			p.Actions = append(p.Actions, page.Items...)
			if len(p.Actions) > 10 {
				p.Actions = p.Actions[len(p.Actions)-10:]
			}
			if page.NextCursor == "" {
				break
			}
			req.Cursor = page.NextCursor
		}
		slices.Reverse(p.Actions)
	}
	return c.render(fc, "operator_health", p)
}
