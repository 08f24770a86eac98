package credential

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

func TestLevelName(t *testing.T) {
	tests := []struct {
		level int
		want  string
	}{{1, "一级/高级技师"}, {2, "二级/技师"}, {3, "三级/高级工"}, {4, "四级/中级工"}, {5, "五级/初级工"}, {0, ""}, {6, ""}, {-1, ""}}
	for _, tc := range tests {
		if got := LevelName(tc.level); got != tc.want {
			t.Errorf("LevelName(%d) = %q, want %q", tc.level, got, tc.want)
		}
	}
}

func TestBuildOpenBadge(t *testing.T) {
	f := newIssuerFixture(t, "inst-1")
	c := f.certificate(42)
	c.Occupation.Subtype = "高压电工"
	doc := mustBuild(t, c)

	if bytes.Contains(doc, []byte(c.Holder.IDNumber)) {
		t.Fatal("the credential contains the holder's ID number in clear")
	}
	var got struct {
		Context     []string `json:"@context"`
		ID          string
		Type        []string
		Name        string
		Issuer      struct{ ID, Name, URL string }
		ValidFrom   string
		AwardedDate string
		Subject     struct {
			Type       []string
			Identifier []struct {
				Type, IdentityHash, IdentityType, Salt string
				Hashed                                 bool
			}
			Achievement struct {
				ID, AchievementType, Name, HumanCode, Specialization string
				Type                                                 []string
				Criteria                                             struct{ Narrative string }
			}
			LicenseNumber string
		} `json:"credentialSubject"`
		Status struct{ ID, Type, StatusPurpose, StatusListIndex, StatusListCredential string } `json:"credentialStatus"`
	}
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"@context", got.Context, []string{ContextVC2, ContextOB3}},
		{"id", got.ID, "https://skillcert.example/verify/Y000031000001254000123"},
		{"type", got.Type, []string{"VerifiableCredential", "OpenBadgeCredential"}},
		{"name", got.Name, "职业技能等级证书"},
		{"issuer id", got.Issuer.ID, "https://skillcert.example/issuers/inst-1"},
		{"issuer name", got.Issuer.Name, f.institution.Name},
		{"validFrom", got.ValidFrom, "2025-06-01T00:00:00+08:00"},
		{"awardedDate", got.AwardedDate, "2025-06-01T00:00:00+08:00"},
		{"subject type", got.Subject.Type, []string{"AchievementSubject"}},
		{"holder name", got.Subject.Identifier[0].IdentityHash, "张晓明"},
		{"holder name type", got.Subject.Identifier[0].IdentityType, "name"},
		{"ID type", got.Subject.Identifier[1].IdentityType, "nationalIdentityNumber"},
		{"ID hashed", got.Subject.Identifier[1].Hashed, true},
		{"ID hash", got.Subject.Identifier[1].IdentityHash, "sha256$" + sha256Hex(c.Holder.IDNumber+c.Holder.IDSalt)},
		{"achievement type", got.Subject.Achievement.AchievementType, "Certification"},
		{"achievement name", got.Subject.Achievement.Name, "电工（高压电工） 四级/中级工"},
		{"achievement id", got.Subject.Achievement.ID, "https://skillcert.example/occupations/6-31-01-03/levels/4/%E9%AB%98%E5%8E%8B%E7%94%B5%E5%B7%A5"},
		{"occupation code", got.Subject.Achievement.HumanCode, "6-31-01-03"},
		{"subtype", got.Subject.Achievement.Specialization, "高压电工"},
		{"number", got.Subject.LicenseNumber, c.Number},
		{"status type", got.Status.Type, "BitstringStatusListEntry"},
		{"status purpose", got.Status.StatusPurpose, "revocation"},
		{"status index", got.Status.StatusListIndex, "42"},
		{"status list", got.Status.StatusListCredential, "https://skillcert.example/api/v1/public/status-lists/inst-1"},
		{"status id", got.Status.ID, "https://skillcert.example/api/v1/public/status-lists/inst-1#42"},
	}
	for _, ch := range checks {
		g, _ := json.Marshal(ch.got)
		w, _ := json.Marshal(ch.want)
		if !bytes.Equal(g, w) {
			t.Errorf("%s = %s, want %s", ch.what, g, w)
		}
	}
	if got.Subject.Achievement.Criteria.Narrative == "" || !slices.Contains(got.Subject.Achievement.Type, "Achievement") {
		t.Error("achievement lacks criteria or type, both required by OB 3.0")
	}

	t.Run("no subtype and no ID number", func(t *testing.T) {
		c := f.certificate(1)
		c.Holder.IDNumber = ""
		doc := mustBuild(t, c)
		if bytes.Contains(doc, []byte("specialization")) || bytes.Contains(doc, []byte("nationalIdentityNumber")) || bytes.Contains(doc, []byte("--")) {
			t.Fatalf("optional members written although empty:\n%s", doc)
		}
	})
	t.Run("random salt when none given", func(t *testing.T) {
		c := f.certificate(1)
		c.Holder.IDSalt = ""
		a, b := mustBuild(t, c), mustBuild(t, c)
		if bytes.Equal(a, b) {
			t.Fatal("two credentials of one holder share an ID hash salt")
		}
	})
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestBuildOpenBadgeValidation(t *testing.T) {
	f := newIssuerFixture(t, "inst-1")
	tests := []struct {
		name   string
		mutate func(*Certificate)
		field  string
		code   string
	}{
		{"short number", func(c *Certificate) { c.Number = "Y0000" }, "number", "invalid"},
		{"number of a social org", func(c *Certificate) { c.Number = "S" + c.Number[1:] }, "", ""},
		{"number of another level", func(c *Certificate) { c.Level = 3 }, "number", "level_mismatch"},
		{"level 6", func(c *Certificate) { c.Level = 6 }, "level", "invalid"},
		{"no holder", func(c *Certificate) { c.Holder.Name = " " }, "holder.name", "required"},
		{"no occupation", func(c *Certificate) { c.Occupation.Code = "" }, "occupation.code", "required"},
		{"no institution", func(c *Certificate) { c.Institution.Name = "" }, "institution.name", "required"},
		{"no issue date", func(c *Certificate) { c.IssuedOn = time.Time{} }, "issued_on", "required"},
		{"negative index", func(c *Certificate) { c.StatusListIndex = -1 }, "status_list_index", "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := f.certificate(1)
			tc.mutate(&c)
			_, err := BuildOpenBadge(testPublicURL, c)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var pe *platform.Error
			if !errors.As(err, &pe) || pe.Code != "validation_failed" {
				t.Fatalf("error = %v, want validation_failed", err)
			}
			if !slices.ContainsFunc(pe.Fields, func(fe platform.FieldError) bool { return fe.Field == tc.field && fe.Code == tc.code }) {
				t.Fatalf("fields = %+v, want %s/%s", pe.Fields, tc.field, tc.code)
			}
		})
	}
	for _, u := range []string{"", "skillcert.example", "ftp://skillcert.example", "https://"} {
		if _, err := BuildOpenBadge(u, f.certificate(1)); err == nil || !strings.Contains(err.Error(), "public URL") {
			t.Errorf("BuildOpenBadge(%q) error = %v, want a public URL error", u, err)
		}
	}
}
