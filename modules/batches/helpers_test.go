package batches_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const electrician = "6-31-01-03" // 电工: five levels, 2018 standard (rule set std-2018)

var (
	regOnce sync.Once
	regOrg  *testkit.Org
)

// regulator is the package's Beijing regulator (made once: tenants cost a few password hashes).
func regulator(t *testing.T, k *testkit.Kit) *testkit.Org {
	t.Helper()
	regOnce.Do(func() { regOrg = k.Tenant(t, tenants.KindRegulator, "110000") })
	return regOrg
}

// institution makes an institution in Beijing's Chaoyang district with a user per role and an approved
// filing for the electrician at the given levels (none: no filing).
func institution(t *testing.T, k *testkit.Kit, kind tenants.Kind, levels ...int) *testkit.Org {
	t.Helper()
	org := k.Tenant(t, kind, "110105", "staff", "evaluator", "supervisor")
	if len(levels) > 0 {
		approveFiling(t, k, org, electrician, levels...)
	}
	return org
}

func approveFiling(t *testing.T, k *testkit.Kit, org *testkit.Org, code string, levels ...int) {
	t.Helper()
	reg := regulator(t, k)
	var f struct{ ID uuid.UUID }
	k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": code, "levels": levels}},
	}).Want(t, http.StatusCreated).Decode(t, &f)
	k.Do(t, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": "000123",
		"valid_from": filings.Day(time.Now()).Format(time.DateOnly), "note": "ok",
	}).Want(t, http.StatusOK)
}

// batchBody is a valid creation body for level 4 electricians, exam in a month; change what a test needs.
func batchBody(mod func(map[string]any)) map[string]any {
	exam := time.Now().AddDate(0, 1, 0).UTC().Truncate(time.Second)
	b := map[string]any{
		"occupation_code": electrician, "level": 4, "title": "2026年第四批电工四级认定",
		"methods": []string{"theory", "practical"}, "exam_start": exam.Format(time.RFC3339),
		"application_deadline": exam.AddDate(0, 0, -7).Format(time.RFC3339), "venue": "北京市朝阳区实训基地",
		"fee_fen": 30000, "capacity": 100, "pass_marks": map[string]any{"theory": 60, "practical": 60},
		"publicity_days": 5,
	}
	if mod != nil {
		mod(b)
	}
	return b
}

type batchJSON struct {
	ID                  uuid.UUID          `json:"id"`
	Status              string             `json:"status"`
	OccupationCode      string             `json:"occupation_code"`
	OccupationName      string             `json:"occupation_name"`
	Level               int                `json:"level"`
	Methods             []string           `json:"methods"`
	PassMarks           map[string]float64 `json:"pass_marks"`
	FeeFen              int64              `json:"fee_fen"`
	Capacity            int                `json:"capacity"`
	PublicityDays       int                `json:"publicity_days"`
	MinEvaluators       int                `json:"min_evaluators"`
	RuleSet             string             `json:"rule_set"`
	ExamStart           time.Time          `json:"exam_start"`
	ApplicationDeadline time.Time          `json:"application_deadline"`
	ResultsLate         bool               `json:"results_late"`
	PublishedAt         *time.Time         `json:"published_at"`
	ResultsPublishedAt  *time.Time         `json:"results_published_at"`
	PublicityEndsAt     *time.Time         `json:"publicity_ends_at"`
	FinalizedAt         *time.Time         `json:"finalized_at"`
}

func createBatch(t *testing.T, k *testkit.Kit, token string, mod func(map[string]any)) batchJSON {
	t.Helper()
	var b batchJSON
	k.Do(t, "POST", "/api/v1/batches", token, batchBody(mod)).Want(t, http.StatusCreated).Decode(t, &b)
	return b
}

// step posts a bodiless transition and decodes the batch.
func step(t *testing.T, k *testkit.Kit, token string, id uuid.UUID, action string) batchJSON {
	t.Helper()
	var b batchJSON
	k.Do(t, "POST", "/api/v1/batches/"+id.String()+"/"+action, token, nil).Want(t, http.StatusOK).Decode(t, &b)
	return b
}

