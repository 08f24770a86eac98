package stats

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/tenants"
)

// Handler serves the statistics.
type Handler struct{ svc *Service }

// NewHandler returns the handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Routes registers the operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Get("/oversight/stats", httpx.Op{Summary: "Statistics (?from=YYYY-MM&to=&occupation_code=&level=&institution_id=&district=&institution_kind=&format=json|csv|xlsx&table=certificates|pass_rates|late_results)",
		Tag: core.Tag, Permission: core.PermRead, Response: new(Stats)}, h.stats)
}

func (h *Handler) stats(c *fiber.Ctx) error {
	var f Filter
	var err error
	if v := c.Query("from"); v != "" {
		if f.From, err = ParseMonth(v); err != nil {
			return err
		}
	}
	if v := c.Query("to"); v != "" {
		if f.To, err = ParseMonth(v); err != nil {
			return err
		}
	}
	if v := c.Query("level"); v != "" {
		if f.Level, err = strconv.Atoi(v); err != nil || f.Level < 1 || f.Level > 5 {
			return core.BadParam("level", "level must be 1 to 5")
		}
	}
	f.OccupationCode = c.Query("occupation_code")
	f.District = c.Query("district")
	f.InstitutionKind = tenants.Kind(c.Query("institution_kind"))
	if f.InstitutionID, err = core.QueryUUID(c, "institution_id"); err != nil {
		return err
	}
	format := strings.ToLower(c.Query("format", "json"))
	if format != "json" && format != "csv" && format != "xlsx" {
		return core.BadParam("format", "format must be json, csv or xlsx")
	}
	st, err := h.svc.Compute(c.UserContext(), f, format != "json")
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		table := c.Query("table", "certificates")
		b, err := CSV(st, table)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="skillcert-stats-`+table+`.csv"`)
		return c.Send(b)
	case "xlsx":
		b, err := XLSX(st)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="skillcert-stats.xlsx"`)
		return c.Send(b)
	}
	return c.JSON(st)
}
