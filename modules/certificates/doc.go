// Package certificates issues what an institution certifies and what the public trusts (DOMAIN.md
// step 6): the 22-character national numbers, the one-page PDF with its QR code, the signed Open
// Badges 3.0 credential, public verification by number and by credential, revocation and reissue, and
// an enterprise's own post certificates (一岗双证).
//
// # Issuance, exactly once
//
// Finalizing a batch (the batches module calls OnFinalized inside its transaction) writes one
// pending certificate per passed application, keyed on the application so a repeated call adds
// nothing, grouped in chunks of at most ChunkSize; each chunk row is the outbox entry of one task.
// The task (TaskIssueChunk) issues its chunk in ONE tenant transaction: it locks the chunk's pending
// rows, allocates the numbers from a counter row per institution, series, year and level (an upsert
// whose row lock serialises allocators until commit), renders the PDFs, signs the credentials, and
// moves each certificate from pending to issued with a conditional UPDATE … WHERE status =
// 'pending'. A crash anywhere rolls all of it back, counters included, so numbers have no gaps; a
// retried or doubly delivered task finds nothing pending and does nothing, so no certificate or
// number is made twice. The reconciler (TaskReconcile, every 10 seconds) re-enqueues chunks left
// pending — a crashed worker (its lease on the chunk expired), a task the queue lost (a Redis
// restart), a failed attempt — while it leaves alone a chunk whose task still waits in the queue, so
// issuance resumes within half a minute and nothing waits forever.
//
// # Verification
//
// Public lookups read certificate_lookup, a table keyed by number that holds only what the lookup
// shows (the holder's masked name and a salted hash of the full name, never the ID number). It is
// written in the transactions that issue and revoke, so a revocation shows at once, and it is read
// with exactly one primary-key SELECT without a transaction: the public lookup is the hottest,
// unauthenticated path, and RLS over the tenant tables would need a transaction and set_config round
// trips for rows that are public anyway. Its row-level security still lets a tenant write only its
// own rows.
//
// Each institution signs with its own Ed25519 keys (sealed at rest under the master key), publishes
// them at /.well-known/skillcert/keys and at its issuer id (/issuers/{id}, a controller document that
// resolves its proofs' verificationMethod; see issuer.go), and serves a signed Bitstring Status List;
// see the credential subpackage. The render subpackage draws the PDF.
package certificates
