package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

// Reason codes of Verify: stable, snake_case, what the public verification endpoint reports.
const (
	ReasonMalformed             = "malformed"               // not a JSON credential with one proof
	ReasonUnsupportedProof      = "unsupported_proof"       // not eddsa-jcs-2022, a proof set, or not assertionMethod
	ReasonUnknownKey            = "unknown_key"             // no such key (of that issuer)
	ReasonIssuerMismatch        = "issuer_mismatch"         // the key belongs to another issuer
	ReasonKeyRetired            = "key_retired"             // proof made after the key was retired
	ReasonBadSignature          = "bad_signature"           // the document or proof was altered
	ReasonProofExpired          = "proof_expired"           // the proof's expires is past
	ReasonNotYetValid           = "not_yet_valid"           // validFrom is in the future
	ReasonExpired               = "expired"                 // validUntil is past
	ReasonRevoked               = "revoked"                 // the revocation bit is set
	ReasonSuspended             = "suspended"               // the suspension bit is set
	ReasonKeyUnavailable        = "key_unavailable"         // the key lookup failed (try again)
	ReasonStatusListUnavailable = "status_list_unavailable" // the status list could not be fetched
	ReasonStatusListInvalid     = "status_list_invalid"     // the status list is unsigned, foreign or unreadable
)

// Statuses of a Result.
const (
	StatusValid     = "valid"
	StatusRevoked   = "revoked"
	StatusSuspended = "suspended"
	StatusInvalid   = "invalid" // forged, altered, malformed or out of its validity period
	StatusUnknown   = "unknown" // authentic, but its key or status could not be checked now
)

// Resolver is what Verify needs from the outside world; the certificates module implements it over
// its database.
type Resolver interface {
	// PublicKey returns the key whose kid is given, retired keys included, with the issuer id it
	// belongs to. It returns an error matching ErrUnknownKey when there is no such key; any other
	// error means the lookup is unavailable.
	PublicKey(ctx context.Context, kid string) (issuer string, key *Key, err error)
	// StatusList returns the signed BitstringStatusListCredential served at url.
	StatusList(ctx context.Context, url string) ([]byte, error)
}

// Result is the outcome of Verify, as the public endpoint returns it.
type Result struct {
	Valid   bool     `json:"valid"`
	Status  string   `json:"status"`
	Reasons []Reason `json:"reasons"`
}

// Reason says why a credential is not valid: a Reason* code and a message for people.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Codes returns the reason codes, in order.
func (r Result) Codes() []string {
	codes := make([]string, len(r.Reasons))
	for i, reason := range r.Reasons {
		codes[i] = reason.Code
	}
	return codes
}

// Verify checks a credential now; see VerifyAt.
func Verify(ctx context.Context, credential []byte, r Resolver) Result {
	return VerifyAt(ctx, credential, r, time.Now())
}

// VerifyAt checks a credential as of now: that it is well-formed JSON with one eddsa-jcs-2022
// assertion proof, made by a key the resolver knows for the credential's issuer (not after that key
// was retired), that the signature covers the document unchanged, that now is within its validity
// period, and that the bits of its status list entries, in a status list credential signed by the
// same issuer, are clear. The status is only looked up once the proof holds, so a forged credential
// cannot make the verifier fetch anything.
func VerifyAt(ctx context.Context, credential []byte, r Resolver, now time.Time) Result {
	var reasons []Reason
	d, err := parseSecured(credential)
	if err != nil {
		return result(append(reasons, reasonOf(err)))
	}
	issuer, err := parseIssuer(d.unsecured)
	if err != nil {
		return result(append(reasons, reasonOf(err)))
	}
	if err := checkProof(ctx, d, issuer, r, now); err != nil {
		return result(append(reasons, reasonOf(err)))
	}
	c, err := parseCredential(d.unsecured)
	if err != nil {
		return result(append(reasons, reasonOf(err)))
	}
	if err := c.checkValidity(now); err != nil {
		reasons = append(reasons, reasonOf(err))
	}
	lists := map[string]*verifiedList{}
	for _, entry := range c.status {
		if err := checkStatus(ctx, entry, c.issuer, r, now, lists); err != nil {
			reasons = append(reasons, reasonOf(err))
		}
	}
	return result(reasons)
}

