package certificates_test

import (
	"context"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// issuerServer runs a certificates service of its own behind a real listener on a free loopback
// port, its public URL being that address: the issuer ids and verification methods its credentials
// name resolve over HTTP like those of a deployment.
func issuerServer(t *testing.T, e *env) (svc *certificates.Service, rec *recorder, base string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base = "http://" + ln.Addr().String()
	svc, rec = e.service(t, quiet, func(c *certificates.Config) { c.PublicURL = base })
	app := handlerApp(svc, nil, quietLog)
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return svc, rec, base
}

// issueOne issues one certificate of org with svc and returns it with its signed credential.
func issueOne(t *testing.T, e *env, svc *certificates.Service, rec *recorder, org *testkit.Org) (certificates.Certificate, []byte) {
	t.Helper()
	b := finalize(t, e, svc, org, 1, 4)
	run(t, svc, rec.take())
	c := certs(t, svc, org, b.BatchID)[0]
	return c, credentialOf(t, svc, org, c.ID)
}

func credentialOf(t *testing.T, svc *certificates.Service, org *testkit.Org, id uuid.UUID) []byte {
	t.Helper()
	cred, _, err := svc.Credential(org.Ctx(context.Background()), id)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// w3cVerifyOK verifies doc with the outside verifier and returns the verification method it resolved.
func w3cVerifyOK(t *testing.T, what string, doc []byte) string {
	t.Helper()
	vm, err := w3cVerify(context.Background(), &http.Client{Timeout: 10 * time.Second}, doc)
	if err != nil {
		t.Fatalf("%s does not verify through its issuer document: %v\n%s", what, err, doc)
	}
	return vm
}

// member returns the string at path in a JSON object.
func member(t *testing.T, doc []byte, path ...string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v is not a string in %s", path, doc)
	}
	return s
}

func httpGet(t *testing.T, rawURL string) []byte {
	t.Helper()
	res, err := (&http.Client{Timeout: 10 * time.Second}).Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v: %s", rawURL, res.StatusCode, err, b)
	}
	return b
}

