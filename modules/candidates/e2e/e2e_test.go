// Package e2e_test drives the candidates API through the assembled server (testkit): real tokens, the
// casbin role templates of policies/roles/candidates.csv, identity for self-registered logins. It lives
// apart from the package's own tests so that those keep running while other modules of the server are
// being changed.
package e2e_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var seq = time.Now().UnixNano() % 500

// residentID returns a valid resident ID number, distinct per n.
func residentID(n int) string {
	birth := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(seq)+n/1000)
	body := fmt.Sprintf("110105%s%03d", birth.Format("20060102"), n%1000)
	c, err := candidates.ResidentIDCheckChar(body)
	if err != nil {
		panic(err)
	}
	return body + string(c)
}

func candidateBody(n int) map[string]any {
	return map[string]any{"name": fmt.Sprintf("考生%d", n), "id_type": "resident_id", "id_number": residentID(n),
		"education": "secondary_vocational", "occupation_years": 6, "current_level": 5, "current_level_obtained_on": "2020-06-01"}
}

func multipartFile(t *testing.T, name string, data []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	return &buf, w.FormDataContentType()
}

func TestRolesAndPermissions(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff", "evaluator", "supervisor", "candidate")
	reg := k.Tenant(t, tenants.KindRegulator, "110000", "inspector")

	created := k.Do(t, "POST", "/api/v1/candidates", org.Tokens["staff"], candidateBody(1)).Want(t, http.StatusCreated).ID(t)
	k.Do(t, "POST", "/api/v1/candidates", org.Admin, candidateBody(2)).Want(t, http.StatusCreated)
	k.Do(t, "POST", "/api/v1/candidates", org.Admin, candidateBody(2)).WantProblem(t, http.StatusConflict, "duplicate")

	one := "/api/v1/candidates/" + created.String()
	tests := []struct {
		who, token, method, path string
		body                     any
		want                     int
	}{
		{"staff lists", org.Tokens["staff"], "GET", "/api/v1/candidates?q=考生", nil, 200},
		{"staff patches", org.Tokens["staff"], "PATCH", one, map[string]any{"phone": "13800138000"}, 200},
		{"staff downloads the template", org.Tokens["staff"], "GET", "/api/v1/candidates/import/template.xlsx", nil, 200},
		// An evaluator reads only candidates of batches they are assigned to (modules/batches/access_test.go).
		{"unassigned evaluator may not read", org.Tokens["evaluator"], "GET", one, nil, 404},
		{"evaluator may not create", org.Tokens["evaluator"], "POST", "/api/v1/candidates", candidateBody(3), 403},
		{"evaluator may not list", org.Tokens["evaluator"], "GET", "/api/v1/candidates", nil, 403},
		{"supervisor lists", org.Tokens["supervisor"], "GET", "/api/v1/candidates", nil, 200},
		{"supervisor may not patch", org.Tokens["supervisor"], "PATCH", one, map[string]any{"phone": ""}, 403},
		{"candidate may not list", org.Tokens["candidate"], "GET", "/api/v1/candidates", nil, 403},
		{"candidate may not import", org.Tokens["candidate"], "GET", "/api/v1/candidates/import/template.xlsx", nil, 403},
		{"regulator admin may not create", reg.Admin, "POST", "/api/v1/candidates", candidateBody(4), 403},
		{"regulator admin may not patch", reg.Admin, "PATCH", one, map[string]any{"phone": ""}, 403},
		{"regulator inspector may not import", reg.Tokens["inspector"], "GET", "/api/v1/candidates/import/template.xlsx", nil, 403},
		{"regulator may not read an institution's candidate here", reg.Admin, "GET", one, nil, 403},
		{"no token", "", "GET", "/api/v1/candidates", nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			k.Do(t, tt.method, tt.path, tt.token, tt.body).Want(t, tt.want)
		})
	}
	// Another institution's candidate is not found, never forbidden.
	other := k.Tenant(t, tenants.KindEnterprise, "110105")
	k.Do(t, "GET", one, other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")

	// Import through the whole stack, then the same file again.
	csv := []byte("姓名,证件号码,学历\n甲," + residentID(10) + ",高中\n乙," + residentID(11) + "0,高中\n")
	body, ctype := multipartFile(t, "a.csv", csv)
	var res struct {
		Created  int
		Rejected []struct{ Row int }
	}
	k.Do(t, "POST", "/api/v1/candidates/import", org.Tokens["staff"], body.Bytes(), "Content-Type", ctype).Want(t, 200).Decode(t, &res)
	if res.Created != 1 || len(res.Rejected) != 1 || res.Rejected[0].Row != 3 {
		t.Fatalf("import %+v", res)
	}
	k.Do(t, "POST", "/api/v1/candidates/import", reg.Admin, body.Bytes(), "Content-Type", ctype).Want(t, 403)
}

