package httpx

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/swaggest/openapi-go"
	"github.com/swaggest/openapi-go/openapi3"

	"github.com/skillcert/skillcert/modules/platform"
)

// Access says who may call an operation.
type Access int

const (
	// Authenticated operations need a bearer token and, when Op.Permission is set, that permission.
	Authenticated Access = iota
	// Public operations need nothing (announcements, verification, login).
	Public
)

// Op describes one operation: the route table is the single source of both the fiber routes and the
// OpenAPI document. Permission is a casbin action such as "batch:publish"; an authenticated operation
// without one is open to any logged-in user of any tenant kind and must say so with AnyRole.
type Op struct {
	Summary    string
	Tag        string
	Access     Access
	Permission string // casbin action; required for Authenticated operations unless AnyRole
	AnyRole    bool   // authenticated, no particular permission (e.g. GET /me, logout)
	Request    any    // a pointer to the request body type, or nil
	Response   any    // a pointer to the success body type, or nil
	Status     int    // success status, default 200
	Produces   string // content type of the success body when not JSON (application/pdf …)
	List       *List  // for list operations: documents ?limit, ?cursor, ?sort, ?q and the filters
}

// List describes a list operation's query parameters: the one value both its route (for the OpenAPI
// document) and its handler (List.Parse) use, so the documented allow-list is the enforced one.
type List struct {
	Sorts   []string // allowed sort keys, the default first; each may be prefixed '-' for descending
	Search  string   // what ?q= searches ("" when the list has no ?q=)
	Filters []Filter // further query parameters that narrow the list
}

// Filter is one documented query parameter of a list.
type Filter struct {
	Name        string
	Description string
	Enum        []string // allowed values, if a closed set
	Format      string   // "uuid", "date", "date-time", "boolean", "integer" or "" for text
}

// Parse reads ?limit=, ?cursor= and ?sort= against the list's allow-list (ParseList).
func (l *List) Parse(c *fiber.Ctx) (platform.PageRequest, error) { return ParseList(c, l.Sorts...) }

// queryStruct builds a struct type whose `query` fields document the list's parameters.
func (l *List) queryStruct() any {
	sorts := make([]string, 0, 2*len(l.Sorts))
	for _, k := range l.Sorts {
		sorts = append(sorts, k, "-"+k)
	}
	field := func(i int, typ reflect.Type, tag string) reflect.StructField {
		return reflect.StructField{Name: fmt.Sprintf("Q%d", i), Type: typ, Tag: reflect.StructTag(tag)}
	}
	fields := []reflect.StructField{
		field(0, reflect.TypeOf(0), fmt.Sprintf(`query:"limit" minimum:"1" maximum:"%d" default:"%d" description:"items per page"`, MaxLimit, DefaultLimit)),
		field(1, reflect.TypeOf(""), `query:"cursor" description:"next_cursor of the previous page"`),
	}
	if len(sorts) > 0 {
		fields = append(fields, field(2, reflect.TypeOf(""), fmt.Sprintf(`query:"sort" enum:"%s" default:"%s" description:"sort key; '-' for descending"`,
			strings.Join(sorts, ","), l.Sorts[0])))
	}
	if l.Search != "" {
		fields = append(fields, field(3, reflect.TypeOf(""), fmt.Sprintf(`query:"q" description:%q`, "searches "+l.Search)))
	}
	for i, f := range l.Filters {
		typ := reflect.TypeOf("")
		tag := fmt.Sprintf(`query:"%s" description:%q`, f.Name, f.Description)
		switch f.Format {
		case "boolean":
			typ = reflect.TypeOf(false)
		case "integer":
			typ = reflect.TypeOf(0)
		case "":
		default:
			tag += fmt.Sprintf(` format:"%s"`, f.Format)
		}
		if len(f.Enum) > 0 {
			tag += fmt.Sprintf(` enum:"%s"`, strings.Join(f.Enum, ","))
		}
		fields = append(fields, field(4+i, typ, tag))
	}
	return reflect.New(reflect.StructOf(fields)).Interface()
}

// Guard builds the middleware an operation runs behind: authentication, and the permission check.
type Guard struct {
	Authenticate fiber.Handler
	Authorize    func(permission string) fiber.Handler
}

// Route is one registered operation, for tests that walk the route table.
type Route struct {
	Method, Path string
	Op           Op
}

// Router registers operations on a fiber router and records them in the OpenAPI document.
type Router struct {
	fiber  fiber.Router
	prefix string
	guard  Guard
	spec   *Spec
}

// Spec accumulates the OpenAPI document and the route table.
type Spec struct {
	mu        sync.Mutex
	reflector *openapi3.Reflector
	routes    []Route
	errs      []error
}

// NewSpec starts an OpenAPI 3 document.
func NewSpec(title, version string) *Spec {
	r := openapi3.NewReflector()
	r.Spec.Info.WithTitle(title).WithVersion(version)
	r.Spec.Info.WithDescription("SkillCert: vocational skill level recognition (职业技能等级认定). " +
		"Errors are application/problem+json with a stable `code`.")
	r.Spec.SetHTTPBearerTokenSecurity("bearer", "opaque", "Opaque bearer token from POST /api/v1/auth/login")
	r.DefaultOptions = append(r.DefaultOptions, documentTextLimits)
	return &Spec{reflector: r}
}