type applicationJSON struct {
	ID            uuid.UUID          `json:"id"`
	BatchID       uuid.UUID          `json:"batch_id"`
	CandidateID   uuid.UUID          `json:"candidate_id"`
	CandidateName string             `json:"candidate_name"`
	Status        string             `json:"status"`
	FeeFen        int64              `json:"fee_fen"`
	Paid          bool               `json:"paid"`
	Scores        map[string]float64 `json:"scores"`
	Result        *string            `json:"result"`
	Held          bool               `json:"held"`
	Eligibility   struct {
		Passed       bool     `json:"passed"`
		Rule         string   `json:"rule"`
		Reasons      []string `json:"reasons"`
		ReasonsEN    []string `json:"reasons_en"`
		Outcome      string   `json:"outcome"`
		RuleSet      string   `json:"rule_set"`
		TheoryExempt bool     `json:"theory_exempt"`
		Clauses      []struct {
			ID       string `json:"id"`
			Passed   bool   `json:"passed"`
			ReasonZH string `json:"reason_zh"`
			ReasonEN string `json:"reason_en"`
		} `json:"clauses"`
	} `json:"eligibility"`
}

func (a applicationJSON) result() string {
	if a.Result == nil {
		return ""
	}
	return *a.Result
}

var idSeq atomic.Int64

// residentID returns a fresh valid resident id number (Chaoyang, born 1990) for test candidates.
func residentID(t *testing.T) string {
	t.Helper()
	n := idSeq.Add(1)
	body := fmt.Sprintf("110105%s%03d", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n/900)).Format("20060102"), n%900+100)
	c, err := candidates.ResidentIDCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// candidate creates a candidate through the candidates API; fields override the defaults.
func candidate(t *testing.T, k *testkit.Kit, org *testkit.Org, name string, fields map[string]any) uuid.UUID {
	t.Helper()
	body := map[string]any{"name": name, "id_type": "resident_id", "id_number": residentID(t), "education": "senior_high",
		"occupation_years": 0}
	for k, v := range fields {
		body[k] = v
	}
	return k.Do(t, "POST", "/api/v1/candidates", org.Admin, body).Want(t, http.StatusCreated).ID(t)
}

func apply(t *testing.T, k *testkit.Kit, token string, batchID uuid.UUID, body map[string]any) applicationJSON {
	t.Helper()
	var a applicationJSON
	k.Do(t, "POST", "/api/v1/batches/"+batchID.String()+"/applications", token, body).Want(t, http.StatusCreated).Decode(t, &a)
	return a
}

func ids(us ...uuid.UUID) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.String()
	}
	return out
}

// staffBatch readies a batch for closing: evaluator and supervisor assigned.
func staffBatch(t *testing.T, k *testkit.Kit, org *testkit.Org, id uuid.UUID) {
	t.Helper()
	k.Do(t, "POST", "/api/v1/batches/"+id.String()+"/evaluators", org.Tokens["staff"],
		map[string]any{"user_ids": ids(org.Users["evaluator"].ID)}).Want(t, http.StatusOK)
	k.Do(t, "POST", "/api/v1/batches/"+id.String()+"/supervisors", org.Tokens["staff"],
		map[string]any{"user_ids": ids(org.Users["supervisor"].ID)}).Want(t, http.StatusOK)
}

// svc is the server's batches service.
func svc(k *testkit.Kit) *batches.Service { return k.Server.Lifecycle.Batches }

// at returns the server's batches service reading the clock at t.
func at(k *testkit.Kit, t time.Time) *batches.Service {
	return svc(k).WithClock(func() time.Time { return t })
}

// reportKinds lists the kinds of reports emitted about subject, in order.
func reportKinds(t *testing.T, k *testkit.Kit, subject uuid.UUID) []string {
	t.Helper()
	var kinds []string
	if err := k.DB.NewSelect().Table("report_outbox").Column("kind").Where("subject_id = ?", subject.String()).
		OrderExpr("seq").Scan(context.Background(), &kinds); err != nil {
		t.Fatal(err)
	}
	return kinds
}
