package credential

import "github.com/skillcert/skillcert/modules/platform"

// ContextCID is the JSON-LD context of W3C Controlled Identifiers v1.0: verificationMethod,
// assertionMethod, Multikey and publicKeyMultibase.
const ContextCID = "https://www.w3.org/ns/cid/v1"

// Profile is what an issuer's controller document says about the issuer besides its keys: the
// Open Badges 3.0 Profile fields a relying party shows.
type Profile struct {
	Name        string
	URL         string // the issuer's page; optional
	Description string // optional
	Address     *Address
	Identifiers []Identifier // other identifiers, e.g. the unified social credit code
}

// Address is an OB 3.0 Address; empty fields are left out.
type Address struct {
	Country     string // e.g. "中国"
	CountryCode string // ISO 3166-1 alpha-2, e.g. "CN"
	Region      string // province-level division, e.g. "广东省"
	Locality    string // city and county, e.g. "深圳市南山区"
}

// Identifier is an OB 3.0 IdentifierEntry. Type is one of the specification's identifier types or
// an extension of the form "ext:…".
type Identifier struct {
	Identifier string
	Type       string
}

// controllerDocument is an issuer's Open Badges 3.0 Profile that is also its W3C controlled
// identifier document. The @context lists the CID context first, so that its protected terms
// (verificationMethod, Multikey, …) are the ones a JSON-LD processor sees.
type controllerDocument struct {
	Context            []string             `json:"@context"`
	ID                 string               `json:"id"`
	Type               []string             `json:"type"`
	Name               string               `json:"name"`
	URL                string               `json:"url,omitempty"`
	Description        string               `json:"description,omitempty"`
	Address            *obAddress           `json:"address,omitempty"`
	OtherIdentifier    []obIdentifierEntry  `json:"otherIdentifier,omitempty"`
	VerificationMethod []verificationMethod `json:"verificationMethod"`
	AssertionMethod    []string             `json:"assertionMethod"`
}

type obAddress struct {
	Type               []string `json:"type"`
	AddressCountry     string   `json:"addressCountry,omitempty"`
	AddressCountryCode string   `json:"addressCountryCode,omitempty"`
	AddressRegion      string   `json:"addressRegion,omitempty"`
	AddressLocality    string   `json:"addressLocality,omitempty"`
}

type obIdentifierEntry struct {
	Type           string `json:"type"`
	Identifier     string `json:"identifier"`
	IdentifierType string `json:"identifierType"`
}

// verificationMethod is a Multikey verification method (CID §2.2.2).
type verificationMethod struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
}

// ControllerDocument returns the document served at the ring's issuer id: the issuer's OB 3.0
// Profile and, as a W3C controlled identifier document, every key of the ring as a Multikey
// verification method listed under assertionMethod. A verifier dereferencing a proof's
// verificationMethod ("<issuer>#<kid>", see KeyRing.VerificationMethod) fetches this document, finds
// the method by its id, checks that its controller is the issuer and that the issuer authorises it
// for assertions, and verifies with publicKeyMultibase.
//
// Retired keys are listed like the active one and without "revoked" or "expires": those properties
// tell verifiers to refuse the key's proofs from then on, while a retired key only stops signing —
// what it signed stays valid.
func ControllerDocument(ring *KeyRing, p Profile) ([]byte, error) {
	if p.Name == "" {
		return nil, platform.E(platform.KindInternal, "bad_profile", "an issuer profile needs a name")
	}
	doc := controllerDocument{
		Context:            []string{ContextCID, ContextOB3},
		ID:                 ring.Issuer(),
		Type:               []string{"Profile"},
		Name:               p.Name,
		URL:                p.URL,
		Description:        p.Description,
		VerificationMethod: []verificationMethod{},
		AssertionMethod:    []string{},
	}
	if a := p.Address; a != nil {
		doc.Address = &obAddress{Type: []string{"Address"}, AddressCountry: a.Country, AddressCountryCode: a.CountryCode,
			AddressRegion: a.Region, AddressLocality: a.Locality}
	}
	for _, id := range p.Identifiers {
		doc.OtherIdentifier = append(doc.OtherIdentifier, obIdentifierEntry{Type: "IdentifierEntry", Identifier: id.Identifier, IdentifierType: id.Type})
	}
	for _, k := range ring.Keys() {
		vm := ring.VerificationMethod(k)
		doc.VerificationMethod = append(doc.VerificationMethod, verificationMethod{
			ID: vm, Type: "Multikey", Controller: ring.Issuer(), PublicKeyMultibase: EncodePublicKeyMultibase(k.Public),
		})
		doc.AssertionMethod = append(doc.AssertionMethod, vm)
	}
	return marshalIndent(doc)
}