// NewRouter returns a router registering under prefix on r, guarded by g, documented in spec.
func NewRouter(r fiber.Router, prefix string, g Guard, spec *Spec) *Router {
	return &Router{fiber: r, prefix: prefix, guard: g, spec: spec}
}

// Get registers a GET operation.
func (r *Router) Get(path string, op Op, h fiber.Handler) { r.handle(http.MethodGet, path, op, h) }

// Post registers a POST operation.
func (r *Router) Post(path string, op Op, h fiber.Handler) { r.handle(http.MethodPost, path, op, h) }

// Put registers a PUT operation.
func (r *Router) Put(path string, op Op, h fiber.Handler) { r.handle(http.MethodPut, path, op, h) }

// Patch registers a PATCH operation.
func (r *Router) Patch(path string, op Op, h fiber.Handler) { r.handle(http.MethodPatch, path, op, h) }

// Delete registers a DELETE operation.
func (r *Router) Delete(path string, op Op, h fiber.Handler) {
	r.handle(http.MethodDelete, path, op, h)
}

func (r *Router) handle(method, path string, op Op, h fiber.Handler) {
	if op.Access == Authenticated && op.Permission == "" && !op.AnyRole {
		panic(fmt.Sprintf("httpx: %s %s is authenticated but declares no Permission (set AnyRole if intended)", method, path))
	}
	var chain []fiber.Handler
	if op.Access == Authenticated {
		chain = append(chain, r.guard.Authenticate)
		if op.Permission != "" {
			chain = append(chain, r.guard.Authorize(op.Permission))
		}
	}
	chain = append(chain, h)
	r.fiber.Add(method, path, chain...)
	r.spec.add(method, r.prefix+path, op)
}

var paramPattern = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)\??`)

func (s *Spec) add(method, path string, op Op) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes = append(s.routes, Route{Method: method, Path: path, Op: op})
	oapiPath := paramPattern.ReplaceAllString(path, "{$1}")
	oc, err := s.reflector.NewOperationContext(method, oapiPath)
	if err != nil {
		s.errs = append(s.errs, err)
		return
	}
	oc.SetSummary(op.Summary)
	if op.Tag != "" {
		oc.SetTags(op.Tag)
	}
	if op.Permission != "" {
		oc.SetDescription("Requires permission `" + op.Permission + "`.")
	}
	if op.Access == Authenticated {
		oc.AddSecurity("bearer")
	}
	if pp := pathParams(path); pp != nil {
		oc.AddReqStructure(pp)
	}
	if op.List != nil {
		oc.AddReqStructure(op.List.queryStruct())
	}
	if op.Request != nil {
		oc.AddReqStructure(op.Request)
	}
	status := op.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case op.Produces != "":
		oc.AddRespStructure(nil, openapi.WithHTTPStatus(status), openapi.WithContentType(op.Produces))
	case op.Response != nil:
		oc.AddRespStructure(op.Response, openapi.WithHTTPStatus(status))
	default:
		oc.AddRespStructure(nil, openapi.WithHTTPStatus(status))
	}
	for _, st := range errorStatuses(method, path, op) {
		oc.AddRespStructure(new(Problem), openapi.WithHTTPStatus(st), openapi.WithContentType("application/problem+json"))
	}
	if err := s.reflector.AddOperation(oc); err != nil {
		s.errs = append(s.errs, fmt.Errorf("%s %s: %w", method, path, err))
		return
	}
}

// errorStatuses lists the problem responses an operation can give, for its documentation.
func errorStatuses(method, path string, op Op) []int {
	out := []int{http.StatusBadRequest, http.StatusUnprocessableEntity}
	if op.Access == Authenticated {
		out = append(out, http.StatusUnauthorized)
		if op.Permission != "" {
			out = append(out, http.StatusForbidden)
		}
	}
	if paramPattern.MatchString(path) {
		out = append(out, http.StatusNotFound)
	}
	if method != http.MethodGet {
		out = append(out, http.StatusConflict, http.StatusRequestEntityTooLarge)
	}
	return out
}

// pathParams builds a struct type with one `path:"name"` string field per :name in the route, so
// the reflector documents path parameters without every DTO declaring them.
func pathParams(path string) any {
	var fields []reflect.StructField
	for i, m := range paramPattern.FindAllStringSubmatch(path, -1) {
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("P%d", i), Type: reflect.TypeOf(""),
			Tag: reflect.StructTag(fmt.Sprintf(`path:"%s" required:"true"`, m[1])),
		})
	}
	if len(fields) == 0 {
		return nil
	}
	return reflect.New(reflect.StructOf(fields)).Interface()
}

// Routes returns the registered operations, sorted by path and method.
func (s *Spec) Routes() []Route {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]Route(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// JSON returns the OpenAPI document, or the first error met while building it.
func (s *Spec) JSON() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) > 0 {
		return nil, s.errs[0]
	}
	b, err := s.reflector.Spec.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var pretty json.RawMessage = b
	return pretty, nil
}
