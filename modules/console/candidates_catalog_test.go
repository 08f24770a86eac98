package console

import (
	"testing"

	"github.com/skillcert/skillcert/modules/candidates"
)

// TestCandidateMessagesAreComplete: the 考生 pages build message ids from the candidates module's
// vocabularies and error codes (cand.education.<code>, cand.err.<code> …); each exists in both
// languages, so no page shows a raw id.
func TestCandidateMessagesAreComplete(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	add := func(prefix string, codes ...string) {
		for _, c := range codes {
			if c != "" {
				ids = append(ids, prefix+c)
			}
		}
	}
	add("cand.id_type.", candidates.IDTypes()...)
	add("cand.education.", candidates.Educations()...)
	add("cand.title_level.", candidates.TitleLevels()...)
	add("cand.award.", candidates.AwardKinds()...)
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8} {
		ids = append(ids, candLevelKey(n))
	}
	add("cand.err.", candidateErrorCodes...)
	add("cand.import_err.", importFileErrors...)
	add("cand.import_err.", "archive", "no_file", "other")
	add("cand.photo_err.", "invalid", "photo_too_large", "unsupported_media_type", "required")
	for _, f := range candidateFields {
		ids = append(ids, candFieldLabel(f))
	}
	ids = append(ids, candFieldLabel("unknown"), candYesNo(true), candYesNo(false))
	add("cand.app_status.", "eligible", "ineligible", "pending_review", "approved", "rejected")
	add("cand.app_result.", "pass", "fail")
	for _, c := range candidateColumns {
		ids = append(ids, c.Key)
	}
	for _, id := range ids {
		for _, lang := range []string{"zh-CN", "en"} {
			if !cat.keys[lang][id] {
				t.Errorf("message %q missing in %s", id, lang)
			}
		}
	}
}
