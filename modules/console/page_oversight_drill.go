package console

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/oversight/institutions"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// The regulator's drill-down: the institutions of its jurisdiction, one institution with its
// filings, batches, certificates and audit log (the chain's state and latest anchor), a batch with its
// applications, scores, publicity and objections, and a certificate. Read-only: these pages hold no
// form that writes, and an institution outside the jurisdiction is 404, as in the API.

// The drill-down's lists: the API's list specs (GET /api/v1/oversight/institutions…).
var (
	drillInstitutionList = &httpx.List{Sorts: []string{"created_at"}}
	drillBatchList       = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{{Name: "status"}}}
	drillCertificateList = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{{Name: "status"}, {Name: "batch_id", Format: "uuid"}}}
	drillAuditList       = &httpx.List{Sorts: []string{"seq"}}
)

// drillPreview is how many filings and certificates the institution page shows (the lists have
// their own pages).
const drillPreview = 10

func (c *Console) drillPages(r *router) {
	a := access{Permission: oversight.PermRead}
	r.get("/oversight/institutions", a, c.drillInstitutions)
	r.get("/oversight/institutions/:tenant_id", a, c.drillInstitution)
	r.get("/oversight/institutions/:tenant_id/certificates", a, c.drillCertificates)
	r.get("/oversight/institutions/:tenant_id/certificates/:id", a, c.drillCertificate)
	r.get("/oversight/institutions/:tenant_id/batches/:id", a, c.drillBatch)
	r.get("/oversight/institutions/:tenant_id/audit", a, c.drillAudit)
}

// drillInstitutionRow is an institution with its labels.
type drillInstitutionRow struct {
	core.Institution
	KindKey, Region string
}

func drillRow(in core.Institution) drillInstitutionRow {
	return drillInstitutionRow{Institution: in, KindKey: kindKey(in.Kind), Region: regionLabel(in.RegionCode)}
}

func (c *Console) drillInstitutions(fc *fiber.Ctx) error {
	req, lv, err := c.parseList(fc, drillInstitutionList)
	if err != nil {
		return err
	}
	fetch := func(ctx context.Context, req platform.PageRequest) (platform.Page[core.Institution], error) {
		return c.d.OversightView.Institutions.List(ctx, req)
	}
	if lv.Exporting() {
		return exportXLSX(fc, c.loc(fc), "institutions", []column[core.Institution]{
			{Key: "drill.name", Cell: func(i core.Institution) any { return i.Name }},
			{Key: "drill.kind", Cell: func(i core.Institution) any { return c.loc(fc).T(kindKey(i.Kind)) }},
			{Key: "drill.region", Cell: func(i core.Institution) any { return regionLabel(i.RegionCode) }},
			{Key: "drill.credit_code", Cell: func(i core.Institution) any { return i.CreditCode }},
			{Key: "drill.status", Cell: func(i core.Institution) any { return string(i.Status) }},
			{Key: "drill.created_at", Cell: func(i core.Institution) any { return i.CreatedAt }},
		}, req, fetch)
	}
	page, err := fetch(fc.UserContext(), req)
	if err != nil {
		return err
	}
	rows := make([]drillInstitutionRow, len(page.Items))
	for i, in := range page.Items {
		rows[i] = drillRow(in)
	}
	return c.render(fc, "oversight_institutions", map[string]any{"Items": rows, "List": lv.WithNext(page.NextCursor)})
}

// drillInstitutionPage is one institution as its regulator sees it.
type drillInstitutionPage struct {
	Inst         drillInstitutionRow
	Filings      []filings.Filing
	MoreFilings  bool
	ShowFilings  bool
	Batches      []institutions.BatchRecord
	List         listView // the batches' list
	Certificates []institutions.CertificateRecord
	MoreCerts    bool
	Chain        *audit.VerifyResult
	ChainError   bool
}

// drillInstitutionOf reads the institution a drill-down address names (:tenant_id) — 404 for one outside
// the regulator's jurisdiction, as the API answers.
func (c *Console) drillInstitutionOf(fc *fiber.Ctx) (uuid.UUID, core.Institution, error) {
	id, err := httpx.UUIDParam(fc, "tenant_id")
	if err != nil {
		return uuid.Nil, core.Institution{}, err
	}
	inst, err := c.d.OversightView.Institutions.Get(fc.UserContext(), id)
	return id, inst, err
}