// result derives validity and status from the reasons, the gravest deciding the status.
func result(reasons []Reason) Result {
	res := Result{Valid: len(reasons) == 0, Status: StatusValid, Reasons: reasons}
	if res.Reasons == nil {
		res.Reasons = []Reason{}
	}
	rank := func(code string) (int, string) {
		switch code {
		case ReasonRevoked:
			return 3, StatusRevoked
		case ReasonSuspended:
			return 2, StatusSuspended
		case ReasonKeyUnavailable, ReasonStatusListUnavailable, ReasonStatusListInvalid:
			return 1, StatusUnknown
		}
		return 4, StatusInvalid
	}
	worst := 0
	for _, reason := range reasons {
		if n, status := rank(reason.Code); n > worst {
			worst, res.Status = n, status
		}
	}
	return res
}

func reasonErr(code, message string, cause error) error {
	return platform.Wrap(platform.KindUnprocessable, code, message, cause)
}

func reasonOf(err error) Reason {
	var e *platform.Error
	if errors.As(err, &e) {
		return Reason{Code: e.Code, Message: e.Message}
	}
	return Reason{Code: ReasonMalformed, Message: err.Error()}
}

// credentialFields are what Verify reads from the credential beyond its proof.
type credentialFields struct {
	id                   string
	types                []string
	issuer               string
	validFrom, validTill time.Time
	status               []map[string]json.RawMessage
	subject              json.RawMessage
}

// parseIssuer reads the issuer id, a URL or the id of an issuer object: the one member needed before
// the proof is checked, to find the key. Its errors are ReasonMalformed.
func parseIssuer(m map[string]json.RawMessage) (string, error) {
	var raw json.RawMessage
	if ok, _ := member(m, "issuer", &raw); !ok {
		return "", reasonErr(ReasonMalformed, "the credential has no issuer", nil)
	}
	var issuer string
	if json.Unmarshal(raw, &issuer) != nil {
		var profile map[string]json.RawMessage
		if json.Unmarshal(raw, &profile) != nil {
			return "", reasonErr(ReasonMalformed, "issuer is neither a URL nor an object", nil)
		}
		if _, err := member(profile, "id", &issuer); err != nil {
			return "", reasonErr(ReasonMalformed, "issuer id is not a string", err)
		}
	}
	if issuer == "" {
		return "", reasonErr(ReasonMalformed, "the issuer has no id", nil)
	}
	return issuer, nil
}

// parseCredential reads the VC 2.0 members Verify relies on; its errors are ReasonMalformed. It runs
// after the proof holds, so that an altered member reads as bad_signature rather than as whatever
// the alteration broke.
func parseCredential(m map[string]json.RawMessage) (*credentialFields, error) {
	bad := func(msg string, err error) (*credentialFields, error) {
		return nil, reasonErr(ReasonMalformed, msg, err)
	}
	var contexts []json.RawMessage
	if _, err := member(m, "@context", &contexts); err != nil || len(contexts) == 0 {
		return bad("@context is not a list", err)
	}
	var first string
	if json.Unmarshal(contexts[0], &first) != nil || first != ContextVC2 {
		return bad("the first @context is not "+ContextVC2, nil)
	}
	issuer, err := parseIssuer(m)
	if err != nil {
		return nil, err
	}
	c := &credentialFields{issuer: issuer}
	if _, err := member(m, "id", &c.id); err != nil {
		return bad("id is not a string", err)
	}
	if ok, err := member(m, "type", &c.types); !ok || err != nil || !slices.Contains(c.types, "VerifiableCredential") {
		return bad("type does not list VerifiableCredential", err)
	}
	for name, dst := range map[string]*time.Time{"validFrom": &c.validFrom, "validUntil": &c.validTill} {
		var s string
		if ok, err := member(m, name, &s); ok {
			t, perr := parseTime(s)
			if err != nil || perr != nil {
				return bad(name+" is not a date-time", errors.Join(err, perr))
			}
			*dst = t
		}
	}
	if ok, _ := member(m, "credentialSubject", &c.subject); !ok {
		return bad("the credential has no credentialSubject", nil)
	}
	var status json.RawMessage
	if ok, _ := member(m, "credentialStatus", &status); ok {
		if firstByte(status) == '[' {
			if err := json.Unmarshal(status, &c.status); err != nil {
				return bad("credentialStatus is not a list of objects", err)
			}
		} else {
			var one map[string]json.RawMessage
			if err := json.Unmarshal(status, &one); err != nil {
				return bad("credentialStatus is not an object", err)
			}
			c.status = append(c.status, one)
		}
	}
	return c, nil
}

