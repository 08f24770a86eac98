// Package supervision is the regulator's own supervision records: inspections and their findings,
// double-random sampling (双随机, 一公开), public complaints routed to every regulator covering the
// institution, and the monitoring scores that weigh the signals about each institution.
package supervision

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

// Errors of supervision.
var (
	ErrInspectionNotFound = platform.NotFound("inspection")
	ErrFindingNotFound    = platform.NotFound("finding")
	ErrComplaintNotFound  = platform.NotFound("complaint")
	ErrSamplingNotFound   = platform.NotFound("sampling")
	// ErrNoRegulator is the answer to a complaint about an institution no regulator oversees.
	ErrNoRegulator = platform.Unprocessable("no_regulator", "no regulator oversees this institution's region yet")
)

// Inspection kinds and statuses.
const (
	InspectionRoutine = "routine"
	InspectionSpecial = "special"
	InspectionAnnual  = "annual"

	InspectionPlanned    = "planned"
	InspectionInProgress = "in_progress"
	InspectionClosed     = "closed"
)

// InspectionInput creates an inspection.
type InspectionInput struct {
	InstitutionID uuid.UUID
	Kind          string
	Title         string
	ScheduledOn   *time.Time
	InspectorIDs  []uuid.UUID
}

// Validate checks an inspection's fields.
func (in *InspectionInput) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	var v platform.Validation
	v.Check(in.InstitutionID != uuid.Nil, "institution_id", "required", "institution_id is required")
	v.Check(validInspectionKind(in.Kind), "kind", "invalid", "kind must be routine, special or annual")
	v.Check(in.Title != "" && utf8.RuneCountInString(in.Title) <= 200, "title", "required", "a title of 1–200 characters is required")
	v.Check(len(in.InspectorIDs) <= 50, "inspector_ids", "too_many", "at most 50 inspectors")
	return v.Err()
}

// InspectionPatch changes an inspection; nil fields stay.
type InspectionPatch struct {
	Status       *string
	Title        *string
	Conclusion   *string
	ScheduledOn  *time.Time
	InspectorIDs *[]uuid.UUID
}

// Validate checks a patch.
func (p *InspectionPatch) Validate() error {
	var v platform.Validation
	if p.Status != nil {
		v.Check(*p.Status == InspectionPlanned || *p.Status == InspectionInProgress || *p.Status == InspectionClosed,
			"status", "invalid", "status must be planned, in_progress or closed")
	}
	if p.Title != nil {
		t := strings.TrimSpace(*p.Title)
		p.Title = &t
		v.Check(t != "" && utf8.RuneCountInString(t) <= 200, "title", "required", "a title of 1–200 characters is required")
	}
	if p.Conclusion != nil {
		v.Check(utf8.RuneCountInString(*p.Conclusion) <= 10000, "conclusion", "too_long", "at most 10000 characters")
	}
	if p.InspectorIDs != nil {
		v.Check(len(*p.InspectorIDs) <= 50, "inspector_ids", "too_many", "at most 50 inspectors")
	}
	return v.Err()
}

func validInspectionKind(k string) bool {
	return k == InspectionRoutine || k == InspectionSpecial || k == InspectionAnnual
}

// FindingInput creates or (with nil-able fields in FindingPatch) changes a finding.
type FindingInput struct {
	Severity    string
	Description string
	Requirement string
	Deadline    *time.Time
}

// Validate checks a finding.
func (in *FindingInput) Validate() error {
	in.Description = strings.TrimSpace(in.Description)
	in.Requirement = strings.TrimSpace(in.Requirement)
	var v platform.Validation
	v.Check(validSeverity(in.Severity), "severity", "invalid", "severity must be minor, major or critical")
	v.Check(in.Description != "" && utf8.RuneCountInString(in.Description) <= 5000, "description", "required", "a description of 1–5000 characters is required")
	v.Check(utf8.RuneCountInString(in.Requirement) <= 5000, "requirement", "too_long", "at most 5000 characters")
	return v.Err()
}

// FindingPatch changes a finding; nil fields stay.
type FindingPatch struct {
	Severity    *string
	Description *string
	Requirement *string
	Deadline    *time.Time
	Resolved    *bool
}

// Validate checks a finding patch.
func (p *FindingPatch) Validate() error {
	var v platform.Validation
	if p.Severity != nil {
		v.Check(validSeverity(*p.Severity), "severity", "invalid", "severity must be minor, major or critical")
	}
	if p.Description != nil {
		d := strings.TrimSpace(*p.Description)
		p.Description = &d
		v.Check(d != "" && utf8.RuneCountInString(d) <= 5000, "description", "required", "a description of 1–5000 characters is required")
	}
	if p.Requirement != nil {
		v.Check(utf8.RuneCountInString(*p.Requirement) <= 5000, "requirement", "too_long", "at most 5000 characters")
	}
	return v.Err()
}

func validSeverity(s string) bool { return s == "minor" || s == "major" || s == "critical" }

// Complaint statuses.
const (
	ComplaintReceived      = "received"
	ComplaintInvestigating = "investigating"
	ComplaintClosed        = "closed"
)

// ComplaintInput is a public complaint about an institution.
type ComplaintInput struct {
	InstitutionSlug string
	Content         string
	Contact         string
}

