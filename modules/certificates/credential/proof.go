package credential

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

// Data Integrity proof constants of the eddsa-jcs-2022 suite.
const (
	ProofType             = "DataIntegrityProof"
	Cryptosuite           = "eddsa-jcs-2022"
	ProofPurposeAssertion = "assertionMethod"
)

// ProofOptions are the signer's choices for a proof. The document's @context is copied into the proof
// by Sign, as the suite requires.
type ProofOptions struct {
	// VerificationMethod is the URL of the public key, "<issuer id>#<kid>" for SkillCert keys.
	VerificationMethod string
	// Created is when the proof was made; it is written in UTC to the second. Zero omits it.
	Created time.Time
	// Purpose is the proof purpose; empty means assertionMethod, the purpose of an issuer's claims.
	Purpose string
}

// proofConfig is a proof as Sign writes it. The field order is the order of the W3C test vector, so
// a signed document reads the same as the specification's examples.
type proofConfig struct {
	Type               string          `json:"type"`
	Cryptosuite        string          `json:"cryptosuite"`
	Created            string          `json:"created,omitempty"`
	VerificationMethod string          `json:"verificationMethod"`
	ProofPurpose       string          `json:"proofPurpose"`
	Context            json.RawMessage `json:"@context,omitempty"`
	ProofValue         string          `json:"proofValue,omitempty"`
}

// Sign adds an eddsa-jcs-2022 DataIntegrityProof to doc, a JSON object without a proof, and returns
// the secured document indented by two spaces, the document's members first in their original order
// and "proof" last. Following the suite: the proof configuration (the proof without proofValue, with
// the document's @context) and the document are each JCS-canonicalized and hashed with SHA-256; the
// Ed25519 signature of proofHash||docHash, base58btc-encoded, is the proofValue.
func Sign(doc []byte, key ed25519.PrivateKey, opts ProofOptions) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, platform.E(platform.KindInternal, "bad_signing_key", "signing key is not an Ed25519 private key")
	}
	if opts.VerificationMethod == "" {
		return nil, platform.E(platform.KindInternal, "bad_proof_options", "verificationMethod is required")
	}
	members, err := parseObject(doc)
	if err != nil {
		return nil, platform.Wrap(platform.KindUnprocessable, ReasonMalformed, "document is not a JSON object", err)
	}
	if _, ok := members["proof"]; ok {
		return nil, platform.E(platform.KindUnprocessable, "already_signed", "document already has a proof")
	}
	pc := proofConfig{
		Type:               ProofType,
		Cryptosuite:        Cryptosuite,
		VerificationMethod: opts.VerificationMethod,
		ProofPurpose:       opts.Purpose,
		Context:            members["@context"],
	}
	if pc.ProofPurpose == "" {
		pc.ProofPurpose = ProofPurposeAssertion
	}
	if !opts.Created.IsZero() {
		pc.Created = formatTime(opts.Created)
	}
	pcJSON, err := marshalJSON(pc)
	if err != nil {
		return nil, err
	}
	pcMembers, err := parseObject(pcJSON)
	if err != nil {
		return nil, err
	}
	msg, err := hashData(members, pcMembers)
	if err != nil {
		return nil, err
	}
	pc.ProofValue = encodeBase58btc(ed25519.Sign(key, msg))
	proof, err := marshalJSON(pc)
	if err != nil {
		return nil, err
	}
	return appendMember(doc, "proof", proof)
}

// VerifyProof checks the eddsa-jcs-2022 proof of a secured document against a public key. It is the
// suite's verification algorithm only: the key's issuer, the proof purpose and the credential's status
// are Verify's concern. The error is a *platform.Error whose Code is a Reason* code.
func VerifyProof(secured []byte, pub ed25519.PublicKey) error {
	d, err := parseSecured(secured)
	if err != nil {
		return err
	}
	return d.verify(pub)
}

// securedDoc is a parsed secured document: its members without the proof, the proof options (the
// proof without proofValue) and the decoded signature.
type securedDoc struct {
	unsecured map[string]json.RawMessage
	options   map[string]json.RawMessage
	proof     proofFields
}

// proofFields are the proof members the suite and Verify read.
type proofFields struct {
	Type, Cryptosuite, VerificationMethod, ProofPurpose, Created, Expires, ProofValue string
}

// parseSecured splits a secured document; its errors carry ReasonMalformed or ReasonUnsupportedProof.
func parseSecured(data []byte) (*securedDoc, error) {
	members, err := parseObject(data)
	if err != nil {
		return nil, reasonErr(ReasonMalformed, "not a JSON object in strict UTF-8 JSON without duplicate keys", err)
	}
	rawProof, ok := members["proof"]
	if !ok {
		return nil, reasonErr(ReasonMalformed, "the document has no proof", nil)
	}
	if first := firstByte(rawProof); first == '[' {
		return nil, reasonErr(ReasonUnsupportedProof, "proof sets are not supported: expected one proof object", nil)
	} else if first != '{' {
		return nil, reasonErr(ReasonMalformed, "proof is not an object", nil)
	}
	d := &securedDoc{unsecured: members}
	if err := json.Unmarshal(rawProof, &d.options); err != nil {
		return nil, reasonErr(ReasonMalformed, "proof is not an object", err)
	}
	for name, dst := range map[string]*string{
		"type": &d.proof.Type, "cryptosuite": &d.proof.Cryptosuite,
		"verificationMethod": &d.proof.VerificationMethod, "proofPurpose": &d.proof.ProofPurpose,
		"created": &d.proof.Created, "expires": &d.proof.Expires, "proofValue": &d.proof.ProofValue,
	} {
		if _, err := member(d.options, name, dst); err != nil {
			return nil, reasonErr(ReasonMalformed, "proof "+name+" is not a string", err)
		}
	}
	if d.proof.ProofValue == "" {
		return nil, reasonErr(ReasonMalformed, "the proof has no proofValue", nil)
	}
	delete(d.unsecured, "proof")
	delete(d.options, "proofValue")
	return d, nil
}