func (c *Console) drillInstitution(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	id, inst, err := c.drillInstitutionOf(fc)
	if err != nil {
		return err
	}
	p := drillInstitutionPage{Inst: drillRow(inst)}
	req, lv, err := c.parseList(fc, drillBatchList)
	if err != nil {
		return err
	}
	batches, err := c.d.OversightView.Institutions.Batches(ctx, id, institutions.RecordFilter{Status: fc.Query("status")}, req)
	if err != nil {
		return err
	}
	p.Batches, p.List = batches.Items, lv.WithNext(batches.NextCursor)
	certs, err := c.d.OversightView.Institutions.Certificates(ctx, id, institutions.RecordFilter{}, platform.PageRequest{Limit: drillPreview})
	if err != nil {
		return err
	}
	p.Certificates, p.MoreCerts = certs.Items, certs.NextCursor != ""
	if c.d.OversightView.Filings != nil && c.d.Authorizer.Can(ctx, filings.PermOversightFilingList) {
		fs, err := c.d.OversightView.Filings.OversightListOf(ctx, id, platform.PageRequest{Limit: drillPreview, Desc: true})
		if err != nil {
			return err
		}
		p.ShowFilings, p.Filings, p.MoreFilings = true, fs.Items, fs.NextCursor != ""
	}
	// The chain's state: a failure to check is shown as such, not as the page's failure.
	if res, err := c.d.OversightView.Institutions.VerifyChain(ctx, id); err != nil {
		c.d.Log.WarnContext(ctx, "console: checking an institution's audit chain failed", "institution", id, "err", err)
		p.ChainError = true
	} else {
		p.Chain = &res
	}
	return c.render(fc, "oversight_institution", p)
}

// drillCertRow is a certificate with what its row shows.
type drillCertRow struct {
	institutions.CertificateRecord
	LevelKey string
}

func (c *Console) drillCertificates(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	id, inst, err := c.drillInstitutionOf(fc)
	if err != nil {
		return err
	}
	req, lv, err := c.parseList(fc, drillCertificateList)
	if err != nil {
		return err
	}
	f := institutions.RecordFilter{Status: fc.Query("status")}
	if f.BatchID, err = core.QueryUUID(fc, "batch_id"); err != nil {
		return err
	}
	fetch := func(ctx context.Context, req platform.PageRequest) (platform.Page[institutions.CertificateRecord], error) {
		return c.d.OversightView.Institutions.Certificates(ctx, id, f, req)
	}
	if lv.Exporting() {
		return exportXLSX(fc, c.loc(fc), "certificates", []column[institutions.CertificateRecord]{
			{Key: "drill.cert.number", Cell: func(r institutions.CertificateRecord) any { return r.Number }},
			{Key: "drill.cert.holder", Cell: func(r institutions.CertificateRecord) any { return r.HolderName }},
			{Key: "drill.occupation", Cell: func(r institutions.CertificateRecord) any { return r.OccupationCode }},
			{Key: "drill.level", Cell: func(r institutions.CertificateRecord) any { return r.Level }},
			{Key: "drill.status", Cell: func(r institutions.CertificateRecord) any { return r.Status }},
			{Key: "drill.cert.issued_on", Cell: func(r institutions.CertificateRecord) any { return dayText(r.IssuedOn) }},
		}, req, fetch)
	}
	page, err := fetch(ctx, req)
	if err != nil {
		return err
	}
	return c.render(fc, "oversight_certificates", map[string]any{"Inst": drillRow(inst), "Items": page.Items,
		"List": lv.WithNext(page.NextCursor), "Status": f.Status, "BatchID": f.BatchID})
}

func (c *Console) drillCertificate(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	id, inst, err := c.drillInstitutionOf(fc)
	if err != nil {
		return err
	}
	certID, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	cert, err := c.d.OversightView.Institutions.Certificate(ctx, id, certID)
	if err != nil {
		return err
	}
	return c.render(fc, "oversight_certificate", map[string]any{"Inst": drillRow(inst), "Cert": cert, "IssuedOn": dayText(cert.IssuedOn)})
}

