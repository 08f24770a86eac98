package console

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/tenants"
)

// Candidates is what the 考生 pages need of the candidates module: the same calls the API's
// /api/v1/candidates routes make.
type Candidates interface {
	List(ctx context.Context, req platform.PageRequest, f candidates.ListFilter) (platform.Page[candidates.Candidate], error)
	Get(ctx context.Context, id uuid.UUID) (candidates.Candidate, error)
	Create(ctx context.Context, in candidates.Input) (candidates.Candidate, error)
	Update(ctx context.Context, id uuid.UUID, change func(*candidates.Input) error) (candidates.Candidate, error)
	SetPhoto(ctx context.Context, id uuid.UUID, data []byte) (candidates.Photo, error)
	Photo(ctx context.Context, id uuid.UUID) (candidates.Photo, error)
	Import(ctx context.Context, name string, data []byte) (candidates.ImportResult, error)
}

var _ Candidates = (*candidates.Service)(nil)

// CandidateApplications is what a candidate's page needs of batches: the candidate's applications
// (as GET /api/v1/candidates/{id}/applications lists them) and the batches they are in.
type CandidateApplications interface {
	CandidateApplications(ctx context.Context, candidateID uuid.UUID, req platform.PageRequest, f batches.ApplicationFilter) (platform.Page[batches.Application], error)
	Get(ctx context.Context, id uuid.UUID) (batches.Batch, error)
}

var _ CandidateApplications = (*batches.Service)(nil)

// candidatePages registers the pages of 考生: candidates, photos and the import dialog. Each route
// declares the permission of its API twin (modules/candidates/http.go); fixed paths come before
// /candidates/:id.
func (c *Console) candidatePages(r *router) {
	r.get("/candidates", access{Permission: candidates.PermCandidateList}, c.candidatesPage)
	r.get("/candidates/new", access{Permission: candidates.PermCandidateCreate}, c.newCandidatePage)
	r.post("/candidates", access{Permission: candidates.PermCandidateCreate}, c.createCandidate)
	r.get("/candidates/import", access{Permission: candidates.PermCandidateImport}, c.importPage)
	r.get("/candidates/import/template.xlsx", access{Permission: candidates.PermCandidateImport}, c.importTemplate)
	r.post("/candidates/import", access{Permission: candidates.PermCandidateImport}, c.importCandidates)
	r.get("/candidates/:id", access{Permission: candidates.PermCandidateRead}, c.candidatePage)
	r.get("/candidates/:id/edit", access{Permission: candidates.PermCandidateUpdate}, c.editCandidatePage)
	r.post("/candidates/:id", access{Permission: candidates.PermCandidateUpdate}, c.updateCandidate)
	r.get("/candidates/:id/photo", access{Permission: candidates.PermCandidateRead}, c.candidatePhoto)
	r.post("/candidates/:id/photo", access{Permission: candidates.PermCandidateUpdate}, c.uploadCandidatePhoto)
}

// candidateRow is one line of the list: the ID number masked (the full number is on the candidate's
// own page, for those who may read it).
type candidateRow struct {
	candidates.CandidateView
	MaskedID string
}

// candidatesPage is the list of 考生.
type candidatesPage struct {
	Rows       []candidateRow
	Educations []string // the education filter's choices
	List       listView
	CanCreate  bool
	CanImport  bool
}

