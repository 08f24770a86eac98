package certificates

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/skillcert/skillcert/modules/certificates/credential"
)

// buildPostCredential returns the unsigned OpenBadgeCredential of an enterprise's own post certificate
// (一岗双证). credential.BuildOpenBadge describes the national certificate and insists on its
// 22-character number; a post certificate has the enterprise's own number and title, and its
// achievement is the post, not the national occupation level. Everything a verifier relies on is the
// same: the issuer, the status list entry, the subject's identity objects and the proof (signed by the
// same institution key ring).
func buildPostCredential(publicURL string, c credential.Certificate, title, post string) ([]byte, error) {
	base := strings.TrimRight(publicURL, "/")
	issuedOn := c.IssuedOn.In(chinaTime)
	issuedOn = time.Date(issuedOn.Year(), issuedOn.Month(), issuedOn.Day(), 0, 0, 0, 0, chinaTime)
	level := credential.LevelName(c.Level)
	identifiers := []map[string]any{{"type": "IdentityObject", "identityHash": c.Holder.Name, "identityType": "name", "hashed": false}}
	if c.Holder.IDNumber != "" {
		salt := make([]byte, 16)
		_, _ = rand.Read(salt)
		s := hex.EncodeToString(salt)
		sum := sha256.Sum256([]byte(c.Holder.IDNumber + s))
		identifiers = append(identifiers, map[string]any{"type": "IdentityObject", "identityHash": "sha256$" + hex.EncodeToString(sum[:]),
			"identityType": "nationalIdentityNumber", "hashed": true, "salt": s})
	}
	listURL := credential.StatusListURL(publicURL, c.Institution.ID)
	index := strconv.Itoa(c.StatusListIndex)
	issuer := map[string]any{"id": credential.IssuerID(publicURL, c.Institution.ID), "type": []string{"Profile"}, "name": c.Institution.Name}
	if c.Institution.URL != "" {
		issuer["url"] = c.Institution.URL
	}
	doc := map[string]any{
		"@context":    []string{credential.ContextVC2, credential.ContextOB3},
		"id":          credential.CredentialURL(publicURL, c.Number),
		"type":        []string{"VerifiableCredential", "OpenBadgeCredential"},
		"name":        title,
		"description": fmt.Sprintf("%s颁发的%s（岗位：%s；%s %s），证书编号 %s。", c.Institution.Name, title, post, c.Occupation.Name, level, c.Number),
		"issuer":      issuer,
		"validFrom":   issuedOn.Format(time.RFC3339),
		"awardedDate": issuedOn.Format(time.RFC3339),
		"credentialSubject": map[string]any{
			"type":       []string{"AchievementSubject"},
			"identifier": identifiers,
			"achievement": map[string]any{
				"id":              base + "/issuers/" + url.PathEscape(c.Institution.ID) + "/posts/" + url.PathEscape(post),
				"type":            []string{"Achievement"},
				"achievementType": "Certificate",
				"name":            title + "：" + post,
				"description":     fmt.Sprintf("一岗双证：%s岗位能力认定，对应职业技能等级 %s %s（职业编码 %s）。", post, c.Occupation.Name, level, c.Occupation.Code),
				"criteria":        map[string]any{"narrative": fmt.Sprintf("通过%s（%s）职业技能等级认定，并经%s岗位评价合格。", c.Occupation.Name, level, c.Institution.Name)},
				"humanCode":       c.Number,
				"tag":             []string{post, c.Occupation.Name, level},
				"inLanguage":      "zh-CN",
			},
			"licenseNumber": c.Number,
		},
		"credentialStatus": map[string]any{
			"id": listURL + "#" + index, "type": "BitstringStatusListEntry", "statusPurpose": credential.StatusPurposeRevocation,
			"statusListIndex": index, "statusListCredential": listURL,
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// chinaTime is China Standard Time: certificate dates are Beijing dates, and a fixed zone needs no
// time zone database in minimal containers.
var chinaTime = time.FixedZone("CST", 8*60*60)
