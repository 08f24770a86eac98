package certificates_test

// An outside verifier of Data Integrity proofs, written from the W3C specifications alone and sharing
// no code with the signer (modules/certificates/credential): it imports nothing of SkillCert, only the
// standard library, github.com/gowebpki/jcs (RFC 8785) and github.com/mr-tron/base58. It follows
//
//   - Verifiable Credential Data Integrity 1.0, §4.6 Verify Proof;
//   - Data Integrity EdDSA Cryptosuites v1.0, §3.3 eddsa-jcs-2022 (Verify Proof, Transformation,
//     Hashing, Proof Configuration);
//   - Controlled Identifiers v1.0, §3.3 Retrieve Verification Method and §3.4 Fragment Resolution:
//     the proof's verificationMethod is dereferenced over HTTP, as any verifier on the Internet would;
//   - Verifiable Credentials Data Model 2.0: the verification method's controller is the issuer.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"

	"github.com/gowebpki/jcs"
	"github.com/mr-tron/base58"
)

// Failures of w3cVerify, to tell them apart in tests.
var (
	errW3CMalformed     = errors.New("malformed secured document")
	errW3CResolve       = errors.New("verification method cannot be retrieved")
	errW3CNotIssuerKey  = errors.New("verification method is not controlled by the issuer")
	errW3CBadSignature  = errors.New("signature does not verify")
	errW3CUnsupported   = errors.New("unsupported proof")
	errW3CNotAssertion  = errors.New("verification method is not for assertionMethod")
	errW3CBadController = errors.New("not a conforming controlled identifier document")
)

// w3cVerify checks the one eddsa-jcs-2022 proof of secured, resolving its verification method with
// client, and returns the verification method it used.
func w3cVerify(ctx context.Context, client *http.Client, secured []byte) (string, error) {
	var doc map[string]json.RawMessage
	if err := strictUnmarshal(secured, &doc); err != nil {
		return "", fmt.Errorf("%w: %v", errW3CMalformed, err)
	}
	var proof map[string]json.RawMessage
	if err := strictUnmarshal(doc["proof"], &proof); err != nil {
		return "", fmt.Errorf("%w: proof is not one object: %v", errW3CMalformed, err)
	}
	str := func(m map[string]json.RawMessage, name string) string {
		var s string
		_ = json.Unmarshal(m[name], &s)
		return s
	}
	if str(proof, "type") != "DataIntegrityProof" || str(proof, "cryptosuite") != "eddsa-jcs-2022" {
		return "", fmt.Errorf("%w: %s / %s", errW3CUnsupported, str(proof, "type"), str(proof, "cryptosuite"))
	}
	purpose := str(proof, "proofPurpose")
	if purpose != "assertionMethod" {
		return "", fmt.Errorf("%w: proofPurpose %q for a credential", errW3CUnsupported, purpose)
	}

	// Verify Proof (eddsa-jcs-2022): the unsecured document, the proof options without proofValue.
	unsecured := cloneMembers(doc)
	delete(unsecured, "proof")
	options := cloneMembers(proof)
	delete(options, "proofValue")
	proofValue := str(proof, "proofValue")
	if len(proofValue) < 2 || proofValue[0] != 'z' {
		return "", fmt.Errorf("%w: proofValue is not multibase base58btc", errW3CMalformed)
	}
	signature, err := base58.Decode(proofValue[1:])
	if err != nil || len(signature) != ed25519.SignatureSize {
		return "", fmt.Errorf("%w: proofValue is not a 64-byte signature", errW3CBadSignature)
	}
	if pctx, ok := options["@context"]; ok {
		if !contextHasPrefix(unsecured["@context"], pctx) {
			return "", fmt.Errorf("%w: the document @context does not start with the proof's", errW3CBadSignature)
		}
		unsecured["@context"] = pctx
	}
	// Transformation: JCS of the unsecured document.
	transformed, err := jcsOf(unsecured)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errW3CMalformed, err)
	}
	// Proof Configuration: the options with the document's @context, JCS.
	config := cloneMembers(options)
	if c, ok := unsecured["@context"]; ok {
		config["@context"] = c
	}
	canonicalConfig, err := jcsOf(config)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errW3CMalformed, err)
	}
	// Hashing: SHA-256 of the proof configuration, then of the document, concatenated.
	configHash := sha256.Sum256(canonicalConfig)
	docHash := sha256.Sum256(transformed)
	hashData := append(configHash[:], docHash[:]...)

	vmID := str(proof, "verificationMethod")
	vm, err := retrieveVerificationMethod(ctx, client, vmID, purpose)
	if err != nil {
		return vmID, err
	}
	// VC Data Model 2.0: the key must be the issuer's.
	var issuer string
	if err := json.Unmarshal(doc["issuer"], &issuer); err != nil {
		var obj struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(doc["issuer"], &obj); err != nil || obj.ID == "" {
			return vmID, fmt.Errorf("%w: the credential has no issuer id", errW3CMalformed)
		}
		issuer = obj.ID
	}
	if vm.Controller != issuer {
		return vmID, fmt.Errorf("%w: key controlled by %s, credential issued by %s", errW3CNotIssuerKey, vm.Controller, issuer)
	}
	pub, err := decodeEd25519Multikey(vm.PublicKeyMultibase)
	if err != nil {
		return vmID, fmt.Errorf("%w: %v", errW3CResolve, err)
	}
	if !ed25519.Verify(pub, hashData, signature) {
		return vmID, errW3CBadSignature
	}
	return vmID, nil
}