// candidateColumns are the columns of the candidates export: the list's data as the API gives it to
// the same readers (full ID numbers: the export is what the institution files with the regulator).
var candidateColumns = []column[candidates.Candidate]{
	{Key: "cand.name", Cell: func(c candidates.Candidate) any { return c.Name }},
	{Key: "cand.id_type", Cell: func(c candidates.Candidate) any { return c.IDType }},
	{Key: "cand.id_number", Cell: func(c candidates.Candidate) any { return c.IDNumber }},
	{Key: "cand.phone", Cell: func(c candidates.Candidate) any { return c.Phone }},
	{Key: "cand.education", Cell: func(c candidates.Candidate) any { return c.Education }},
	{Key: "cand.occupation_years", Cell: func(c candidates.Candidate) any { return c.OccupationYears }},
	{Key: "cand.current_level", Cell: func(c candidates.Candidate) any { return c.CurrentLevel }},
	{Key: "cand.current_level_obtained_on", Cell: func(c candidates.Candidate) any {
		if c.CurrentLevelObtainedOn == nil {
			return ""
		}
		return c.CurrentLevelObtainedOn.Format(time.DateOnly)
	}},
	{Key: "cand.student_no", Cell: func(c candidates.Candidate) any { return c.StudentNo }},
	{Key: "cand.has_photo", Cell: func(c candidates.Candidate) any { return c.HasPhoto }},
	{Key: "cand.created_at", Cell: func(c candidates.Candidate) any { return c.CreatedAt }},
}

func (c *Console) candidatesPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	// The API's list (GET /api/v1/candidates): the same sorts, ?q= and filters.
	req, lv, err := c.parseList(fc, candidates.ListSpec)
	if err != nil {
		return err
	}
	f, err := candidates.ParseListFilter(strings.Clone(fc.Query("q")), strings.Clone(fc.Query("education")), fc.Query("has_photo"))
	if err != nil {
		return err
	}
	fetch := func(ctx context.Context, req platform.PageRequest) (platform.Page[candidates.Candidate], error) {
		return c.d.Candidates.List(ctx, req, f)
	}
	if lv.Exporting() {
		l := c.loc(fc)
		cols := append([]column[candidates.Candidate](nil), candidateColumns...)
		// Codes become the words of the page's language in the workbook.
		cols[1].Cell = func(x candidates.Candidate) any { return l.T("cand.id_type." + x.IDType) }
		cols[4].Cell = func(x candidates.Candidate) any { return l.T("cand.education." + x.Education) }
		cols[6].Cell = func(x candidates.Candidate) any { return l.T(candLevelKey(x.CurrentLevel)) }
		cols[9].Cell = func(x candidates.Candidate) any { return l.T(candYesNo(x.HasPhoto)) }
		return exportXLSX(fc, l, "candidates", cols, req, fetch)
	}
	page, err := fetch(ctx, req)
	if err != nil {
		return err
	}
	p := candidatesPage{List: lv.WithNext(page.NextCursor), Educations: candidates.Educations(),
		CanCreate: c.d.Authorizer.Can(ctx, candidates.PermCandidateCreate),
		CanImport: c.d.Authorizer.Can(ctx, candidates.PermCandidateImport)}
	for _, it := range page.Items {
		p.Rows = append(p.Rows, candidateRow{CandidateView: candidates.NewCandidateView(it), MaskedID: candidates.MaskIDNumber(it.IDNumber)})
	}
	return c.render(fc, "candidates", p)
}

// candidatePage is one 考生: details and photo.
type candidatePage struct {
	C         candidates.CandidateView
	LevelOn   string // the date the current level was obtained, "" when none
	CanEdit   bool
	Saved     bool              // the form was just saved
	Photo     string            // "uploaded" after a photo upload
	PhotoErr  string            // message id of a refused photo
	PhotoArgs map[string]string // arguments of PhotoErr
	// Apps are the candidate's latest applications, shown (ShowApps) to those who may list
	// applications; MoreApps says there are older ones.
	ShowApps bool
	Apps     []candidateApp
	MoreApps bool
}

// candidateApp is one application on a candidate's page, with its batch.
type candidateApp struct {
	ID, BatchID uuid.UUID
	Batch       string // the batch's title ("" when it can't be read)
	Occupation  string
	Level       int
	Status      string
	Result      string
	Exempt      string // why the theory exam is waived, in the page's language ("" when it is not)
	CreatedAt   time.Time
}

// candidateAppsShown is how many of a candidate's applications the page lists, newest first.
const candidateAppsShown = 20

func (c *Console) candidatePage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	return c.renderCandidate(fc, id, candidatePage{Saved: fc.Query("saved") != "", Photo: fc.Query("photo")})
}

