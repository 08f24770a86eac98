// Package directory is the platform's register of tenants: creating an institution or regulator with its
// first administrator, listing them, resolving a slug, and the status a regulator's decision changes.
package directory

import (
	"regexp"
	"strings"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

// Permissions of the directory, as routes, the console and policies/roles/*.csv name them.
const (
	PermTenantCreate = "tenant:create" // register a tenant with its first administrator
	PermTenantList   = "tenant:list"   // list the register
	PermTenantStatus = "tenant:status" // suspend or reinstate a tenant (the platform operator)
)

// SortCreatedAt is the sort key of List (the only one: the register lists in order of creation).
const SortCreatedAt = "created_at"

// Filter narrows List; the zero value lists every tenant.
type Filter struct {
	Kind tenants.Kind // only tenants of this kind ("" for all)
	// RegionCode narrows to tenants whose region lies in it (its jurisdiction prefix: 460000 → "46").
	RegionCode string
}

// NewTenant is the input to create a tenant.
type NewTenant struct {
	Slug       string
	Name       string
	Kind       tenants.Kind
	RegionCode string
	CreditCode string
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// Errors of the tenant directory.
var (
	ErrSlugTaken = platform.Conflict("slug_taken", "a tenant with this slug exists")
	ErrNotFound  = platform.NotFound("tenant")
)

// Validate checks a new tenant and normalises it (trimmed, credit code upper-cased).
func (n *NewTenant) Validate() error {
	n.Slug = strings.TrimSpace(n.Slug)
	n.Name = strings.TrimSpace(n.Name)
	n.CreditCode = strings.ToUpper(strings.TrimSpace(n.CreditCode))
	var v platform.Validation
	v.Check(slugPattern.MatchString(n.Slug), "slug", "format", "2–63 lower-case letters, digits and '-', starting with a letter or digit")
	v.Check(n.Name != "" && len([]rune(n.Name)) <= 200, "name", "required", "a name of 1–200 characters is required")
	if v.Check(n.Kind.Valid() && n.Kind != tenants.KindPlatform, "kind", "invalid", "kind must be enterprise, social_org, school or regulator") {
		v.Check(regions.Valid(n.RegionCode), "region_code", "unknown_region", "region_code must be a 6-digit GB/T 2260 code in use")
	}
	if n.CreditCode != "" {
		v.Check(ValidCreditCode(n.CreditCode), "credit_code", "checksum", "not a valid 18-character unified social credit code (GB 32100 check character)")
	}
	return v.Err()
}

// creditAlphabet is GB 32100-2015's character set: digits and capitals without I, O, Z, S, V.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ValidCreditCode checks an 18-character unified social credit code: alphabet, the administrative
// division part (characters 3–8) being digits, and the GB 32100 MOD 31 check character.
func ValidCreditCode(code string) bool {
	if len(code) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditAlphabet, code[i])
		if v < 0 {
			return false
		}
		if i >= 2 && i < 8 && (code[i] < '0' || code[i] > '9') {
			return false
		}
		sum += v * creditWeights[i]
	}
	check := (31 - sum%31) % 31
	return code[17] == creditAlphabet[check]
}
