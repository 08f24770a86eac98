package certificates_test

import (
	"context"
	"testing"

	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/tenants"
)

func TestIssueSmoke(t *testing.T) {
	e := setup(t)
	org, site := e.institution(t, tenants.KindEnterprise)
	svc, rec := e.service(t)
	b := finalize(t, e, svc, org, 3, 4)
	list := certs(t, svc, org, b.BatchID)
	if len(list) != 3 || list[0].Status != certificates.StatusPending {
		t.Fatalf("%+v", list)
	}
	run(t, svc, rec.take())
	list = certs(t, svc, org, b.BatchID)
	for _, c := range list {
		t.Log(c.Number, c.Status, c.HolderName, site)
	}
	pdf, _, err := svc.PDF(org.Ctx(context.Background()), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(pdftotext(t, pdf))
}