func (c *Console) renderCandidate(fc *fiber.Ctx, id uuid.UUID, p candidatePage) error {
	ctx := fc.UserContext()
	cand, err := c.d.Candidates.Get(ctx, id)
	if err != nil {
		return err
	}
	p.C = candidates.NewCandidateView(cand)
	if d := p.C.CurrentLevelObtainedOn; d != nil {
		p.LevelOn = *d
	}
	p.CanEdit = c.d.Authorizer.Can(ctx, candidates.PermCandidateUpdate)
	if c.d.CandidateApplications != nil && !candidates.ReadsAsEvaluator(tenants.ActorFrom(ctx)) &&
		c.d.Authorizer.Can(ctx, batches.PermApplicationList) {
		if p.Apps, p.MoreApps, err = c.candidateApps(fc, id); err != nil {
			return err
		}
		p.ShowApps = true
	}
	return c.render(fc, "candidate", p)
}

// candidateApps reads the candidate's latest applications and their batches' titles.
func (c *Console) candidateApps(fc *fiber.Ctx, id uuid.UUID) ([]candidateApp, bool, error) {
	ctx := fc.UserContext()
	page, err := c.d.CandidateApplications.CandidateApplications(ctx, id,
		platform.PageRequest{Limit: candidateAppsShown, Desc: true, Sort: batches.SortCreatedAt}, batches.ApplicationFilter{})
	if err != nil {
		return nil, false, err
	}
	en := requestLanguage(fc) == langEN
	seen := map[uuid.UUID]batches.Batch{}
	out := []candidateApp{}
	for _, a := range page.Items {
		b, ok := seen[a.BatchID]
		if !ok {
			if b, err = c.d.CandidateApplications.Get(ctx, a.BatchID); err != nil && platform.KindOf(err) != platform.KindNotFound {
				return nil, false, err
			}
			seen[a.BatchID] = b
		}
		ca := candidateApp{ID: a.ID, BatchID: a.BatchID, Batch: b.Title, Occupation: b.OccupationName, Level: int(b.Level),
			Status: string(a.Status), Result: string(a.Result), CreatedAt: a.CreatedAt}
		if a.Decision.TheoryExempt {
			ca.Exempt = a.Decision.ExemptReasonZH
			if en {
				ca.Exempt = a.Decision.ExemptReasonEN
			}
		}
		out = append(out, ca)
	}
	return out, page.NextCursor != "", nil
}

// candidatePhoto serves the photo, as GET /api/v1/candidates/{id}/photo does.
func (c *Console) candidatePhoto(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	p, err := c.d.Candidates.Photo(fc.UserContext(), id)
	if err != nil {
		return err
	}
	etag := `"` + p.SHA256 + `"`
	fc.Set(fiber.HeaderETag, etag)
	fc.Set(fiber.HeaderCacheControl, "private, no-cache")
	if fc.Get(fiber.HeaderIfNoneMatch) == etag {
		return fc.SendStatus(fiber.StatusNotModified)
	}
	fc.Set(fiber.HeaderContentType, p.ContentType)
	return fc.Send(p.Data)
}

// uploadCandidatePhoto stores a photo sent by the page's form (multipart field file), as PUT
// /api/v1/candidates/{id}/photo does; a refused photo is shown on the candidate's page with the
// service's reason.
func (c *Console) uploadCandidatePhoto(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	_, data, err := candUpload(fc, candidates.MaxPhotoBytes, candidates.ErrPhotoTooLarge)
	if err == nil {
		_, err = c.d.Candidates.SetPhoto(fc.UserContext(), id, data)
	}
	if err == nil {
		return fc.Redirect("/candidates/"+id.String()+"?photo=uploaded#photo", fiber.StatusSeeOther)
	}
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable || pe.Kind == platform.KindNotFound ||
		pe.Kind == platform.KindForbidden {
		return err
	}
	p := candidatePage{PhotoErr: "cand.photo_err.invalid"}
	switch pe.Code {
	case "photo_too_large", "unsupported_media_type", "required":
		p.PhotoErr = "cand.photo_err." + pe.Code
	case "invalid_photo":
		p.PhotoArgs = map[string]string{"Detail": pe.Message}
	}
	if len(pe.Fields) > 0 && pe.Fields[0].Code == "required" {
		p.PhotoErr = "cand.photo_err.required"
	}
	fc.Status(httpx.ProblemFor(err).Status)
	return c.renderCandidate(fc, id, p)
}

