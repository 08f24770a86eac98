package credential

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

// JSON-LD contexts and schema of an OpenBadgeCredential.
const (
	ContextVC2 = "https://www.w3.org/ns/credentials/v2"
	ContextOB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
	schemaOB3  = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)

// chinaTime is China Standard Time. A fixed zone, because certificate dates are Beijing dates and
// minimal containers may lack the tz database.
var chinaTime = time.FixedZone("CST", 8*60*60)

// levelNames are the printed names of the five skill levels (一级 is the highest).
var levelNames = [...]string{1: "一级/高级技师", 2: "二级/技师", 3: "三级/高级工", 4: "四级/中级工", 5: "五级/初级工"}

// LevelName returns the printed name of a skill level 1–5, e.g. 4 → "四级/中级工", or "" for others.
func LevelName(level int) string {
	if level < 1 || level > 5 {
		return ""
	}
	return levelNames[level]
}

// Certificate is what a credential states about one issued certificate.
type Certificate struct {
	// Number is the 22-character certificate number; its 16th character is the level.
	Number      string
	Holder      Holder
	Occupation  Occupation
	Level       int
	Institution Institution
	// IssuedOn is the issue date on the certificate; its date in China Standard Time counts.
	IssuedOn time.Time
	// ValidFrom is when the credential takes effect; zero means the start of IssuedOn's day (CST).
	ValidFrom time.Time
	// StatusListIndex is the certificate's entry in its institution's status list.
	StatusListIndex int
}

// Holder is the person the certificate belongs to. The credential is the holder's own, so it names
// them in full.
type Holder struct {
	Name string
	// IDNumber, when set, goes into the credential only as an OB 3.0 salted SHA-256 identity hash, so
	// a relying party holding the ID card can match it. The salt is published with the hash and an ID
	// number has little entropy: the hash deters casual reading, not a determined search.
	IDNumber string
	// IDSalt salts IDNumber's hash; empty means a random one.
	IDSalt string
}

// Occupation is the occupation of the national classification the certificate is for.
type Occupation struct {
	Code    string // e.g. "6-31-01-03"
	Name    string // e.g. "电工"
	Subtype string // the work type within the occupation; "" or "--" when none
}

// Institution is the evaluating institution that issues the certificate.
type Institution struct {
	ID   string // SkillCert's id of the institution (tenant)
	Name string // the name as filed
	URL  string // its own web site, optional
}

// CredentialURL is a credential's id: the public verification page of the certificate number.
func CredentialURL(publicURL, number string) string {
	return strings.TrimRight(publicURL, "/") + "/verify/" + url.PathEscape(number)
}

// IssuerID is the issuer id of an institution; proofs name its keys as IssuerID + "#" + kid.
func IssuerID(publicURL, institutionID string) string {
	return strings.TrimRight(publicURL, "/") + "/issuers/" + url.PathEscape(institutionID)
}

// StatusListURL is where an institution's signed revocation status list credential is served.
func StatusListURL(publicURL, institutionID string) string {
	return strings.TrimRight(publicURL, "/") + "/api/v1/public/status-lists/" + url.PathEscape(institutionID)
}

var numberPattern = regexp.MustCompile(`^[YS][0-9A-Z]{4}[0-9]{2}[0-9A-Z]{6}[0-9]{2}[1-5][0-9]{6}$`)

// Validate checks the fields a credential needs, as field errors (a 422 validation_failed).
func (c Certificate) Validate() error {
	var v platform.Validation
	if v.Check(numberPattern.MatchString(c.Number), "number", "invalid", "certificate number must have 22 characters as filed") {
		v.Check(c.Number[15:16] == strconv.Itoa(c.Level), "number", "level_mismatch", "the 16th character of the number must be the level")
	}
	v.Check(strings.TrimSpace(c.Holder.Name) != "", "holder.name", "required", "holder name is required")
	v.Check(c.Occupation.Code != "", "occupation.code", "required", "occupation code is required")
	v.Check(c.Occupation.Name != "", "occupation.name", "required", "occupation name is required")
	v.Check(LevelName(c.Level) != "", "level", "invalid", "level must be 1 to 5")
	v.Check(c.Institution.ID != "", "institution.id", "required", "institution id is required")
	v.Check(c.Institution.Name != "", "institution.name", "required", "institution name is required")
	v.Check(!c.IssuedOn.IsZero(), "issued_on", "required", "issue date is required")
	v.Check(c.StatusListIndex >= 0, "status_list_index", "invalid", "status list index must not be negative")
	return v.Err()
}

type obCredential struct {
	Context           []string           `json:"@context"`
	ID                string             `json:"id"`
	Type              []string           `json:"type"`
	Name              string             `json:"name"`
	Description       string             `json:"description"`
	Issuer            obProfile          `json:"issuer"`
	ValidFrom         string             `json:"validFrom"`
	AwardedDate       string             `json:"awardedDate"`
	CredentialSubject obSubject          `json:"credentialSubject"`
	CredentialStatus  statusEntry        `json:"credentialStatus"`
	CredentialSchema  []credentialSchema `json:"credentialSchema"`
}

type obProfile struct {
	ID   string   `json:"id"`
	Type []string `json:"type"`
	Name string   `json:"name"`
	URL  string   `json:"url,omitempty"`
}

type obSubject struct {
	Type          []string         `json:"type"`
	Identifier    []identityObject `json:"identifier"`
	Achievement   obAchievement    `json:"achievement"`
	LicenseNumber string           `json:"licenseNumber"`
}

