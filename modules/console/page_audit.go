package console

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// auditPage is 审计日志: the chain's verification and its entries, oldest first, filtered by date.
type auditPage struct {
	Verify     *audit.VerifyView // nil when the role may not verify
	Entries    []audit.EntryView
	Since      string
	NextCursor string
}

var auditList = &httpx.List{Sorts: []string{"seq"}}

func (c *Console) auditPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	req, err := auditList.Parse(fc)
	if err != nil {
		return err
	}
	since := fc.Query("since")
	at, err := audit.ParseSince(sinceInstant(since))
	if err != nil {
		return err
	}
	page, err := c.d.Audit.List(ctx, req, audit.Filter{Since: at})
	if err != nil {
		return err
	}
	p := auditPage{Since: since, NextCursor: page.NextCursor}
	for _, e := range page.Items {
		p.Entries = append(p.Entries, audit.NewEntryView(e))
	}
	if c.d.Authorizer.Can(ctx, audit.PermAuditVerify) {
		res, err := c.d.Audit.Verify(ctx)
		if err != nil {
			return err
		}
		v := audit.NewVerifyView(res)
		p.Verify = &v
	}
	return c.render(fc, "audit", p)
}

// sinceInstant turns the date picker's YYYY-MM-DD into the start of that day in China time.
func sinceInstant(day string) string {
	if len(day) == len("2006-01-02") {
		return day + "T00:00:00+08:00"
	}
	return day
}