// candUpload reads the multipart field "file" in full, at most limit bytes (tooLarge beyond); a form
// without a file is a field error on "file".
func candUpload(fc *fiber.Ctx, limit int64, tooLarge error) (string, []byte, error) {
	fh, err := fc.FormFile("file")
	if err != nil || fh == nil || fh.Size == 0 && fh.Filename == "" {
		var v platform.Validation
		v.Add("file", "required", "choose a file to upload")
		return "", nil, v.Err()
	}
	if fh.Size > limit {
		return "", nil, tooLarge
	}
	return candReadUpload(fh, limit, tooLarge)
}

// candReadUpload reads an uploaded file, at most limit bytes.
func candReadUpload(fh *multipart.FileHeader, limit int64, tooLarge error) (string, []byte, error) {
	f, err := fh.Open()
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", nil, err
	}
	if int64(len(data)) > limit {
		return "", nil, tooLarge
	}
	return strings.Clone(fh.Filename), data, nil
}

// candidateForm is the create and edit form. Fields are named as the API's JSON (POST and PATCH
// /api/v1/candidates); values are kept as typed so a refused form shows them again.
type candidateForm struct {
	ID                      string // "" for a new candidate
	Name                    string
	IDType                  string
	IDNumber                string
	Phone                   string
	Education               string
	OccupationYears         string
	CurrentLevel            string
	CurrentLevelObtainedOn  string
	TitleLevel              string
	ApprenticeshipCompleted bool
	RelatedDiploma          bool
	Awards                  map[string]bool
	StudentNo               string
	Fields                  map[string]string // field → message id
	Error                   string            // message id of a form-level error
}

// candidateFormPage is the form with the choices it offers.
type candidateFormPage struct {
	Form       candidateForm
	School     bool // the tenant is a school: 学号 is asked for
	IDTypes    []string
	Educations []string
	Levels     []int
	Titles     []string
	Awards     []string
}

func (c *Console) formPage(fc *fiber.Ctx, f candidateForm) candidateFormPage {
	scope, _ := tenants.FromContext(fc.UserContext())
	if f.Fields == nil {
		f.Fields = map[string]string{}
	}
	if f.Awards == nil {
		f.Awards = map[string]bool{}
	}
	return candidateFormPage{Form: f, School: scope.Kind == tenants.KindSchool, IDTypes: candidates.IDTypes(),
		Educations: candidates.Educations(), Levels: []int{0, 5, 4, 3, 2, 1, 7, 8}, Titles: candidates.TitleLevels(),
		Awards: candidates.AwardKinds()}
}

func (c *Console) newCandidatePage(fc *fiber.Ctx) error {
	return c.render(fc, "candidate_form", c.formPage(fc, candidateForm{IDType: candidates.IDTypeResident, CurrentLevel: "0"}))
}

func (c *Console) editCandidatePage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	cand, err := c.d.Candidates.Get(fc.UserContext(), id)
	if err != nil {
		return err
	}
	return c.render(fc, "candidate_form", c.formPage(fc, candFormOf(cand)))
}

// candFormOf fills the edit form with a candidate's stored values.
func candFormOf(cand candidates.Candidate) candidateForm {
	f := candidateForm{ID: cand.ID.String(), Name: cand.Name, IDType: cand.IDType, IDNumber: cand.IDNumber, Phone: cand.Phone,
		Education: cand.Education, OccupationYears: strconv.Itoa(cand.OccupationYears), CurrentLevel: strconv.Itoa(cand.CurrentLevel),
		TitleLevel: cand.TitleLevel, ApprenticeshipCompleted: cand.ApprenticeshipCompleted, RelatedDiploma: cand.RelatedDiploma,
		Awards: map[string]bool{}, StudentNo: cand.StudentNo}
	if cand.CurrentLevelObtainedOn != nil {
		f.CurrentLevelObtainedOn = cand.CurrentLevelObtainedOn.Format(time.DateOnly)
	}
	for _, a := range cand.Awards {
		f.Awards[a] = true
	}
	return f
}