// drillApplication is an application as the batch page lists it (the id number masked).
type drillApplication struct {
	institutions.ApplicationRecord
	MaskedID   string
	Methods    []drillScore
	Seats      []string // ticket number and seat, per session
	Attendance []string // message ids of the check-in state, per session
}

type drillScore struct {
	Method string
	Score  float64
}

func (c *Console) drillBatch(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	id, inst, err := c.drillInstitutionOf(fc)
	if err != nil {
		return err
	}
	batchID, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	b, err := c.d.OversightView.Institutions.Batch(ctx, id, batchID)
	if err != nil {
		return err
	}
	apps := make([]drillApplication, len(b.Applications))
	var passed, results int
	for i, a := range b.Applications {
		apps[i] = drillApplication{ApplicationRecord: a, MaskedID: candidates.MaskIDNumber(a.IDNumber)}
		for _, m := range []string{"theory", "practical", "computer", "comprehensive"} {
			if v, ok := a.Scores[m]; ok {
				apps[i].Methods = append(apps[i].Methods, drillScore{Method: m, Score: v})
			}
		}
		if a.Result != "" {
			results++
			if a.Result == "pass" {
				passed++
			}
		}
	}
	arranged := c.drillExams(fc, id, batchID, apps)
	return c.render(fc, "oversight_batch", map[string]any{"Inst": drillRow(inst), "B": b, "Apps": apps,
		"Passed": passed, "Results": results, "Arranged": arranged})
}

// drillExams adds each application's seats and check-ins (考场编排, 签到) from exam administration,
// for regulators who may read them; it reports whether the batch is arranged. A batch without an
// arrangement, or one that can't be read, shows none (logged).
func (c *Console) drillExams(fc *fiber.Ctx, institutionID, batchID uuid.UUID, apps []drillApplication) bool {
	ctx := fc.UserContext()
	ex := c.d.OversightView.Exams
	if ex == nil || !c.d.Authorizer.Can(ctx, exams.PermOverseeExams) {
		return false
	}
	arr, err := ex.OverseeArrangement(ctx, institutionID, batchID)
	if err != nil || len(arr.Seats) == 0 {
		if err != nil && httpx.ProblemFor(err).Status != fiber.StatusNotFound {
			c.d.Log.WarnContext(ctx, "console: reading a batch's arrangement failed", "batch", batchID, "err", err)
		}
		return false
	}
	index := map[uuid.UUID]int{}
	for i, a := range apps {
		index[a.ID] = i
	}
	var sessions []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, s := range arr.Seats {
		if i, ok := index[s.ApplicationID]; ok {
			apps[i].Seats = append(apps[i].Seats, fmt.Sprintf("%s · %d", s.TicketNumber, s.Seat))
		}
		if !seen[s.SessionID] {
			seen[s.SessionID] = true
			sessions = append(sessions, s.SessionID)
		}
	}
	for _, sid := range sessions {
		att, err := ex.OverseeAttendance(ctx, institutionID, batchID, sid)
		if err != nil {
			c.d.Log.WarnContext(ctx, "console: reading attendance failed", "batch", batchID, "err", err)
			continue
		}
		for _, it := range att.Items {
			if i, ok := index[it.ApplicationID]; ok {
				apps[i].Attendance = append(apps[i].Attendance, "drill.attendance."+string(it.Status))
			}
		}
	}
	return true
}

func (c *Console) drillAudit(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	id, inst, err := c.drillInstitutionOf(fc)
	if err != nil {
		return err
	}
	req, lv, err := c.parseList(fc, drillAuditList)
	if err != nil {
		return err
	}
	page, err := c.d.OversightView.Institutions.Audit(ctx, id, time.Time{}, req)
	if err != nil {
		return err
	}
	p := map[string]any{"Inst": drillRow(inst), "Items": page.Items, "List": lv.WithNext(page.NextCursor)}
	if res, err := c.d.OversightView.Institutions.VerifyChain(ctx, id); err == nil {
		p["Chain"] = &res
	}
	return c.render(fc, "oversight_audit", p)
}

// dayText writes a certificate's day of issue (a date kept at UTC midnight) as YYYY-MM-DD.
func dayText(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}