// multikeyMethod is a verification method as Controlled Identifiers §2.2.2 defines a Multikey.
type multikeyMethod struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
}

// retrieveVerificationMethod is Controlled Identifiers v1.0 §3.3.
func retrieveVerificationMethod(ctx context.Context, client *http.Client, vmIdentifier, relationship string) (multikeyMethod, error) {
	var vm multikeyMethod
	u, err := url.Parse(vmIdentifier)
	if err != nil || !u.IsAbs() || u.Fragment == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return vm, fmt.Errorf("%w: %q is not an http(s) URL with a fragment", errW3CResolve, vmIdentifier)
	}
	fragment := u.Fragment
	u.Fragment, u.RawFragment = "", ""
	controllerURL := u.String()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, controllerURL, nil)
	if err != nil {
		return vm, fmt.Errorf("%w: %v", errW3CResolve, err)
	}
	req.Header.Set("Accept", "application/ld+json, application/cid;q=0.9, application/json;q=0.8")
	res, err := client.Do(req)
	if err != nil {
		return vm, fmt.Errorf("%w: %v", errW3CResolve, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return vm, fmt.Errorf("%w: %v", errW3CResolve, err)
	}
	if res.StatusCode != http.StatusOK {
		return vm, fmt.Errorf("%w: GET %s: %s", errW3CResolve, controllerURL, res.Status)
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/ld+json" && mt != "application/cid" && mt != "application/json" {
		return vm, fmt.Errorf("%w: GET %s answered %q", errW3CBadController, controllerURL, mt)
	}
	var controllerDoc map[string]any
	if err := strictUnmarshal(body, &controllerDoc); err != nil {
		return vm, fmt.Errorf("%w: %v", errW3CBadController, err)
	}
	if id, _ := controllerDoc["id"].(string); id != controllerURL {
		return vm, fmt.Errorf("%w: id %q fetched from %s", errW3CBadController, controllerDoc["id"], controllerURL)
	}
	// §3.4 Fragment Resolution: the first map whose id is the full URL or the fragment.
	found := findByID(controllerDoc, vmIdentifier, "#"+fragment)
	if found == nil {
		return vm, fmt.Errorf("%w: %s has no %s", errW3CResolve, controllerURL, vmIdentifier)
	}
	b, _ := json.Marshal(found)
	if err := json.Unmarshal(b, &vm); err != nil || vm.Type != "Multikey" || vm.Controller == "" || vm.PublicKeyMultibase == "" {
		return vm, fmt.Errorf("%w: %s is not a conforming Multikey: %s", errW3CResolve, vmIdentifier, b)
	}
	if absolute(u, vm.ID) != vmIdentifier {
		return vm, fmt.Errorf("%w: method id %q is not %q", errW3CResolve, vm.ID, vmIdentifier)
	}
	if absolute(u, vm.Controller) != controllerURL {
		return vm, fmt.Errorf("%w: controller %q of a method in %s", errW3CNotIssuerKey, vm.Controller, controllerURL)
	}
	related := false
	list, _ := controllerDoc[relationship].([]any)
	for _, entry := range list {
		switch entry := entry.(type) {
		case string:
			related = related || absolute(u, entry) == vmIdentifier
		case map[string]any:
			id, _ := entry["id"].(string)
			related = related || absolute(u, id) == vmIdentifier
		}
	}
	if !related {
		return vm, fmt.Errorf("%w: %s is not listed under %s", errW3CNotAssertion, vmIdentifier, relationship)
	}
	return vm, nil
}

// decodeEd25519Multikey reads publicKeyMultibase: "z" + base58btc of the multicodec ed25519-pub
// (0xed as a varint: 0xed 0x01) and the 32-byte key.
func decodeEd25519Multikey(s string) (ed25519.PublicKey, error) {
	if len(s) < 2 || s[0] != 'z' {
		return nil, fmt.Errorf("publicKeyMultibase %q is not base58btc", s)
	}
	b, err := base58.Decode(s[1:])
	if err != nil {
		return nil, err
	}
	if len(b) != 2+ed25519.PublicKeySize || b[0] != 0xed || b[1] != 0x01 {
		return nil, fmt.Errorf("publicKeyMultibase %q is not an Ed25519 public key", s)
	}
	return ed25519.PublicKey(b[2:]), nil
}

func findByID(v any, ids ...string) map[string]any {
	switch v := v.(type) {
	case map[string]any:
		if id, ok := v["id"].(string); ok && slices.Contains(ids, id) {
			return v
		}
		for _, child := range v {
			if m := findByID(child, ids...); m != nil {
				return m
			}
		}
	case []any:
		for _, child := range v {
			if m := findByID(child, ids...); m != nil {
				return m
			}
		}
	}
	return nil
}

func absolute(base *url.URL, ref string) string {
	r, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	return base.ResolveReference(r).String()
}

func contextHasPrefix(doc, proof json.RawMessage) bool {
	list := func(raw json.RawMessage) []json.RawMessage {
		var l []json.RawMessage
		if json.Unmarshal(raw, &l) != nil {
			l = []json.RawMessage{raw}
		}
		return l
	}
	d, p := list(doc), list(proof)
	if len(p) > len(d) {
		return false
	}
	for i := range p {
		a, errA := jcs.Transform(p[i])
		b, errB := jcs.Transform(d[i])
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

func jcsOf(members map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(members)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(b)
}

func cloneMembers(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// strictUnmarshal refuses anything but one JSON value.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	if v, ok := v.(*map[string]json.RawMessage); ok && *v == nil {
		return errors.New("not a JSON object")
	}
	return nil
}