// readCandidateForm reads the posted form into what was typed and the service's Input; a value that
// can't be read (a year count that is not a number, a malformed date) is a field error at once.
func readCandidateForm(fc *fiber.Ctx) (candidateForm, candidates.Input, platform.Validation) {
	f := candidateForm{Name: fc.FormValue("name"), IDType: strings.TrimSpace(fc.FormValue("id_type")),
		IDNumber: strings.TrimSpace(fc.FormValue("id_number")), Phone: strings.TrimSpace(fc.FormValue("phone")),
		Education: strings.TrimSpace(fc.FormValue("education")), OccupationYears: strings.TrimSpace(fc.FormValue("occupation_years")),
		CurrentLevel: strings.TrimSpace(fc.FormValue("current_level")), CurrentLevelObtainedOn: strings.TrimSpace(fc.FormValue("current_level_obtained_on")),
		TitleLevel: strings.TrimSpace(fc.FormValue("title_level")), ApprenticeshipCompleted: candFormBool(fc.FormValue("apprenticeship_completed")),
		RelatedDiploma: candFormBool(fc.FormValue("related_diploma")), StudentNo: strings.TrimSpace(fc.FormValue("student_no")),
		Awards: map[string]bool{}, Fields: map[string]string{}}
	f.Name = strings.Clone(f.Name)
	in := candidates.Input{Name: f.Name, IDType: f.IDType, IDNumber: f.IDNumber, Phone: f.Phone, Education: f.Education,
		TitleLevel: f.TitleLevel, ApprenticeshipCompleted: f.ApprenticeshipCompleted, RelatedDiploma: f.RelatedDiploma,
		StudentNo: f.StudentNo}
	for _, v := range fc.Request().PostArgs().PeekMulti("awards") {
		f.Awards[string(v)] = true
		in.Awards = append(in.Awards, string(v))
	}
	if mf, err := fc.MultipartForm(); err == nil && mf != nil && len(in.Awards) == 0 {
		for _, v := range mf.Value["awards"] {
			f.Awards[v] = true
			in.Awards = append(in.Awards, v)
		}
	}
	var v platform.Validation
	if f.OccupationYears != "" {
		n, err := strconv.Atoi(f.OccupationYears)
		if v.Check(err == nil, "occupation_years", "format", "a whole number of years is expected") {
			in.OccupationYears = n
		}
	}
	if f.CurrentLevel != "" {
		n, err := strconv.Atoi(f.CurrentLevel)
		if v.Check(err == nil, "current_level", "invalid", "a level is expected") {
			in.CurrentLevel = n
		}
	}
	if f.CurrentLevelObtainedOn != "" {
		d, err := candidates.ParseDate(f.CurrentLevelObtainedOn)
		if v.Check(err == nil, "current_level_obtained_on", "format", "a date YYYY-MM-DD is expected") {
			in.CurrentLevelObtainedOn = &d
		}
	}
	return f, in, v
}

// candFormBool reads a checkbox.
func candFormBool(s string) bool { return s == "true" || s == "on" || s == "1" }

func (c *Console) createCandidate(fc *fiber.Ctx) error {
	f, in, v := readCandidateForm(fc)
	if len(v.Fields) > 0 {
		return c.candidateFormError(fc, f, c.withServiceChecks(fc, in, v))
	}
	cand, err := c.d.Candidates.Create(fc.UserContext(), in)
	if err != nil {
		return c.candidateFormError(fc, f, err)
	}
	return fc.Redirect("/candidates/"+cand.ID.String()+"?saved=1", fiber.StatusSeeOther)
}

