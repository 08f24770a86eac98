package certificates_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

type certJSON struct {
	ID             uuid.UUID  `json:"id"`
	Number         *string    `json:"number"`
	Status         string     `json:"status"`
	Kind           string     `json:"kind"`
	Title          string     `json:"title"`
	HolderName     string     `json:"holder_name"`
	IDNumber       string     `json:"id_number"`
	OccupationCode string     `json:"occupation_code"`
	Level          int        `json:"level"`
	IssuedOn       *string    `json:"issued_on"`
	Post           string     `json:"post"`
	RevokeReason   string     `json:"revoke_reason"`
	Replaces       *uuid.UUID `json:"replaces"`
	ReplacedBy     *uuid.UUID `json:"replaced_by"`
}

type pageJSON struct {
	Items      []certJSON `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

type verifyJSON struct {
	Valid   bool   `json:"valid"`
	Status  string `json:"status"`
	Reasons []struct {
		Code string `json:"code"`
	} `json:"reasons"`
}

func (v verifyJSON) codes() []string {
	var out []string
	for _, r := range v.Reasons {
		out = append(out, r.Code)
	}
	return out
}

// issued finalizes n passed applications of org and runs the issuance, returning the certificates.
func issued(t *testing.T, e *env, org *testkit.Org, n, level int) []certificates.Certificate {
	t.Helper()
	svc, rec := e.service(t, quiet)
	b := finalize(t, e, svc, org, n, level)
	run(t, svc, rec.take())
	return certs(t, svc, org, b.BatchID)
}

func verifyCredential(t *testing.T, e *env, cred []byte) verifyJSON {
	t.Helper()
	var v verifyJSON
	e.k.Do(t, "POST", "/api/v1/public/credentials/verify", "", cred, "Content-Type", "application/json").Want(t, http.StatusOK).Decode(t, &v)
	return v
}

func lookup(t *testing.T, e *env, number, query string) map[string]any {
	t.Helper()
	var m map[string]any
	e.k.Do(t, "GET", "/api/v1/public/certificates/"+number+query, "", nil).Want(t, http.StatusOK).Decode(t, &m)
	return m
}

func TestIssuedCertificateThroughTheAPI(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise, "staff")
	svc, rec := e.service(t, quiet)
	b := finalize(t, e, svc, org, 3, 4)

	var p pageJSON
	e.k.Do(t, "GET", "/api/v1/certificates?batch_id="+b.BatchID.String(), org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &p)
	if len(p.Items) != 3 || p.Items[0].Status != "pending" || p.Items[0].Number != nil || p.Items[0].IssuedOn != nil {
		t.Fatalf("pending list %+v", p.Items)
	}
	e.k.Do(t, "GET", "/api/v1/certificates/"+p.Items[0].ID.String()+"/pdf", org.Admin, nil).WantProblem(t, http.StatusConflict, "not_issued")

	run(t, svc, rec.take())
	e.k.Do(t, "GET", "/api/v1/certificates?batch_id="+b.BatchID.String(), org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &p)
	today := time.Now().In(time.FixedZone("CST", 8*3600))
	for _, c := range p.Items {
		if c.Status != "issued" || c.Number == nil || !certificates.ValidNumber(*c.Number) || c.OccupationCode != electrician ||
			c.Level != 4 || *c.IssuedOn != today.Format(time.DateOnly) || c.Kind != "skill_level" {
			t.Fatalf("issued item %+v", c)
		}
	}
	// The exact item shape of API.md.
	var raw struct{ Items []map[string]any }
	e.k.Do(t, "GET", "/api/v1/certificates?batch_id="+b.BatchID.String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &raw)
	for _, key := range []string{"id", "number", "status", "holder_name", "occupation_code", "level", "issued_on"} {
		if _, ok := raw.Items[0][key]; !ok {
			t.Fatalf("list item lacks %q: %v", key, raw.Items[0])
		}
	}
	c := p.Items[1]
	number := *c.Number

	// The PDF: one A4 page with every mandatory field, in Chinese.
	res := e.k.Do(t, "GET", "/api/v1/certificates/"+c.ID.String()+"/pdf", org.Tokens["staff"], nil).Want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/pdf" || !bytes.HasPrefix(res.Body, []byte("%PDF-")) {
		t.Fatalf("content type %q, body %q…", ct, res.Body[:min(8, len(res.Body))])
	}
	text := pdftotext(t, res.Body)
	containsAll(t, "PDF text", text, "职业技能等级证书", org.Tenant.Name, c.HolderName, "居民身份证", c.IDNumber,
		"电工", "--", "四级/中级工", number, today.Format("2006年1月2日"), "https://skillcert.test/verify", "zscx.osta.org.cn")

	// The credential verifies; one changed byte breaks it.
	res = e.k.Do(t, "GET", "/api/v1/certificates/"+c.ID.String()+"/credential", org.Admin, nil).Want(t, http.StatusOK)
	cred := res.Body
	var doc struct {
		Type              []string `json:"type"`
		CredentialSubject struct {
			LicenseNumber string `json:"licenseNumber"`
			Achievement   struct {
				Name string `json:"name"`
			} `json:"achievement"`
		} `json:"credentialSubject"`
		CredentialStatus struct {
			StatusListCredential string `json:"statusListCredential"`
		} `json:"credentialStatus"`
		Proof struct {
			Cryptosuite        string `json:"cryptosuite"`
			VerificationMethod string `json:"verificationMethod"`
		} `json:"proof"`
	}
	if err := json.Unmarshal(cred, &doc); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(doc.Type, "OpenBadgeCredential") || doc.CredentialSubject.LicenseNumber != number ||
		doc.Proof.Cryptosuite != "eddsa-jcs-2022" || !strings.Contains(doc.CredentialSubject.Achievement.Name, "四级/中级工") {
		t.Fatalf("credential %s", cred)
	}
	if v := verifyCredential(t, e, cred); !v.Valid || v.Status != "valid" || len(v.Reasons) != 0 {
		t.Fatalf("verify %+v", v)
	}
	tampered := bytes.Replace(cred, []byte(c.HolderName), []byte("赵六"), 1)
	if v := verifyCredential(t, e, tampered); v.Valid || !slices.Contains(v.codes(), "bad_signature") {
		t.Fatalf("tampered credential %+v", v)
	}
	e.k.Do(t, "POST", "/api/v1/public/credentials/verify", "", []byte("{not json"), "Content-Type", "application/json").
		WantProblem(t, http.StatusBadRequest, "malformed_json")

	// The issuer's key is in the JWKS; the status list is served, signed.
	kid := doc.Proof.VerificationMethod[strings.LastIndex(doc.Proof.VerificationMethod, "#")+1:]
	res = e.k.Do(t, "GET", "/.well-known/skillcert/keys", "", nil).Want(t, http.StatusOK)
	var jwks struct {
		Keys []struct{ Kid, Kty, Crv, X string }
	}
	res.Decode(t, &jwks)
	if !slices.ContainsFunc(jwks.Keys, func(k struct{ Kid, Kty, Crv, X string }) bool { return k.Kid == kid && k.Crv == "Ed25519" }) {
		t.Fatalf("JWKS lacks %s", kid)
	}
	listPath := strings.TrimPrefix(doc.CredentialStatus.StatusListCredential, "https://skillcert.test")
	res = e.k.Do(t, "GET", listPath, "", nil).Want(t, http.StatusOK)
	containsAll(t, "status list", string(res.Body), "BitstringStatusListCredential", "eddsa-jcs-2022", kid)
	e.k.Do(t, "GET", "/api/v1/public/status-lists/"+uuid.NewString(), "", nil).WantProblem(t, http.StatusNotFound, "not_found")

	// Public lookup: masked unless the exact name is given.
	got := lookup(t, e, number, "")
	want := map[string]any{"number": number, "status": "valid", "holder_name": candidates.MaskName(c.HolderName),
		"occupation": "电工", "level": float64(4), "institution": org.Tenant.Name, "issued_on": today.Format(time.DateOnly),
		"kind": "skill_level"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("lookup %s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["name_matches"]; ok {
		t.Error("name_matches without ?name=")
	}
	got = lookup(t, e, number, "?name="+c.HolderName)
	if got["name_matches"] != true || got["holder_name"] != c.HolderName {
		t.Fatalf("lookup with the exact name %v", got)
	}
	got = lookup(t, e, number, "?name=赵六")
	if got["name_matches"] != false || got["holder_name"] != candidates.MaskName(c.HolderName) {
		t.Fatalf("lookup with a wrong name %v", got)
	}
	unknown := number[:16] + "999999"
	e.k.Do(t, "GET", "/api/v1/public/certificates/"+unknown, "", nil).WantProblem(t, http.StatusNotFound, "not_found")
	e.k.Do(t, "GET", "/api/v1/public/certificates/not-a-number", "", nil).WantProblem(t, http.StatusNotFound, "not_found")

	// The verification page (the console's, in its design): nothing loaded from another host.
	res = e.k.Do(t, "GET", "/verify/"+number, "", nil).Want(t, http.StatusOK)
	page := string(res.Body)
	containsAll(t, "verify page", page, "有效证书", candidates.MaskName(c.HolderName), "四级/中级工", org.Tenant.Name, number)
	for _, external := range []string{`src="http`, `href="http`, `src="//`, `href="//`, "@import"} {
		if strings.Contains(page, external) {
			t.Errorf("the verify page loads something from elsewhere (%q)", external)
		}
	}
	res = e.k.Do(t, "GET", "/verify/"+number+"?name="+c.HolderName, "", nil).Want(t, http.StatusOK)
	containsAll(t, "verify page with name", string(res.Body), c.HolderName, "姓名核对一致")
	res = e.k.Do(t, "GET", "/verify/"+unknown, "", nil).Want(t, http.StatusNotFound)
	containsAll(t, "unknown number page", string(res.Body), "未找到")

	// Tenancy: another institution sees nothing of it; roles without the permission are refused.
	other := e.k.Tenant(t, tenants.KindEnterprise, "110105", "candidate")
	e.k.Do(t, "GET", "/api/v1/certificates/"+c.ID.String(), other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	e.k.Do(t, "GET", "/api/v1/certificates/"+c.ID.String()+"/pdf", other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	e.k.Do(t, "GET", "/api/v1/certificates?batch_id="+b.BatchID.String(), other.Admin, nil).Want(t, http.StatusOK).Decode(t, &p)
	if len(p.Items) != 0 {
		t.Fatal("another tenant lists the batch's certificates")
	}
	e.k.Do(t, "GET", "/api/v1/certificates", other.Tokens["candidate"], nil).WantProblem(t, http.StatusForbidden, "forbidden")
	e.k.Do(t, "GET", "/api/v1/certificates", e.reg.Admin, nil).WantProblem(t, http.StatusForbidden, "forbidden")
}

func TestListPagination(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindSchool)
	svc, _ := e.service(t, quiet)
	b := finalize(t, e, svc, org, 5, 3)
	var all []uuid.UUID
	cursor := ""
	for page := 0; page < 5; page++ {
		var p pageJSON
		e.k.Do(t, "GET", "/api/v1/certificates?limit=2&batch_id="+b.BatchID.String()+"&cursor="+cursor, org.Admin, nil).Want(t, http.StatusOK).Decode(t, &p)
		for _, it := range p.Items {
			all = append(all, it.ID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	want := certs(t, svc, org, b.BatchID)
	if len(all) != 5 || all[0] != want[0].ID || all[4] != want[4].ID {
		t.Fatalf("paged ids %v", all)
	}
	var desc pageJSON
	e.k.Do(t, "GET", "/api/v1/certificates?sort=-created_at&limit=1&batch_id="+b.BatchID.String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &desc)
	if desc.Items[0].ID != want[4].ID {
		t.Fatal("descending order")
	}
	for _, q := range []string{"sort=number", "batch_id=nope", "status=lost", "limit=0", "cursor=nope"} {
		res := e.k.Do(t, "GET", "/api/v1/certificates?"+q, org.Admin, nil)
		if res.Status != http.StatusBadRequest {
			t.Errorf("?%s: %d", q, res.Status)
		}
	}
	var pending pageJSON
	e.k.Do(t, "GET", "/api/v1/certificates?status=issued&batch_id="+b.BatchID.String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &pending)
	if len(pending.Items) != 0 {
		t.Fatal("status filter")
	}
}

func TestRevocation(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise, "staff", "supervisor")
	list := issued(t, e, org, 2, 4)
	c, keep := list[0], list[1]
	cred, _, err := e.svc.Credential(org.Ctx(context.Background()), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	keptCred, _, _ := e.svc.Credential(org.Ctx(context.Background()), keep.ID)
	path := "/api/v1/certificates/" + c.ID.String() + "/revoke"

	e.k.Do(t, "POST", path, org.Tokens["staff"], map[string]any{"reason": "x"}).WantProblem(t, http.StatusForbidden, "forbidden")
	e.k.Do(t, "POST", path, org.Tokens["supervisor"], map[string]any{"reason": "x"}).WantProblem(t, http.StatusForbidden, "forbidden")
	e.k.Do(t, "POST", path, e.reg.Admin, map[string]any{"reason": "x"}).WantProblem(t, http.StatusForbidden, "forbidden")
	other := e.k.Tenant(t, tenants.KindEnterprise, "110105")
	e.k.Do(t, "POST", path, other.Admin, map[string]any{"reason": "x"}).WantProblem(t, http.StatusNotFound, "not_found")
	e.k.Do(t, "POST", path, org.Admin, map[string]any{"reason": " "}).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	e.k.Do(t, "POST", path, org.Admin, map[string]any{"reason": "reissued"}).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")

	var r certJSON
	e.k.Do(t, "POST", path, org.Admin, map[string]any{"reason": "证书信息造假"}).Want(t, http.StatusOK).Decode(t, &r)
	if r.Status != "revoked" || r.RevokeReason != "证书信息造假" {
		t.Fatalf("revoked %+v", r)
	}
	e.k.Do(t, "POST", path, org.Admin, map[string]any{"reason": "again"}).WantProblem(t, http.StatusConflict, "invalid_state")

	// At once: the lookup, the page, the status list and so the credential.
	if got := lookup(t, e, c.Number, ""); got["status"] != "revoked" {
		t.Fatalf("lookup after revocation %v", got)
	}
	res := e.k.Do(t, "GET", "/verify/"+c.Number, "", nil).Want(t, http.StatusOK)
	containsAll(t, "page", string(res.Body), "证书已撤销", "revoked")
	if v := verifyCredential(t, e, cred); v.Valid || v.Status != "revoked" || !slices.Contains(v.codes(), "revoked") {
		t.Fatalf("revoked credential %+v", v)
	}
	if v := verifyCredential(t, e, keptCred); !v.Valid {
		t.Fatalf("the other certificate's credential %+v", v)
	}
	if n := count(t, e.k.DB, `SELECT count(*) FROM report_outbox WHERE tenant_id = ? AND kind = 'certificate.revoked'`, org.Tenant.ID); n != 1 {
		t.Fatalf("%d revocation reports", n)
	}
	if n := count(t, e.k.DB, `SELECT count(*) FROM audit_log WHERE tenant_id = ? AND action = 'certificate.revoke' AND target_id = ?`, org.Tenant.ID, c.ID.String()); n != 1 {
		t.Fatalf("%d revocation audit entries", n)
	}
}

func TestRevokeForDecision(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindSocialOrg)
	c := issued(t, e, org, 1, 3)[0]
	regCtx := tenants.WithActor(e.reg.Ctx(context.Background()), tenants.Actor{UserID: uuid.New(), Name: "regulator-admin"})
	decide := func(number string) error {
		return tenants.WithTx(regCtx, e.k.DB, func(ctx context.Context, tx bun.Tx) error {
			return e.svc.RevokeForDecision(ctx, tx, org.Tenant.ID, number, "伪造证书")
		})
	}
	if err := decide(c.Number); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Get(org.Ctx(context.Background()), c.ID)
	if err != nil || got.Status != certificates.StatusRevoked || !strings.Contains(got.RevokeReason, "伪造证书") {
		t.Fatalf("after the decision %+v %v", got, err)
	}
	if lookup(t, e, c.Number, "")["status"] != "revoked" {
		t.Fatal("the decision does not show in the public lookup")
	}
	// Audited in the institution's own log, as the regulator's act.
	if n := count(t, e.k.DB, `SELECT count(*) FROM audit_log WHERE tenant_id = ? AND action = 'certificate.revoke_by_decision' AND actor_name = 'regulator-admin'`, org.Tenant.ID); n != 1 {
		t.Fatalf("%d decision audit entries in the institution's log", n)
	}
	if err := decide(c.Number); err != nil {
		t.Fatalf("applying the decision again: %v", err)
	}
	if err := decide(c.Number[:16] + "999999"); err == nil {
		t.Fatal("an unknown number must be not found")
	}
}

func TestReissue(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise, "staff")
	old := issued(t, e, org, 1, 4)[0]
	oldCred, _, _ := e.svc.Credential(org.Ctx(context.Background()), old.ID)
	path := "/api/v1/certificates/" + old.ID.String() + "/reissue"

	e.k.Do(t, "POST", path, org.Admin, map[string]any{}).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	e.k.Do(t, "POST", path, org.Tokens["staff"], map[string]any{"holder_name": "张三丰"}).WantProblem(t, http.StatusForbidden, "forbidden")

	var fresh certJSON
	e.k.Do(t, "POST", path, org.Admin, map[string]any{"holder_name": "张三丰", "id_number": "11010519491231002X"}).
		Want(t, http.StatusCreated).Decode(t, &fresh)
	if fresh.Status != "issued" || fresh.Number == nil || *fresh.Number == old.Number || fresh.Replaces == nil || *fresh.Replaces != old.ID || fresh.HolderName != "张三丰" {
		t.Fatalf("reissued %+v", fresh)
	}
	n, _ := certificates.ParseNumber(*fresh.Number)
	if n.Serial != 2 {
		t.Fatalf("the reissue's serial %d, want the next one", n.Serial)
	}
	var was certJSON
	e.k.Do(t, "GET", "/api/v1/certificates/"+old.ID.String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &was)
	if was.Status != "revoked" || was.RevokeReason != "reissued" || was.ReplacedBy == nil || *was.ReplacedBy != fresh.ID {
		t.Fatalf("the replaced certificate %+v", was)
	}
	if lookup(t, e, old.Number, "")["status"] != "revoked" || lookup(t, e, *fresh.Number, "?name=张三丰")["name_matches"] != true {
		t.Fatal("lookups after the reissue")
	}
	if v := verifyCredential(t, e, oldCred); v.Status != "revoked" {
		t.Fatalf("the old credential %+v", v)
	}
	res := e.k.Do(t, "GET", "/api/v1/certificates/"+fresh.ID.String()+"/credential", org.Admin, nil).Want(t, http.StatusOK)
	if v := verifyCredential(t, e, res.Body); !v.Valid {
		t.Fatalf("the new credential %+v", v)
	}
	pdf := e.k.Do(t, "GET", "/api/v1/certificates/"+fresh.ID.String()+"/pdf", org.Admin, nil).Want(t, http.StatusOK).Body
	containsAll(t, "reissued PDF", pdftotext(t, pdf), "张三丰", "11010519491231002X", *fresh.Number)
	e.k.Do(t, "POST", path, org.Admin, map[string]any{"holder_name": "张三"}).WantProblem(t, http.StatusConflict, "invalid_state")
	if n := count(t, e.k.DB, `SELECT count(*) FROM report_outbox WHERE tenant_id = ? AND kind = 'certificate.reissued'`, org.Tenant.ID); n != 1 {
		t.Fatalf("%d reissue reports", n)
	}
}

// TestSerialsRunOut: a counter that cannot give every serial a chunk needs refuses with
// serial_exhausted and gives none; the last serial, 999999, is still given.
func TestSerialsRunOut(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise)
	list := issued(t, e, org, 2, 4)
	ctx := org.Ctx(context.Background())
	setLast := func(last int) {
		t.Helper()
		if _, err := e.k.DB.NewRaw(`UPDATE certificate_serials SET last = ? WHERE tenant_id = ? AND series = 'national' AND level = 4`,
			last, org.Tenant.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	setLast(certificates.MaxSerial)
	if _, err := e.svc.Reissue(ctx, list[0].ID, certificates.Correction{HolderName: "张三丰"}); !errors.Is(err, certificates.ErrSerialExceeded) {
		t.Fatalf("reissue with the serials used up: %v, want %v", err, certificates.ErrSerialExceeded)
	}
	setLast(certificates.MaxSerial - 1)
	fresh, err := e.svc.Reissue(ctx, list[1].ID, certificates.Correction{HolderName: "张三丰"})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := certificates.ParseNumber(fresh.Number); n.Serial != certificates.MaxSerial {
		t.Fatalf("serial %d, want %d", n.Serial, certificates.MaxSerial)
	}
}

func TestPostCertificates(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise, "staff")
	base := issued(t, e, org, 1, 4)[0]
	prefix := "QT" + strings.ToUpper(strings.ReplaceAll(uuid.NewString(), "-", "")[:8])

	var s map[string]string
	e.k.Do(t, "GET", "/api/v1/certificates/settings", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &s)
	if s["post_prefix"] != certificates.DefaultPostPrefix(org.Tenant.ID) || s["post_title"] != "岗位证书" {
		t.Fatalf("default settings %v", s)
	}
	e.k.Do(t, "PUT", "/api/v1/certificates/settings", org.Admin, map[string]any{"post_prefix": "YQ", "post_title": "x"}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	e.k.Do(t, "PUT", "/api/v1/certificates/settings", org.Tokens["staff"], map[string]any{"post_prefix": prefix, "post_title": "岗位能力证书"}).
		WantProblem(t, http.StatusForbidden, "forbidden")
	e.k.Do(t, "PUT", "/api/v1/certificates/settings", org.Admin, map[string]any{"post_prefix": prefix, "post_title": "岗位能力证书"}).Want(t, http.StatusOK)
	rival := e.k.Tenant(t, tenants.KindEnterprise, "110105")
	e.k.Do(t, "PUT", "/api/v1/certificates/settings", rival.Admin, map[string]any{"post_prefix": prefix, "post_title": "岗位证书"}).
		WantProblem(t, http.StatusConflict, "duplicate")

	var post certJSON
	e.k.Do(t, "POST", "/api/v1/post-certificates", org.Tokens["staff"], map[string]any{"certificate_id": base.ID, "post": "高压电工"}).
		Want(t, http.StatusCreated).Decode(t, &post)
	year := time.Now().In(time.FixedZone("CST", 8*3600)).Year()
	if post.Kind != "post" || post.Title != "岗位能力证书" || post.Post != "高压电工" || post.Number == nil ||
		*post.Number != certificates.PostNumber(prefix, year, 1) || post.Status != "issued" {
		t.Fatalf("post certificate %+v", post)
	}
	e.k.Do(t, "POST", "/api/v1/post-certificates", org.Admin, map[string]any{"certificate_id": base.ID, "post": "电工"}).
		WantProblem(t, http.StatusConflict, "duplicate")
	got := lookup(t, e, *post.Number, "")
	if got["kind"] != "post" || got["title"] != "岗位能力证书" || got["post"] != "高压电工" || got["status"] != "valid" {
		t.Fatalf("post lookup %v", got)
	}
	if lookup(t, e, base.Number, "")["kind"] != "skill_level" {
		t.Fatal("the national certificate must stay distinguishable")
	}
	res := e.k.Do(t, "GET", "/api/v1/certificates/"+post.ID.String()+"/credential", org.Admin, nil).Want(t, http.StatusOK)
	if v := verifyCredential(t, e, res.Body); !v.Valid {
		t.Fatalf("post credential %+v: %s", v, res.Body)
	}
	pdf := e.k.Do(t, "GET", "/api/v1/certificates/"+post.ID.String()+"/pdf", org.Admin, nil).Want(t, http.StatusOK).Body
	text := pdftotext(t, pdf)
	containsAll(t, "post PDF", text, "岗位能力证书", "高压电工", *post.Number, base.HolderName)
	if strings.Contains(text, "职业技能等级证书") {
		t.Error("a post certificate must not pass for the national one")
	}
	// Only enterprises, and only on an issued national certificate.
	social, _ := e.institution(t, tenants.KindSocialOrg)
	e.k.Do(t, "POST", "/api/v1/post-certificates", social.Admin, map[string]any{"certificate_id": base.ID, "post": "电工"}).
		WantProblem(t, http.StatusUnprocessableEntity, "not_enterprise")
	e.k.Do(t, "POST", "/api/v1/post-certificates", org.Admin, map[string]any{"certificate_id": post.ID, "post": "电工"}).
		WantProblem(t, http.StatusConflict, "invalid_state")
	e.k.Do(t, "POST", "/api/v1/post-certificates", rival.Admin, map[string]any{"certificate_id": base.ID, "post": "电工"}).
		WantProblem(t, http.StatusNotFound, "not_found")
}

func TestKeyRotation(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise, "staff")
	first := issued(t, e, org, 1, 4)[0]
	cred1, _, _ := e.svc.Credential(org.Ctx(context.Background()), first.ID)

	e.k.Do(t, "POST", "/api/v1/certificates/keys/rotate", org.Tokens["staff"], nil).WantProblem(t, http.StatusForbidden, "forbidden")
	var before []map[string]any
	e.k.Do(t, "GET", "/api/v1/certificates/keys", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &before)
	var k2 map[string]any
	e.k.Do(t, "POST", "/api/v1/certificates/keys/rotate", org.Admin, nil).Want(t, http.StatusCreated).Decode(t, &k2)
	var after []map[string]any
	e.k.Do(t, "GET", "/api/v1/certificates/keys", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &after)
	if len(before) != 1 || len(after) != 2 || after[0]["kid"] != k2["kid"] || after[0]["active"] != true || after[1]["active"] != false ||
		after[1]["kid"] != before[0]["kid"] {
		t.Fatalf("keys before %v, after %v", before, after)
	}
	var jwks struct{ Keys []struct{ Kid string } }
	e.k.Do(t, "GET", "/.well-known/skillcert/keys", "", nil).Want(t, http.StatusOK).Decode(t, &jwks)
	for _, want := range []any{before[0]["kid"], k2["kid"]} {
		if !slices.ContainsFunc(jwks.Keys, func(k struct{ Kid string }) bool { return k.Kid == want }) {
			t.Fatalf("JWKS lacks %v", want)
		}
	}
	// The retired key still verifies what it signed (against the list now signed by the new key).
	if v := verifyCredential(t, e, cred1); !v.Valid {
		t.Fatalf("credential of the retired key %+v", v)
	}
	second := issued(t, e, org, 1, 4)[0]
	cred2, _, _ := e.svc.Credential(org.Ctx(context.Background()), second.ID)
	if !strings.Contains(string(cred2), k2["kid"].(string)) {
		t.Fatal("new certificates must be signed with the new key")
	}
	if v := verifyCredential(t, e, cred2); !v.Valid {
		t.Fatalf("credential of the new key %+v", v)
	}
}

func TestBatchZIP(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise, "staff")
	svc, rec := e.service(t, quiet)
	b := finalize(t, e, svc, org, 3, 3)
	run(t, svc, rec.take())
	res := e.k.Do(t, "GET", "/api/v1/batches/"+b.BatchID.String()+"/certificates.zip", org.Tokens["staff"], nil).Want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/zip" {
		t.Fatalf("content type %q", ct)
	}
	zr, err := zip.NewReader(bytes.NewReader(res.Body), int64(len(res.Body)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		head, _ := io.ReadAll(io.LimitReader(rc, 5))
		_ = rc.Close()
		if string(head) != "%PDF-" {
			t.Fatalf("%s is not a PDF", f.Name)
		}
	}
	var want []string
	for _, c := range certs(t, svc, org, b.BatchID) {
		want = append(want, c.Number+".pdf")
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	other := e.k.Tenant(t, tenants.KindEnterprise, "110105")
	e.k.Do(t, "GET", "/api/v1/batches/"+b.BatchID.String()+"/certificates.zip", other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
}

func TestMyCertificates(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindSocialOrg, "candidate", "staff")
	// The candidate record of the candidate user: the candidates module links it; here a stand-in.
	candidateID := uuid.New()
	user := org.Users["candidate"].ID
	svc, rec := e.service(t, quiet, func(c *certificates.Config) {
		c.Candidates = certificates.CandidatesFunc(func(ctx context.Context, tx bun.IDB, userID uuid.UUID) (uuid.UUID, error) {
			if userID == user {
				return candidateID, nil
			}
			return uuid.Nil, certificates.ErrNotCandidate
		})
	})
	b := finalize(t, e, svc, org, 3, 4)
	b2 := b
	b2.BatchID, b2.Passed = uuid.New(), []certificates.PassedApplication{{ApplicationID: uuid.New(), CandidateID: candidateID,
		HolderName: "周杰", IDType: "resident_id", IDNumber: "x"}}
	onFinalized(t, e, svc, org, b2)
	run(t, svc, rec.take())
	ctx := tenants.WithActor(org.Ctx(context.Background()), tenants.Actor{UserID: user, Roles: []string{"candidate"}})
	minePage, err := svc.Mine(ctx, platform.PageRequest{}, certificates.ListFilter{})
	mine := minePage.Items
	if err != nil || len(mine) != 1 || mine[0].HolderName != "周杰" {
		t.Fatalf("own certificates %+v %v", mine, err)
	}
	pdf, _, err := svc.MyPDF(ctx, mine[0].ID)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("own PDF: %v", err)
	}
	if cred, _, err := svc.MyCredential(ctx, mine[0].ID); err != nil || !bytes.Contains(cred, []byte(mine[0].Number)) {
		t.Fatalf("own credential: %v", err)
	}
	others := certs(t, svc, org, b.BatchID)
	if _, _, err := svc.MyPDF(ctx, others[0].ID); !errors.Is(err, certificates.ErrNotFound) {
		t.Fatalf("someone else's PDF: %v, want not found", err)
	}
	staffCtx := tenants.WithActor(org.Ctx(context.Background()), tenants.Actor{UserID: org.Users["staff"].ID})
	if _, _, err := svc.MyPDF(staffCtx, others[0].ID); !errors.Is(err, certificates.ErrNotFound) {
		t.Fatalf("a user without a candidate record: %v", err)
	}
	if mine, err := svc.Mine(staffCtx, platform.PageRequest{}, certificates.ListFilter{}); err != nil || len(mine.Items) != 0 {
		t.Fatalf("a user without a candidate record has none: %+v %v", mine, err)
	}
	// Through the API: the candidate role may ask (none of their own here), staff may not.
	var p pageJSON
	e.k.Do(t, "GET", "/api/v1/me/certificates", org.Tokens["candidate"], nil).Want(t, http.StatusOK).Decode(t, &p)
	if p.Items == nil || len(p.Items) != 0 {
		t.Fatalf("%+v", p)
	}
	e.k.Do(t, "GET", "/api/v1/me/certificates", org.Tokens["staff"], nil).WantProblem(t, http.StatusForbidden, "forbidden")
	e.k.Do(t, "GET", "/api/v1/me/certificates/"+others[0].ID.String()+"/pdf", org.Tokens["candidate"], nil).WantProblem(t, http.StatusNotFound, "not_found")
}

func TestOpenAPIDocumentsTheRoutes(t *testing.T) {
	e := setup(t)
	res := e.k.Do(t, "GET", "/api/v1/openapi.json", "", nil).Want(t, http.StatusOK)
	containsAll(t, "openapi.json", string(res.Body), `"/api/v1/certificates/{id}/pdf"`, `"/api/v1/public/certificates/{number}"`,
		`"/api/v1/batches/{id}/certificates.zip"`, `"/api/v1/post-certificates"`, `"/api/v1/certificates/keys/rotate"`,
		`"/api/v1/public/credentials/verify"`, `"application/pdf"`, "certificate:revoke")
}
