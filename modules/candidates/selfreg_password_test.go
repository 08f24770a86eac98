package candidates

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// TestSelfRegisterChecksThePassword: a self-registering candidate's password passes the same rules as
// any other (identity.CheckPassword), and a refused one leaves nothing behind.
func TestSelfRegisterChecksThePassword(t *testing.T) {
	svc, _, app := newSelfRegService(t)
	org := newTenant(t, svc.db, tenants.KindSocialOrg)
	for i, tc := range []struct{ username, password, code string }{
		{"wangwu", "password", identity.CodePasswordCommon},
		{"wangwu", "wangwu-1990", identity.CodePasswordContainsUsername},
		{"wangwu", "my " + org.Slug + " account", identity.CodePasswordContainsTenant},
	} {
		r := registration(20_000+i, tc.username)
		r.Password = tc.password
		_, err := svc.SelfRegister(context.Background(), org.Slug, uuid.New(), r)
		pe := mustFail(t, err, platform.KindUnprocessable, "validation_failed")
		if len(pe.Fields) != 1 || pe.Fields[0].Field != "password" || pe.Fields[0].Code != tc.code {
			t.Fatalf("%q: fields %+v, want %s", tc.password, pe.Fields, tc.code)
		}
	}
	if n := countCandidates(t, svc.db, org.TenantID); n != 0 || len(app.batches) != 0 {
		t.Fatalf("refused registrations left %d candidates, %d applications", n, len(app.batches))
	}
}
