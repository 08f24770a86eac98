package console

import (
	"testing"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/platform"
)

// TestPortalMessagesExist: the portal's message ids built from values (statuses, results, refusals)
// exist in both languages, so no candidate ever sees a raw key.
func TestPortalMessagesExist(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, s := range []batches.ApplicationStatus{batches.AppEligible, batches.AppIneligible, batches.AppPendingReview,
		batches.AppApproved, batches.AppRejected} {
		ids = append(ids, "portal.status."+string(s), "portal.status_explain."+string(s))
	}
	for _, r := range []batches.Result{batches.ResultPass, batches.ResultFail, batches.ResultAbsent} {
		ids = append(ids, "portal.result."+string(r))
	}
	for _, code := range []string{candidates.CodeRegistrationNotAccepted, "self_registration_unavailable", "deadline_passed",
		"invalid_state", "capacity_full", "other"} {
		ids = append(ids, portalRegistrationMessage(code))
	}
	for _, pe := range []*platform.Error{{Kind: platform.KindTooLarge}, {Kind: platform.KindUnprocessable,
		Fields: []platform.FieldError{{Field: "file", Code: "required"}}}, {Kind: platform.KindUnprocessable}} {
		ids = append(ids, portalPhotoMessage(pe))
	}
	for _, l := range []int{0, 5, 4, 3, 2, 1} {
		ids = append(ids, candLevelKey(l))
	}
	for _, m := range batches.Methods() {
		ids = append(ids, "batch_method."+string(m))
	}
	for _, lang := range []string{"zh-CN", "en"} {
		for _, id := range ids {
			if !cat.keys[lang][id] {
				t.Errorf("%s: message %q missing", lang, id)
			}
		}
	}
}