func (c *credentialFields) checkValidity(now time.Time) error {
	if !c.validFrom.IsZero() && now.Before(c.validFrom) {
		return reasonErr(ReasonNotYetValid, "the credential is valid from "+c.validFrom.Format(time.RFC3339), nil)
	}
	if !c.validTill.IsZero() && !now.Before(c.validTill) {
		return reasonErr(ReasonExpired, "the credential was valid until "+c.validTill.Format(time.RFC3339), nil)
	}
	return nil
}

// checkProof checks the proof is an assertion by a key of issuer, then the signature, then that the
// key was not retired when the proof was made and the proof has not expired.
func checkProof(ctx context.Context, d *securedDoc, issuer string, r Resolver, now time.Time) error {
	p := d.proof
	if p.Type != ProofType || p.Cryptosuite != Cryptosuite {
		return reasonErr(ReasonUnsupportedProof, fmt.Sprintf("proof %q/%q is not %s/%s", p.Type, p.Cryptosuite, ProofType, Cryptosuite), nil)
	}
	if p.ProofPurpose != ProofPurposeAssertion {
		return reasonErr(ReasonUnsupportedProof, "proof purpose is "+strconv.Quote(p.ProofPurpose)+", not "+ProofPurposeAssertion, nil)
	}
	controller, kid, ok := strings.Cut(p.VerificationMethod, "#")
	if !ok || kid == "" {
		return reasonErr(ReasonUnknownKey, "verificationMethod does not name a key as <issuer>#<kid>", nil)
	}
	if controller != issuer {
		return reasonErr(ReasonIssuerMismatch, "verificationMethod is not a key of the credential's issuer", nil)
	}
	keyIssuer, key, err := r.PublicKey(ctx, kid)
	if errors.Is(err, ErrUnknownKey) {
		return reasonErr(ReasonUnknownKey, "no key "+kid+" is known", err)
	}
	if err != nil {
		return reasonErr(ReasonKeyUnavailable, "the signing key cannot be looked up now", err)
	}
	if key == nil || key.KID != kid {
		return reasonErr(ReasonUnknownKey, "no key "+kid+" is known", nil)
	}
	if keyIssuer != issuer {
		return reasonErr(ReasonIssuerMismatch, "key "+kid+" belongs to another issuer", nil)
	}
	if err := d.verify(key.Public); err != nil {
		return err
	}
	if !key.RetiredAt.IsZero() {
		created, err := parseTime(p.Created)
		if err != nil || created.After(key.RetiredAt) {
			return reasonErr(ReasonKeyRetired, "the proof was made after key "+kid+" was retired on "+key.RetiredAt.UTC().Format(time.RFC3339), nil)
		}
	}
	if p.Expires != "" {
		expires, err := parseTime(p.Expires)
		if err != nil {
			return reasonErr(ReasonMalformed, "proof expires is not a date-time", err)
		}
		if !now.Before(expires) {
			return reasonErr(ReasonProofExpired, "the proof expired on "+expires.Format(time.RFC3339), nil)
		}
	}
	return nil
}

// verifiedList is a status list credential that passed its checks, or the reason it did not.
type verifiedList struct {
	purposes []string
	list     *StatusList
	err      error
}

