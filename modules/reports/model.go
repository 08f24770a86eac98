// Package reports is the outbox of what institutions report to their regulators (DOMAIN.md step 6–7):
// a module that changes something reportable calls Emit inside the same transaction, so the change and
// its report commit together or not at all. Delivery (to the regulator's report store and external
// system) is the oversight module's job; it reads the outbox in order per institution.
package reports

// Kind names a reportable event.
type Kind string

// Reportable events (issue: filing submitted and decided, batch published, results published,
// certificate issued, revoked or reissued, decision).
const (
	FilingSubmitted     Kind = "filing.submitted"
	FilingDecided       Kind = "filing.decided"
	BatchPublished      Kind = "batch.published"
	ResultsPublished    Kind = "results.published"
	BatchFinalized      Kind = "batch.finalized"
	CertificateIssued   Kind = "certificate.issued"
	CertificateRevoked  Kind = "certificate.revoked"
	CertificateReissued Kind = "certificate.reissued"
	DecisionMade        Kind = "decision.made"
	AuditCheckpoint     Kind = "audit.checkpoint" // a signed head of the institution's audit chain (modules/audit)
)