type identityObject struct {
	Type         string `json:"type"`
	IdentityHash string `json:"identityHash"`
	IdentityType string `json:"identityType"`
	Hashed       bool   `json:"hashed"`
	Salt         string `json:"salt,omitempty"`
}

type obAchievement struct {
	ID              string     `json:"id"`
	Type            []string   `json:"type"`
	AchievementType string     `json:"achievementType"`
	Name            string     `json:"name"`
	Description     string     `json:"description"`
	Criteria        obCriteria `json:"criteria"`
	HumanCode       string     `json:"humanCode"`
	Specialization  string     `json:"specialization,omitempty"`
	Tag             []string   `json:"tag"`
	InLanguage      string     `json:"inLanguage"`
}

type obCriteria struct {
	Narrative string `json:"narrative"`
}

// statusEntry is a BitstringStatusListEntry.
type statusEntry struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

type credentialSchema struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// BuildOpenBadge returns the unsigned OpenBadgeCredential of a certificate, ids derived from
// publicURL (the deployment's public base URL): sign it with the institution's KeyRing. The
// occupation at the level is the achievement (an OB 3.0 "Certification"); the holder is named by an
// IdentityObject, as AchievementSubject has no name; the number is the licenseNumber.
func BuildOpenBadge(publicURL string, c Certificate) ([]byte, error) {
	if u, err := url.Parse(publicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, platform.E(platform.KindInternal, "bad_public_url", "public URL must be an absolute http(s) URL")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	level := LevelName(c.Level)
	subtype := strings.TrimSpace(c.Occupation.Subtype)
	if subtype == "--" {
		subtype = ""
	}
	title := c.Occupation.Name
	if subtype != "" {
		title += "（" + subtype + "）"
	}
	achievementID := strings.TrimRight(publicURL, "/") + "/occupations/" + url.PathEscape(c.Occupation.Code) + "/levels/" + strconv.Itoa(c.Level)
	if subtype != "" {
		achievementID += "/" + url.PathEscape(subtype)
	}
	issuedOn := c.IssuedOn.In(chinaTime)
	issuedOn = time.Date(issuedOn.Year(), issuedOn.Month(), issuedOn.Day(), 0, 0, 0, 0, chinaTime)
	validFrom := c.ValidFrom
	if validFrom.IsZero() {
		validFrom = issuedOn
	}
	identifiers := []identityObject{{Type: "IdentityObject", IdentityHash: c.Holder.Name, IdentityType: "name", Hashed: false}}
	if c.Holder.IDNumber != "" {
		salt := c.Holder.IDSalt
		if salt == "" {
			b := make([]byte, 16)
			_, _ = rand.Read(b) // never fails (it panics instead)
			salt = hex.EncodeToString(b)
		}
		sum := sha256.Sum256([]byte(c.Holder.IDNumber + salt))
		identifiers = append(identifiers, identityObject{
			Type: "IdentityObject", IdentityHash: "sha256$" + hex.EncodeToString(sum[:]),
			IdentityType: "nationalIdentityNumber", Hashed: true, Salt: salt,
		})
	}
	listURL := StatusListURL(publicURL, c.Institution.ID)
	index := strconv.Itoa(c.StatusListIndex)
	cred := obCredential{
		Context:     []string{ContextVC2, ContextOB3},
		ID:          CredentialURL(publicURL, c.Number),
		Type:        []string{"VerifiableCredential", "OpenBadgeCredential"},
		Name:        "职业技能等级证书",
		Description: fmt.Sprintf("%s颁发的%s（%s）职业技能等级证书，证书编号 %s。", c.Institution.Name, title, level, c.Number),
		Issuer: obProfile{
			ID: IssuerID(publicURL, c.Institution.ID), Type: []string{"Profile"},
			Name: c.Institution.Name, URL: c.Institution.URL,
		},
		ValidFrom:   validFrom.In(chinaTime).Truncate(time.Second).Format(time.RFC3339),
		AwardedDate: issuedOn.Format(time.RFC3339),
		CredentialSubject: obSubject{
			Type:       []string{"AchievementSubject"},
			Identifier: identifiers,
			Achievement: obAchievement{
				ID:              achievementID,
				Type:            []string{"Achievement"},
				AchievementType: "Certification",
				Name:            title + " " + level,
				Description:     fmt.Sprintf("职业技能等级认定：%s %s（职业编码 %s）。", title, level, c.Occupation.Code),
				Criteria: obCriteria{Narrative: fmt.Sprintf(
					"按国家职业技能标准参加%s（%s）职业技能等级认定，理论知识考试和操作技能考核成绩均合格。", title, level)},
				HumanCode:      c.Occupation.Code,
				Specialization: subtype,
				Tag:            []string{c.Occupation.Name, level},
				InLanguage:     "zh-CN",
			},
			LicenseNumber: c.Number,
		},
		CredentialStatus: statusEntry{
			ID:                   listURL + "#" + index,
			Type:                 "BitstringStatusListEntry",
			StatusPurpose:        StatusPurposeRevocation,
			StatusListIndex:      index,
			StatusListCredential: listURL,
		},
		CredentialSchema: []credentialSchema{{ID: schemaOB3, Type: "1EdTechJsonSchemaValidator2019"}},
	}
	return marshalIndent(cred)
}

// marshalIndent is marshalJSON indented by two spaces, the layout of every document this package writes.
func marshalIndent(v any) ([]byte, error) {
	b, err := marshalJSON(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
