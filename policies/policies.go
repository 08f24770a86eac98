// Package policies is SkillCert's authorization: the casbin model and role templates (files here,
// reviewed like code), the enforcer that answers "may this user do this action in their tenant", the
// Redis watcher that carries role changes to every running instance, and the fiber middleware that
// guards each route with its declared permission.
package policies

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/skillcert/skillcert/tenants"
)

//go:embed model.conf
var modelConf string

//go:embed roles/*.csv
var rolesFS embed.FS

// Roles each tenant kind's users may hold (API.md, Identity).
var familyRoles = map[string][]string{
	"institution": {"admin", "staff", "evaluator", "supervisor", "candidate"},
	"regulator":   {"admin", "inspector", "viewer"},
	"platform":    {"platform_admin"},
}

// RolesFor lists the roles a tenant of kind may grant.
func RolesFor(kind tenants.Kind) []string {
	return append([]string(nil), familyRoles[kind.RoleFamily()]...)
}

// ValidRole reports whether role fits a tenant of kind.
func ValidRole(kind tenants.Kind, role string) bool {
	for _, r := range familyRoles[kind.RoleFamily()] {
		if r == role {
			return true
		}
	}
	return false
}

// Subject names a user for casbin; RoleSubject names a role of a family. The prefixes keep users and
// roles in separate namespaces.
func Subject(userID string) string { return "user:" + userID }

// RoleSubject is the casbin subject of role in the role family of kind.
func RoleSubject(kind tenants.Kind, role string) string {
	return "role:" + kind.RoleFamily() + ":" + role
}

// Rule is one role-template permission.
type Rule struct {
	Role   string // "role:<family>:<name>"
	Action string // "batch:publish"
}

// Templates reads every role-template rule from roles/*.csv.
func Templates() ([]Rule, error) {
	var rules []Rule
	err := fs.WalkDir(rolesFS, "roles", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := rolesFS.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			parts := strings.Split(line, ",")
			for j := range parts {
				parts[j] = strings.TrimSpace(parts[j])
			}
			if len(parts) != 4 || parts[0] != "p" || parts[2] != "*" || !strings.HasPrefix(parts[1], "role:") ||
				!strings.Contains(parts[3], ":") {
				return fmt.Errorf("%s:%d: want `p, role:<family>:<role>, *, <resource>:<verb>`, got %q", path, i+1, line)
			}
			fam := strings.Split(parts[1], ":")
			if len(fam) != 3 || !contains(familyRoles[fam[1]], fam[2]) {
				return fmt.Errorf("%s:%d: unknown role %q", path, i+1, parts[1])
			}
			rules = append(rules, Rule{Role: parts[1], Action: parts[3]})
		}
		return nil
	})
	sort.Slice(rules, func(i, j int) bool {
		if rules[i].Role != rules[j].Role {
			return rules[i].Role < rules[j].Role
		}
		return rules[i].Action < rules[j].Action
	})
	return rules, err
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