// TestCredentialsVerifyThroughTheIssuerDocument resolves the verificationMethod of a credential, a
// post credential and a status list credential over HTTP, in a verifier written from the W3C
// specifications that shares no code with the signer.
func TestCredentialsVerifyThroughTheIssuerDocument(t *testing.T) {
	e := setup(t)
	svc, rec, base := issuerServer(t, e)
	org, _ := e.institution(t, tenants.KindEnterprise)
	issuerID := base + "/issuers/" + org.Tenant.ID.String()
	cert, cred := issueOne(t, e, svc, rec, org)

	if got := member(t, cred, "issuer", "id"); got != issuerID {
		t.Fatalf("credential issuer %s, want %s", got, issuerID)
	}
	if vm := w3cVerifyOK(t, "the credential", cred); !strings.HasPrefix(vm, issuerID+"#") {
		t.Fatalf("verificationMethod %s is not under the issuer id %s", vm, issuerID)
	}

	post, err := svc.IssuePost(org.Ctx(context.Background()), certificates.NewPostCertificate{CertificateID: cert.ID, Post: "高压电工"})
	if err != nil {
		t.Fatal(err)
	}
	postCred := credentialOf(t, svc, org, post.ID)
	if got := member(t, postCred, "issuer", "id"); got != issuerID {
		t.Fatalf("post credential issuer %s, want %s", got, issuerID)
	}
	w3cVerifyOK(t, "the post credential", postCred)

	// The status list credential, fetched from where the credential says it is.
	list := httpGet(t, member(t, cred, "credentialStatus", "statusListCredential"))
	if got := member(t, list, "issuer"); got != issuerID {
		t.Fatalf("status list issuer %s, want %s", got, issuerID)
	}
	w3cVerifyOK(t, "the status list credential", list)

	// What must not verify.
	other, _ := e.institution(t, tenants.KindSchool)
	_, otherCred := issueOne(t, e, svc, rec, other)
	otherVM := member(t, otherCred, "proof", "verificationMethod")
	ownVM := member(t, cred, "proof", "verificationMethod")
	kid := ownVM[strings.IndexByte(ownVM, '#')+1:]
	tests := []struct {
		name   string
		mutate func(doc map[string]any)
		want   error // nil: verifies
	}{
		{"re-encoded, unchanged", func(map[string]any) {}, nil},
		{"holder's number changed", func(doc map[string]any) {
			doc["credentialSubject"].(map[string]any)["licenseNumber"] = "Y000000000000000000001"
		}, errW3CBadSignature},
		{"validity moved", func(doc map[string]any) { doc["validFrom"] = "2020-01-01T00:00:00+08:00" }, errW3CBadSignature},
		{"issuer name changed", func(doc map[string]any) { doc["issuer"].(map[string]any)["name"] = "伪造机构" }, errW3CBadSignature},
		{"proof created changed", func(doc map[string]any) { doc["proof"].(map[string]any)["created"] = "2020-01-01T00:00:00Z" }, errW3CBadSignature},
		{"signature of another credential", func(doc map[string]any) {
			var o map[string]any
			_ = json.Unmarshal(otherCred, &o)
			doc["proof"].(map[string]any)["proofValue"] = o["proof"].(map[string]any)["proofValue"]
		}, errW3CBadSignature},
		{"key of another institution", func(doc map[string]any) { doc["proof"].(map[string]any)["verificationMethod"] = otherVM }, errW3CNotIssuerKey},
		{"claims another institution as issuer", func(doc map[string]any) {
			doc["issuer"].(map[string]any)["id"] = strings.SplitN(otherVM, "#", 2)[0]
		}, errW3CNotIssuerKey},
		{"unknown issuer id", func(doc map[string]any) {
			doc["proof"].(map[string]any)["verificationMethod"] = base + "/issuers/" + uuid.NewString() + "#" + kid
		}, errW3CResolve},
		{"unknown key", func(doc map[string]any) {
			doc["proof"].(map[string]any)["verificationMethod"] = issuerID + "#" + strings.Repeat("A", 43)
		}, errW3CResolve},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(cred, &doc); err != nil {
				t.Fatal(err)
			}
			tc.mutate(doc)
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			_, err = w3cVerify(context.Background(), &http.Client{Timeout: 10 * time.Second}, b)
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("verify: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestRotatedKeysStillResolve rotates the signing key: the issuer document lists both keys, what
// the old one signed still verifies through it, and new credentials name the new key.
func TestRotatedKeysStillResolve(t *testing.T) {
	e := setup(t)
	svc, rec, base := issuerServer(t, e)
	org, _ := e.institution(t, tenants.KindSocialOrg)
	_, before := issueOne(t, e, svc, rec, org)
	oldVM := w3cVerifyOK(t, "the credential before rotation", before)

	rotated, err := svc.RotateKey(org.Ctx(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	_, after := issueOne(t, e, svc, rec, org)
	newVM := w3cVerifyOK(t, "the credential after rotation", after)
	if newVM == oldVM || !strings.HasSuffix(newVM, "#"+rotated.KID) {
		t.Fatalf("after rotation the proof names %s (before %s), want the new key %s", newVM, oldVM, rotated.KID)
	}
	if vm := w3cVerifyOK(t, "the credential signed by the retired key", before); vm != oldVM {
		t.Fatalf("resolved %s, want %s", vm, oldVM)
	}
	list := httpGet(t, member(t, after, "credentialStatus", "statusListCredential"))
	if vm := w3cVerifyOK(t, "the status list re-signed on rotation", list); vm != newVM {
		t.Fatalf("status list signed by %s, want the new key %s", vm, newVM)
	}

	var doc struct {
		VerificationMethod []struct{ ID string }
		AssertionMethod    []string
	}
	if err := json.Unmarshal(httpGet(t, base+"/issuers/"+org.Tenant.ID.String()), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.VerificationMethod) != 2 || doc.VerificationMethod[0].ID != newVM || doc.VerificationMethod[1].ID != oldVM ||
		!slices.Equal(doc.AssertionMethod, []string{newVM, oldVM}) {
		t.Fatalf("issuer document after rotation: %+v", doc)
	}
}

func issuerRequest(t *testing.T, e *env, method, path string, headers ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := handlerApp(e.svc, nil, quietLog).Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestIssuerContentNegotiation(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise)
	c := issued(t, e, org, 1, 4)[0]
	cred, _, err := e.svc.Credential(org.Ctx(context.Background()), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	path := "/issuers/" + org.Tenant.ID.String()
	issuerID := e.svc.PublicURL() + path
	kid := member(t, cred, "proof", "verificationMethod")[len(issuerID)+1:]
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

	tests := []struct{ accept, want string }{
		{"", "application/ld+json"},
		{"*/*", "application/ld+json"},
		{"application/ld+json", "application/ld+json"},
		{"application/json", "application/json"},
		{"application/cid", "application/cid"},
		{"application/json, text/html;q=0.5", "application/json"},
		{"text/html;q=0.5, application/ld+json", "application/ld+json"},
		{"image/png", "application/ld+json"},
		{`application/ld+json;profile="https://www.w3.org/ns/cid/v1", text/html;q=0.9`, "application/ld+json"},
		{"application/ld+json;q=0, */*;q=0.5", "application/json"},
		{"text/*", "text/html; charset=utf-8"},
		{browser, "text/html; charset=utf-8"},
		{"text/html", "text/html; charset=utf-8"},
	}
	for _, tc := range tests {
		t.Run("accept "+strconv.Quote(tc.accept), func(t *testing.T) {
			res, body := issuerRequest(t, e, "GET", path, "Accept", tc.accept)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != tc.want {
				t.Fatalf("%d %q, want 200 %q: %s", res.StatusCode, res.Header.Get("Content-Type"), tc.want, body)
			}
			if !strings.Contains(res.Header.Get("Vary"), "Accept") || res.Header.Get("Cache-Control") != "public, max-age=60" || res.Header.Get("ETag") == "" {
				t.Fatalf("caching headers %v", res.Header)
			}
			if strings.HasPrefix(tc.want, "text/html") {
				containsAll(t, "issuer page", body, org.Tenant.Name, "北京市朝阳区", "110105", "企业", kid, issuerID)
				for _, banned := range []string{"<script", "src=", "@import", "url(", "<form"} {
					if strings.Contains(body, banned) {
						t.Errorf("the issuer page contains %q", banned)
					}
				}
				if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
					t.Errorf("Content-Security-Policy %q", csp)
				}
				return
			}
			var doc struct {
				Context            []string `json:"@context"`
				ID                 string
				Type               []string
				Name, URL          string
				Address            struct{ AddressRegion, AddressLocality, AddressCountryCode string }
				VerificationMethod []struct{ ID, Type, Controller, PublicKeyMultibase string }
				AssertionMethod    []string
			}
			if err := json.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatal(err)
			}
			vm := issuerID + "#" + kid
			if !slices.Equal(doc.Context, []string{"https://www.w3.org/ns/cid/v1", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"}) ||
				doc.ID != issuerID || !slices.Equal(doc.Type, []string{"Profile"}) || doc.Name != org.Tenant.Name || doc.URL != issuerID ||
				doc.Address.AddressRegion != "北京市" || doc.Address.AddressLocality != "朝阳区" || doc.Address.AddressCountryCode != "CN" ||
				len(doc.VerificationMethod) != 1 || doc.VerificationMethod[0].ID != vm || doc.VerificationMethod[0].Type != "Multikey" ||
				doc.VerificationMethod[0].Controller != issuerID || !strings.HasPrefix(doc.VerificationMethod[0].PublicKeyMultibase, "z6Mk") ||
				!slices.Equal(doc.AssertionMethod, []string{vm}) {
				t.Fatalf("issuer document:\n%s", body)
			}
			if res.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("Access-Control-Allow-Origin %q", res.Header.Get("Access-Control-Allow-Origin"))
			}
		})
	}

	t.Run("revalidation", func(t *testing.T) {
		for _, accept := range []string{"application/ld+json", "text/html"} {
			res, _ := issuerRequest(t, e, "GET", path, "Accept", accept)
			etag := res.Header.Get("ETag")
			if res, _ := issuerRequest(t, e, "GET", path, "Accept", accept, "If-None-Match", `"other", `+etag); res.StatusCode != http.StatusNotModified {
				t.Fatalf("%s with its ETag: %d, want 304", accept, res.StatusCode)
			}
			if res, _ := issuerRequest(t, e, "GET", path, "Accept", accept, "If-None-Match", `"other"`); res.StatusCode != http.StatusOK {
				t.Fatalf("%s with another ETag: %d, want 200", accept, res.StatusCode)
			}
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		res, body := issuerRequest(t, e, "HEAD", path)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/ld+json" || body != "" {
			t.Fatalf("HEAD: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	})

	t.Run("no issuer", func(t *testing.T) {
		for _, id := range []string{uuid.NewString(), "not-a-uuid", strings.ToUpper(org.Tenant.ID.String()),
			"urn:uuid:" + org.Tenant.ID.String(), e.reg.Tenant.ID.String()} {
			res, body := issuerRequest(t, e, "GET", "/issuers/"+id, "Accept", "application/ld+json")
			if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") ||
				!strings.Contains(body, `"code":"not_found"`) {
				t.Errorf("%s: %d %q %s", id, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			res, body = issuerRequest(t, e, "GET", "/issuers/"+id, "Accept", browser)
			if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(body, "Issuer not found") {
				t.Errorf("%s as a page: %d %q %s", id, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
		}
	})

	t.Run("served by the server", func(t *testing.T) {
		res := e.k.Do(t, "GET", path, "", nil, "Accept", "application/ld+json").Want(t, http.StatusOK)
		if member(t, res.Body, "id") != issuerID {
			t.Fatalf("server's issuer document %s", res.Body)
		}
	})
}

// TestIssuerLayering keeps the issuer's service and view free of HTTP libraries.
func TestIssuerLayering(t *testing.T) {
	for _, name := range []string{"issuer.go", "view_issuer.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(p, "gofiber") || strings.Contains(p, "fasthttp") {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}
