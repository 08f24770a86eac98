// Package oversight is the regulator's side of SkillCert (DOMAIN.md, "Who uses it" and step 7): a
// human-resources bureau sees every institution in its jurisdiction, changes none of their records,
// receives what they report, and supervises.
//
// # Jurisdiction and read-only access
//
// A regulator's jurisdiction is drawn from its region code (regions.JurisdictionPrefix: 110000 → every
// institution whose code starts "11"; 110105 → that district). Every read of institution data runs in
// tenants.OversightTx: a READ ONLY transaction, as the application role without BYPASSRLS, whose
// row-level-security context lists exactly the institutions in jurisdiction. A handler that forgot its
// WHERE clause would still see nothing else, and could write nothing. The casbin role templates
// (policies/roles/oversight.csv) give regulators only oversight actions and read verbs.
//
// # Reports
//
// Institutions write reportable events to report_outbox in the transaction of the change
// (modules/reports). The dispatcher (Dispatch, run by the oversight:dispatch task every few seconds)
// takes each institution's pending events in order and, in one transaction per institution, appends a
// copy to the report store of every regulator whose jurisdiction covers it (district, city and
// province), hash-chained per regulator and append-only; queues the copy for the regulator's external
// system when it has one; updates the report-fed facts (statistics summary, batch facts, the keyed
// person index, certificates as reported); and marks the outbox rows dispatched. Storing is therefore
// exactly once (the report id is unique per regulator).
//
// Delivery to an external system (Deliver, oversight:deliver) is at least once, in order per
// institution: each regulator × institution pair is a stream whose head must succeed before the next
// report is sent. Failures back off exponentially with jitter; a head failing for longer than
// Options.DeadAfter is dead-lettered (metric skillcert_sync_dead_letters_total, an alert in the
// endpoint's state) and its stream waits until the regulator resumes. Requests carry
// Idempotency-Key (the report id) and X-SkillCert-Signature (HMAC-SHA256 of the body). Targets that
// resolve to private, loopback or link-local addresses are refused, at configuration and again at
// every connection (the checked address is the one dialled, so DNS rebinding cannot redirect it),
// unless Options.AllowPrivate.
//
// # Supervision
//
// Reconciliation (daily) compares what institutions hold with what they reported, per day and
// institution; cross-institution checks flag one person holding the same occupation and level from two
// institutions (一人多证) and repeat testing (重复考证) by a keyed hash of the id number; statistics
// come from a summary maintained one report at a time; inspections, double-random sampling,
// complaints, monitoring scores and decisions are the regulator's own records. A decision is applied
// by the system (tenant status, certificate revocation), copied to the institution, which may answer
// with a statement and ask for review, and audited on both sides.
//
// # Layout
//
// This package is the facade: New builds one service per concern and wires them to each other and to
// the other modules (Deps); Routes mounts their HTTP handlers; Tasks registers their jobs. The
// concerns live in sub-packages, each with the module anatomy (model.go, service.go, store.go,
// view.go, http.go):
//
//   - core: the jurisdiction, the read-only oversight transaction, the tenant register as oversight
//     reads it, the permissions and shared helpers. Every other sub-package imports it.
//   - institutions: the regulator's view of institutions (register, audit, batches, certificates) and
//     Records, the one reader of the lifecycle modules' tables.
//   - facts: what reports feed (person index, statistics summary, batch facts, reported certificates).
//   - inbox: the dispatcher and the regulators' hash-chained report stores.
//   - delivery: the sync endpoint — deliveries to external systems, the address guard, replays.
//   - stats: statistics and their CSV/XLSX exports.
//   - supervision: inspections, findings, sampling, complaints, monitoring scores.
//   - decisions: regulators' decisions and the institutions' answers.
//   - crosscheck: the cross-institution checks (一人多证, 重复考证) and their flags.
//   - reconcile: reconciliation of holdings with reports.
//
// Sub-packages call each other through small interfaces they own (inbox.Outbound, supervision.Differences,
// reconcile.Holdings, …), wired here. Oversight's reads of other modules' tables are pinned column by
// column by schema_pin_test.go.
package oversight