func (c *Console) updateCandidate(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	f, in, v := readCandidateForm(fc)
	f.ID = id.String()
	if len(v.Fields) > 0 {
		return c.candidateFormError(fc, f, c.withServiceChecks(fc, in, v))
	}
	_, err = c.d.Candidates.Update(fc.UserContext(), id, func(cur *candidates.Input) error {
		*cur = in
		return nil
	})
	if err != nil {
		return c.candidateFormError(fc, f, err)
	}
	return fc.Redirect("/candidates/"+id.String()+"?saved=1", fiber.StatusSeeOther)
}

// withServiceChecks adds the service's own checks of the fields that could be read to the fields
// that could not, so that one round trip shows every problem.
func (c *Console) withServiceChecks(fc *fiber.Ctx, in candidates.Input, v platform.Validation) error {
	scope, _ := tenants.FromContext(fc.UserContext())
	in.Normalize()
	bad := map[string]bool{}
	for _, f := range v.Fields {
		bad[f.Field] = true
	}
	for _, f := range candFieldsOf(in.Validate(scope.Kind, c.d.Now())) {
		if !bad[f.Field] {
			v.Fields = append(v.Fields, f)
		}
	}
	return v.Err()
}

// candFieldsOf is the field errors of err, if any.
func candFieldsOf(err error) []platform.FieldError {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return pe.Fields
	}
	return nil
}

// candidateFormError shows a service's refusal next to the fields, with what was typed kept; a
// refusal naming no field (409 duplicate without one) is shown above the form.
func (c *Console) candidateFormError(fc *fiber.Ctx, f candidateForm, err error) error {
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable ||
		pe.Kind == platform.KindNotFound || pe.Kind == platform.KindForbidden {
		return err
	}
	for _, fe := range pe.Fields {
		name := candFieldName(fe.Field)
		if _, done := f.Fields[name]; !done {
			f.Fields[name] = candidateFieldMessage(fe.Code)
		}
	}
	if len(pe.Fields) == 0 {
		f.Error = candidateFieldMessage(pe.Code)
	}
	fc.Status(httpx.ProblemFor(err).Status)
	return c.render(fc, "candidate_form", c.formPage(fc, f))
}

// candFieldName is the form field of an error's field: awards[2] is the awards fieldset.
func candFieldName(field string) string {
	if i := strings.IndexByte(field, '['); i > 0 {
		return field[:i]
	}
	return field
}

// candidateErrorCodes are the codes the candidates service puts on fields and import rows
// (model.go, identity_number.go, import.go), each with its message cand.err.<code>.
var candidateErrorCodes = []string{"required", "format", "invalid", "out_of_range", "not_allowed", "in_future",
	"too_many", "duplicate", "duplicate_in_file", "length", "region", "birth_date", "checksum", "encoding", "control",
	"too_long", "missing_column", "duplicate_column"}

// candidateFieldMessage is the catalog id of a candidates field error code.
func candidateFieldMessage(code string) string {
	for _, k := range candidateErrorCodes {
		if k == code {
			return "cand.err." + code
		}
	}
	return fieldMessage(code)
}

// candidateFields are the candidate's fields in form order, for naming a field in the import's
// per-row table (cand.<field>).
var candidateFields = []string{"name", "id_type", "id_number", "phone", "education", "occupation_years", "current_level",
	"current_level_obtained_on", "title_level", "apprenticeship_completed", "related_diploma", "awards", "student_no"}

// candFieldLabel is the catalog id of a candidate field's label.
func candFieldLabel(field string) string {
	name := candFieldName(field)
	for _, f := range candidateFields {
		if f == name {
			return "cand." + name
		}
	}
	return "cand.field_other"
}

// candLevelKey is the catalog id of a level's name (0: none).
func candLevelKey(n int) string { return "cand.level." + strconv.Itoa(n) }

// candYesNo is the catalog id of yes or no.
func candYesNo(b bool) string {
	if b {
		return "cand.yes"
	}
	return "cand.no"
}

// importPage is the import dialog: the template, the upload form, and once a file is imported, the
// per-row result table.
type importPage struct {
	Result   *candidates.ImportView
	File     string
	Rows     []importRow
	Error    string            // message id of a refused file
	ErrorArg map[string]string // arguments of Error
	Fields   []importFieldErr  // header problems of a refused file
	Code     string            // the refusal's code, shown to quote to support
}