// verify runs the suite's Verify Proof algorithm (vc-di-eddsa §3.3.2).
func (d *securedDoc) verify(pub ed25519.PublicKey) error {
	if d.proof.Type != ProofType || d.proof.Cryptosuite != Cryptosuite {
		return reasonErr(ReasonUnsupportedProof,
			fmt.Sprintf("proof type %q with cryptosuite %q is not supported, want %s %s",
				d.proof.Type, d.proof.Cryptosuite, ProofType, Cryptosuite), nil)
	}
	sig, err := decodeBase58btc(d.proof.ProofValue)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return reasonErr(ReasonBadSignature, "proofValue is not a base58btc Ed25519 signature", err)
	}
	unsecured := d.unsecured
	if pctx, ok := d.options["@context"]; ok {
		// The proof's @context must be a prefix of the document's, and is what was signed: later
		// proofs may append contexts without breaking this one.
		if !contextStartsWith(unsecured["@context"], pctx) {
			return reasonErr(ReasonBadSignature, "the document @context does not start with the proof @context", nil)
		}
		unsecured = maps.Clone(unsecured)
		unsecured["@context"] = pctx
	}
	msg, err := hashData(unsecured, d.options)
	if err != nil {
		return reasonErr(ReasonMalformed, "the document cannot be canonicalized", err)
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, sig) {
		return reasonErr(ReasonBadSignature, "the signature does not match the document and key", nil)
	}
	if d.proof.Created != "" { // checked after the signature, so that tampering reads as such
		if _, err := parseTime(d.proof.Created); err != nil {
			return reasonErr(ReasonMalformed, "proof created is not a date-time", err)
		}
	}
	return nil
}

// canonicalForms returns the JCS forms of the proof configuration and of the document. The proof
// configuration gets the document's @context when present (vc-di-eddsa §3.3.5).
func canonicalForms(unsecured, options map[string]json.RawMessage) (proofCanon, docCanon []byte, err error) {
	config := maps.Clone(options)
	delete(config, "proofValue")
	if ctx, ok := unsecured["@context"]; ok {
		config["@context"] = ctx
	}
	if proofCanon, err = canonicalMembers(config); err != nil {
		return nil, nil, err
	}
	if docCanon, err = canonicalMembers(unsecured); err != nil {
		return nil, nil, err
	}
	return proofCanon, docCanon, nil
}

// hashData is the suite's hashing step: SHA-256(proof config) || SHA-256(document), 64 bytes, the
// proof configuration's hash first.
func hashData(unsecured, options map[string]json.RawMessage) ([]byte, error) {
	proofCanon, docCanon, err := canonicalForms(unsecured, options)
	if err != nil {
		return nil, err
	}
	proofHash := sha256.Sum256(proofCanon)
	docHash := sha256.Sum256(docCanon)
	return append(proofHash[:], docHash[:]...), nil
}

// canonicalMembers serializes an object's members and canonicalizes the result.
func canonicalMembers(m map[string]json.RawMessage) ([]byte, error) {
	b, err := marshalJSON(m)
	if err != nil {
		return nil, err
	}
	return Canonicalize(b)
}

// contextStartsWith reports whether the document @context begins with every value of the proof
// @context, in order. A lone string or object counts as a one-element list.
func contextStartsWith(doc, proof json.RawMessage) bool {
	d, p := contextList(doc), contextList(proof)
	if d == nil || p == nil || len(p) > len(d) {
		return false
	}
	for i := range p {
		a, errA := Canonicalize(p[i])
		b, errB := Canonicalize(d[i])
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

func contextList(raw json.RawMessage) []json.RawMessage {
	switch firstByte(raw) {
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		return list
	case '"', '{':
		return []json.RawMessage{raw}
	}
	return nil
}

// parseObject checks data is strict JSON (see Canonicalize) and returns the members of the top-level
// object.
func parseObject(data []byte) (map[string]json.RawMessage, error) {
	if _, err := Canonicalize(data); err != nil {
		return nil, err
	}
	if firstByte(data) != '{' {
		return nil, errMalformedJSON
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// member decodes the member name of m into v, matching the name exactly (encoding/json matches
// struct fields case-insensitively, which would let "Type" stand in for "type"). It reports whether
// the member was present.
func member(m map[string]json.RawMessage, name string, v any) (bool, error) {
	raw, ok := m[name]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

// appendMember appends "name": value as the last member of the JSON object doc and indents the result
// by two spaces; the existing members keep their order and content.
func appendMember(doc []byte, name string, value []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return nil, err
	}
	obj := bytes.TrimSuffix(buf.Bytes(), []byte("}"))
	key, err := marshalJSON(name)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write(obj)
	if len(obj) > 1 { // the object had members: "{" alone means it was empty
		out.WriteByte(',')
	}
	out.Write(key)
	out.WriteByte(':')
	out.Write(value)
	out.WriteByte('}')
	var indented bytes.Buffer
	if err := json.Indent(&indented, out.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	return indented.Bytes(), nil
}

// marshalJSON encodes v without a trailing newline and without escaping <, > and &: credentials carry
// Chinese text and URLs, and readers should see them as they are (JCS unescapes anyway).
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// firstByte returns the first byte of a JSON value that is not whitespace, or 0.
func firstByte(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// formatTime writes an XML Schema dateTimeStamp in UTC to the second, the form the VC examples use.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// parseTime reads a dateTimeStamp (RFC 3339 with a time zone, optional fractional seconds).
func parseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}
