// Package core is what every part of oversight shares: the regulator's jurisdiction and the read-only
// oversight transaction over it, the tenant register as oversight reads it, the permissions, and
// the small helpers of time, keys and cursors that more than one part needs. The concern packages
// (institutions, inbox, delivery, stats, supervision, decisions, crosscheck, reconcile) import it; it
// imports none of them.
package core

import (
	"github.com/skillcert/skillcert/modules/platform"
)

// Permissions of oversight, as routes, the console and policies/roles/oversight.csv name them.
// Regulators hold only oversight actions; institutions see and answer the decisions about them.
const (
	PermRead            = "oversight:read"    // every regulator role: institutions in jurisdiction, reports, statistics
	PermSync            = "oversight:sync"    // regulator admin: the external system
	PermInspect         = "oversight:inspect" // regulator admin and inspector: inspections, sampling, complaints
	PermDecide          = "oversight:decide"  // regulator admin and inspector: decisions and reviews
	PermDecisionList    = "decision:list"     // institution users: the decisions about them
	PermDecisionRespond = "decision:respond"  // institution admin: statements and review requests
)

// Tag is the OpenAPI tag of the regulator's operations.
const Tag = "oversight"

// ErrInstitutionNotFound is the 404 of an institution outside the jurisdiction (never reveal that it
// exists) or unknown.
var ErrInstitutionNotFound = platform.NotFound("institution")

// BadParam is the 400 of a malformed query parameter.
func BadParam(field, msg string) error {
	return &platform.Error{Kind: platform.KindInvalid, Code: "invalid_parameter", Message: msg,
		Fields: []platform.FieldError{{Field: field, Code: "format", Message: msg}}}
}
