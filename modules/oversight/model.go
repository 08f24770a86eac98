package oversight

import "github.com/skillcert/skillcert/modules/oversight/core"

// Permissions of oversight, as routes, the console and policies/roles/oversight.csv name them
// (defined in core, where the route tables of the concern packages use them).
const (
	PermRead            = core.PermRead            // every regulator role: institutions in jurisdiction, reports, statistics
	PermSync            = core.PermSync            // regulator admin: the external system
	PermInspect         = core.PermInspect         // regulator admin and inspector: inspections, sampling, complaints
	PermDecide          = core.PermDecide          // regulator admin and inspector: decisions and reviews
	PermDecisionList    = core.PermDecisionList    // institution users: the decisions about them
	PermDecisionRespond = core.PermDecisionRespond // institution admin: statements and review requests
)