// openBatch opens a batch of org for electricians (6-31-01-03) at level 4, after a regulator approved
// org's filing for it: what a person self-registers for.
func openBatch(t *testing.T, k *testkit.Kit, org *testkit.Org) uuid.UUID {
	t.Helper()
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	filing := k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": "6-31-01-03", "levels": []int{4}}},
	}).Want(t, http.StatusCreated).ID(t)
	k.Do(t, "POST", "/api/v1/oversight/filings/"+filing.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": "000123",
		"valid_from": filings.Day(time.Now()).Format(time.DateOnly),
	}).Want(t, http.StatusOK)
	exam := time.Now().AddDate(0, 1, 0).UTC().Truncate(time.Second)
	batch := k.Do(t, "POST", "/api/v1/batches", org.Admin, map[string]any{
		"occupation_code": "6-31-01-03", "level": 4, "title": "电工四级认定", "methods": []string{"theory", "practical"},
		"exam_start": exam.Format(time.RFC3339), "application_deadline": exam.AddDate(0, 0, -7).Format(time.RFC3339),
		"venue": "北京市朝阳区实训基地", "fee_fen": 30000, "capacity": 100,
	}).Want(t, http.StatusCreated).ID(t)
	k.Do(t, "POST", "/api/v1/batches/"+batch.String()+"/publish", org.Admin, nil).Want(t, http.StatusOK)
	return batch
}

func TestSelfRegistrationGivesACandidateLogin(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindSocialOrg, "110105")
	path := "/api/v1/public/institutions/" + org.Tenant.Slug + "/batches/" + openBatch(t, k, org).String() + "/applications"
	body := candidateBody(100)
	body["username"], body["password"], body["phone"] = "applicant100", testkit.Password, "13800138000"
	var out struct {
		CandidateID uuid.UUID `json:"candidate_id"`
		Application map[string]any
	}
	k.Do(t, "POST", path, "", body).Want(t, http.StatusCreated).Decode(t, &out)
	if out.CandidateID == uuid.Nil || out.Application["status"] != "eligible" {
		t.Fatalf("registration %+v", out)
	}
	token := k.Login(t, org.Tenant.Slug, "applicant100")
	var me struct{ Roles []string }
	k.Do(t, "GET", "/api/v1/me", token, nil).Want(t, 200).Decode(t, &me)
	if len(me.Roles) != 1 || me.Roles[0] != "candidate" {
		t.Fatalf("roles %v", me.Roles)
	}
	// The candidate is not staff: the institution's candidate list is closed to them.
	k.Do(t, "GET", "/api/v1/candidates", token, nil).Want(t, 403)
	// Staff see the record, linked to the login.
	var c struct {
		UserID *uuid.UUID `json:"user_id"`
	}
	k.Do(t, "GET", "/api/v1/candidates/"+out.CandidateID.String(), org.Admin, nil).Want(t, 200).Decode(t, &c)
	if c.UserID == nil {
		t.Fatal("candidate not linked to the login")
	}
	// An enterprise takes no self-registration.
	ent := k.Tenant(t, tenants.KindEnterprise, "110105")
	body["username"] = "applicant101"
	k.Do(t, "POST", "/api/v1/public/institutions/"+ent.Tenant.Slug+"/batches/"+uuid.NewString()+"/applications", "", body).
		WantProblem(t, http.StatusUnprocessableEntity, "self_registration_unavailable")
}

func TestOpenAPIListsTheCandidateOperations(t *testing.T) {
	k := testkit.New(t)
	res := k.Do(t, "GET", "/api/v1/openapi.json", "", nil).Want(t, 200)
	for _, p := range []string{`"/api/v1/candidates"`, `"/api/v1/candidates/{id}/photo"`, `"/api/v1/candidates/import"`,
		`"/api/v1/candidates/import/template.xlsx"`, `"/api/v1/public/institutions/{slug}/batches/{id}/applications"`} {
		if !bytes.Contains(res.Body, []byte(p)) {
			t.Fatalf("openapi.json lacks %s", p)
		}
	}
}
