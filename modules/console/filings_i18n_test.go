package console

import "testing"

// TestFilingMessagesBuiltFromValues: the 备案 pages build some message ids from values (a filing's
// status, an error code, a norm's status, a field); each has its message in both languages.
func TestFilingMessagesBuiltFromValues(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range filingStatuses {
		ids = append(ids, "filings.status."+s)
	}
	for _, code := range filingErrorCodes {
		ids = append(ids, filingFieldMessage(code))
	}
	ids = append(ids, "norms.status.draft", "norms.status.filed", "norms.field.filing_ref", "norms.field.filed_on",
		"filings.notice.expiry_warning", "filings.notice.expired", "reports.year", "norms.created_at", "filings.submitted_at")
	for _, id := range ids {
		for _, lang := range []string{"zh-CN", "en"} {
			if !cat.keys[lang][id] {
				t.Errorf("message %q missing in %s", id, lang)
			}
		}
	}
}