// importRow is one rejected row of the result table, its errors in plain words.
type importRow struct {
	Row    int
	Errors []importFieldErr
}

type importFieldErr struct {
	Label string // message id of the field's name
	Key   string // message id of the code
	Code  string
	Value string // the service's message, in the title attribute for the curious
}

func (c *Console) importPage(fc *fiber.Ctx) error {
	return c.render(fc, "candidates_import", importPage{})
}

// importTemplate sends the same XLSX template as GET /api/v1/candidates/import/template.xlsx.
func (c *Console) importTemplate(fc *fiber.Ctx) error {
	scope, ok := tenants.FromContext(fc.UserContext())
	if !ok {
		return tenants.ErrNoScope
	}
	b, err := candidates.ImportTemplate(scope.Kind)
	if err != nil {
		return err
	}
	fc.Set(fiber.HeaderContentType, candidates.XLSXType)
	fc.Set(fiber.HeaderContentDisposition, `attachment; filename="candidates-template.xlsx"; filename*=UTF-8''`+url.PathEscape("考生导入模板.xlsx"))
	return fc.Send(b)
}

// importCandidates imports an uploaded file (multipart field file) with the service the API's POST
// /api/v1/candidates/import calls, and shows its outcome: counts, and every rejected row with its
// errors. The import is synchronous; the same file again creates nothing (rows come back unchanged).
func (c *Console) importCandidates(fc *fiber.Ctx) error {
	name, data, err := candUpload(fc, httpx.UploadBodyLimit,
		platform.E(platform.KindTooLarge, "body_too_large", "uploads are limited to 32 MiB"))
	if err == nil {
		var res candidates.ImportResult
		res, err = c.d.Candidates.Import(fc.UserContext(), name, data)
		if err == nil {
			v := candidates.NewImportView(res)
			p := importPage{Result: &v, File: name}
			for _, r := range v.Rejected {
				row := importRow{Row: r.Row}
				for _, fe := range r.Errors {
					row.Errors = append(row.Errors, importFieldErr{Label: candFieldLabel(fe.Field), Key: candidateFieldMessage(fe.Code),
						Code: fe.Code, Value: fe.Message})
				}
				p.Rows = append(p.Rows, row)
			}
			return c.render(fc, "candidates_import", p)
		}
	}
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindForbidden {
		return err
	}
	p := importPage{File: name, Code: pe.Code, Error: candImportError(pe)}
	if pe.Code == "too_many_rows" || pe.Code == candidates.CodeImportBusy || pe.Code == candidates.CodeImportTooLarge ||
		strings.HasPrefix(pe.Code, "archive_") || pe.Code == candidates.CodeInvalidFile {
		p.ErrorArg = map[string]string{"Detail": pe.Message}
	}
	for _, fe := range pe.Fields {
		if fe.Field == "file" {
			continue
		}
		p.Fields = append(p.Fields, importFieldErr{Label: candFieldLabel(fe.Field), Key: candidateFieldMessage(fe.Code), Code: fe.Code, Value: fe.Message})
	}
	fc.Status(httpx.ProblemFor(err).Status)
	return c.render(fc, "candidates_import", p)
}

// importFileErrors are the codes of a refused import file, each with its message cand.import_err.<code>.
var importFileErrors = []string{"invalid_file", "missing_header", "invalid_header", "unsupported_format", "too_many_rows",
	"body_too_large", "import_busy", "import_too_large", "validation_failed"}

// candImportError is the message id of a refused import file.
func candImportError(pe *platform.Error) string {
	if strings.HasPrefix(pe.Code, "archive_") {
		return "cand.import_err.archive"
	}
	for _, k := range importFileErrors {
		if k == pe.Code {
			if k == "validation_failed" && len(pe.Fields) > 0 && pe.Fields[0].Field == "file" {
				return "cand.import_err.no_file"
			}
			return "cand.import_err." + k
		}
	}
	return "cand.import_err.other"
}