// Validate checks a complaint.
func (in *ComplaintInput) Validate() error {
	in.InstitutionSlug = strings.TrimSpace(in.InstitutionSlug)
	in.Content = strings.TrimSpace(in.Content)
	in.Contact = strings.TrimSpace(in.Contact)
	var v platform.Validation
	v.Check(in.InstitutionSlug != "", "institution_slug", "required", "institution_slug is required")
	v.Check(utf8.RuneCountInString(in.Content) >= 10 && utf8.RuneCountInString(in.Content) <= 5000, "content", "length", "describe the matter in 10–5000 characters")
	v.Check(utf8.RuneCountInString(in.Contact) <= 200, "contact", "too_long", "at most 200 characters")
	return v.Err()
}

// SamplingInput asks for a double-random draw.
type SamplingInput struct {
	Institutions int
	Inspectors   int
	Seed         string // empty: a random seed is drawn and recorded
	Method       string // random (default) or risk_weighted
	Kind         string // the kind of the inspections created; default routine
	Title        string
}

// Validate checks a draw request.
func (in *SamplingInput) Validate() error {
	var v platform.Validation
	v.Check(in.Institutions >= 1 && in.Institutions <= 1000, "institutions", "range", "draw 1 to 1000 institutions")
	v.Check(in.Inspectors >= 1 && in.Inspectors <= 1000, "inspectors", "range", "draw 1 to 1000 inspectors")
	v.Check(len(in.Seed) <= 128, "seed", "too_long", "at most 128 characters")
	if in.Kind == "" {
		in.Kind = InspectionRoutine
	}
	if in.Method == "" {
		in.Method = MethodRandom
	}
	v.Check(in.Method == MethodRandom || in.Method == MethodRiskWeighted, "method", "invalid", "method must be random or risk_weighted")
	v.Check(validInspectionKind(in.Kind), "kind", "invalid", "kind must be routine, special or annual")
	return v.Err()
}

// InspectionFilter narrows the inspection listing.
type InspectionFilter struct {
	InstitutionID uuid.UUID
	Status        string
	Kind          string
}

// ComplaintFilter narrows the complaint listing.
type ComplaintFilter struct {
	InstitutionID uuid.UUID
	Status        string
}

// SamplingAlgorithm documents the draw so that anyone can repeat it from the published seed and
// populations.
const SamplingAlgorithm = "double-random/hmac-sha256/v1: " +
	"every member of a population gets the key hex(HMAC-SHA256(key = the seed's UTF-8 bytes, message = \"institution:\" or \"inspector:\" followed by the member's id in lower-case canonical UUID form)); " +
	"members are sorted by key (ties by id) and the first N institutions and first M inspectors are drawn. " +
	"The institution population is every institution in the regulator's jurisdiction that is not disabled at the time of the draw; " +
	"the inspector population is every active user of the regulator holding the role inspector. " +
	"Drawn institution k (0-based, in key order) is assigned drawn inspector k mod M and every drawn inspector j with j mod N = k."

// drawKey is a member's key in a draw.
func drawKey(seed, kind string, id uuid.UUID) string {
	m := hmac.New(sha256.New, []byte(seed))
	m.Write([]byte(kind + ":" + id.String()))
	return hex.EncodeToString(m.Sum(nil))
}

// Draw orders a population by draw key (SamplingAlgorithm) and returns it with the first n.
func Draw(seed, kind string, members []SamplingMember, n int) (keyed, drawn []SamplingMember) {
	keyed = make([]SamplingMember, len(members))
	for i, m := range members {
		m.Key = drawKey(seed, kind, m.ID)
		keyed[i] = m
	}
	sort.Slice(keyed, func(i, j int) bool {
		if keyed[i].Key != keyed[j].Key {
			return keyed[i].Key < keyed[j].Key
		}
		return keyed[i].ID.String() < keyed[j].ID.String()
	})
	return keyed, append([]SamplingMember(nil), keyed[:min(n, len(keyed))]...)
}

// assign gives drawn institution k inspector k mod M and every inspector j with j mod N = k.
func assign(nInst, nInsp int) [][]int {
	out := make([][]int, nInst)
	for k := 0; k < nInst; k++ {
		set := map[int]bool{k % nInsp: true}
		for j := k; j < nInsp; j += nInst {
			set[j] = true
		}
		for j := range set {
			out[k] = append(out[k], j)
		}
		sort.Ints(out[k])
	}
	return out
}

func dedupe(ids []uuid.UUID) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Monitoring signals and how much each occurrence costs (points out of 100) up to a cap, so that one
// kind of problem alone cannot sink an institution to one star.
var signalRules = []struct {
	name    string
	weight  float64
	cap     float64
	explain string
}{
	{"late_results", 5, 25, "batches whose results were published after they were due (5 working days after the exam for social organisations, 10 for employers and schools)"},
	{"pass_rate_anomalies", 10, 30, "batches (10+ candidates) whose pass rate is 30 points or more away from the rest of the jurisdiction's for the same occupation and level, or 100% with 20+ candidates where there is no one to compare with"},
	{"batches_without_supervisor", 10, 30, "batches whose exam started without an internal quality supervisor assigned (逢考必督: every exam is supervised)"},
	{"complaints", 3, 15, "public complaints received about the institution"},
	{"reconciliation_differences", 10, 30, "days on which the certificates the institution holds differ from what it reported (open differences)"},
}

// Anomaly thresholds of pass rates.
const (
	anomalyMinCandidates     = 10
	anomalyMinPeers          = 20
	anomalyGap               = 0.30
	anomalyPerfectCandidates = 20
	scoreWindow              = 365 * 24 * time.Hour
)

// stars maps a score to a rating: 5 from 90, 4 from 75, 3 from 60, 2 from 40, else 1.
func stars(score float64) int {
	switch {
	case score >= 90:
		return 5
	case score >= 75:
		return 4
	case score >= 60:
		return 3
	case score >= 40:
		return 2
	}
	return 1
}
