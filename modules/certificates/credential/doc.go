// Package credential is the cryptographic core of SkillCert certificates: it turns a certificate into a
// signed, independently verifiable credential and checks such credentials. It does no I/O of its own
// beyond reading or creating the master key file; the certificates module stores keys and status lists
// and implements Resolver against its database.
//
// Standards, and why each was chosen:
//
//   - W3C Verifiable Credentials Data Model 2.0 in the 1EdTech Open Badges 3.0 shape
//     (OpenBadgeCredential; the occupation and level are the achievement). Wallets and employers'
//     systems already understand OB 3.0; the VC 2.0 base context keeps it a plain W3C credential.
//   - W3C Data Integrity EdDSA Cryptosuites v1.0, suite eddsa-jcs-2022: Ed25519 over SHA-256 of the
//     RFC 8785 (JCS) canonical proof configuration and document. JCS rather than RDF canonicalization
//     because it needs no JSON-LD context loading, so verification works offline and cannot be steered
//     by fetching remote contexts. The signer reproduces the W3C test vectors byte for byte.
//   - Keys: Ed25519 (RFC 8032). A key's kid is its RFC 7638 JWK thumbprint (base64url SHA-256 of the
//     canonical public JWK), so it is derived from the key, globally unique and checkable by anyone. The
//     public keys are published as a JWKS (RFC 7517, OKP keys per RFC 8037). A proof's
//     verificationMethod is "<issuer id>#<kid>", binding the key to the institution that issued it;
//     the issuer id is a URL serving the issuer's controller document (W3C Controlled Identifiers,
//     see ControllerDocument), which lists every key as a Multikey for assertionMethod.
//     Private keys are sealed at rest with AES-256-GCM under a 32-byte master key, the kid being the
//     additional data so a sealed key cannot be passed off as another. Keys rotate: retired keys keep
//     verifying what they signed before retirement and never sign again.
//   - W3C Bitstring Status List v1.0 for revocation: each institution publishes one signed
//     BitstringStatusListCredential, a GZIP'd bitstring of at least 131,072 entries, so a verifier learns
//     a credential's status without telling the issuer which credential it looks at.
//
// Verify answers with stable reason codes (Reason*) so the public verification endpoint can say why a
// credential is not valid.
package credential