// checkStatus checks one credentialStatus entry. Entries that are not about validity (purposes other
// than revocation and suspension) are skipped; entries of another kind than BitstringStatusListEntry
// cannot be checked, so they leave the status unknown.
func checkStatus(ctx context.Context, entry map[string]json.RawMessage, issuer string, r Resolver, now time.Time, lists map[string]*verifiedList) error {
	var typ, purpose, index, listURL string
	for name, dst := range map[string]*string{"type": &typ, "statusPurpose": &purpose, "statusListIndex": &index, "statusListCredential": &listURL} {
		if _, err := member(entry, name, dst); err != nil {
			return reasonErr(ReasonStatusListInvalid, "credentialStatus "+name+" is not a string", err)
		}
	}
	if typ != "BitstringStatusListEntry" {
		return reasonErr(ReasonStatusListInvalid, "credentialStatus type "+strconv.Quote(typ)+" is not supported", nil)
	}
	if purpose != StatusPurposeRevocation && purpose != StatusPurposeSuspension {
		return nil
	}
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 {
		return reasonErr(ReasonStatusListInvalid, "statusListIndex is not a non-negative integer", err)
	}
	vl, ok := lists[listURL]
	if !ok {
		vl = fetchList(ctx, listURL, issuer, r, now)
		lists[listURL] = vl
	}
	if vl.err != nil {
		return vl.err
	}
	if !slices.Contains(vl.purposes, purpose) {
		return reasonErr(ReasonStatusListInvalid, "the status list is not for "+purpose, nil)
	}
	set, err := vl.list.Get(i)
	if err != nil {
		return reasonErr(ReasonStatusListInvalid, "statusListIndex is beyond the status list", err)
	}
	if set {
		if purpose == StatusPurposeRevocation {
			return reasonErr(ReasonRevoked, "the issuer revoked this credential", nil)
		}
		return reasonErr(ReasonSuspended, "the issuer suspended this credential", nil)
	}
	return nil
}

// fetchList gets and checks a BitstringStatusListCredential: signed by a key of issuer, its id the
// URL it was fetched from, and current.
func fetchList(ctx context.Context, listURL, issuer string, r Resolver, now time.Time) *verifiedList {
	invalid := func(msg string, err error) *verifiedList {
		return &verifiedList{err: reasonErr(ReasonStatusListInvalid, msg, err)}
	}
	raw, err := r.StatusList(ctx, listURL)
	if err != nil {
		return &verifiedList{err: reasonErr(ReasonStatusListUnavailable, "the status list cannot be fetched now", err)}
	}
	d, err := parseSecured(raw)
	if err != nil {
		return invalid("the status list is not a secured credential", err)
	}
	if listIssuer, err := parseIssuer(d.unsecured); err != nil || listIssuer != issuer {
		return invalid("the status list is not issued by the credential's issuer", err)
	}
	if err := checkProof(ctx, d, issuer, r, now); err != nil {
		if platform.CodeOf(err) == ReasonKeyUnavailable {
			return &verifiedList{err: reasonErr(ReasonStatusListUnavailable, "the status list's key cannot be looked up now", err)}
		}
		return invalid("the status list's proof does not hold: "+reasonOf(err).Message, err)
	}
	c, err := parseCredential(d.unsecured)
	if err != nil {
		return invalid("the status list is not a credential", err)
	}
	if c.id != listURL || !slices.Contains(c.types, "BitstringStatusListCredential") {
		return invalid("the document at statusListCredential is not that status list credential", nil)
	}
	if err := c.checkValidity(now); err != nil {
		return invalid("the status list is out of date: "+reasonOf(err).Message, err)
	}
	var subject map[string]json.RawMessage
	if err := json.Unmarshal(c.subject, &subject); err != nil {
		return invalid("the status list subject is not an object", err)
	}
	var typ, encoded string
	var purposes json.RawMessage
	if _, err := member(subject, "type", &typ); err != nil || typ != "BitstringStatusList" {
		return invalid("the status list subject is not a BitstringStatusList", err)
	}
	if _, err := member(subject, "encodedList", &encoded); err != nil {
		return invalid("encodedList is not a string", err)
	}
	vl := &verifiedList{}
	if _, err := member(subject, "statusPurpose", &purposes); err != nil || purposes == nil {
		return invalid("the status list has no statusPurpose", err)
	}
	if json.Unmarshal(purposes, &vl.purposes) != nil { // one purpose or a list of them
		var one string
		if err := json.Unmarshal(purposes, &one); err != nil {
			return invalid("statusPurpose is neither a string nor a list", err)
		}
		vl.purposes = []string{one}
	}
	if vl.list, err = DecodeStatusList(encoded); err != nil {
		return invalid("encodedList cannot be decoded", err)
	}
	return vl
}
