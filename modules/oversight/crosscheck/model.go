// Package crosscheck runs the checks the national system makes across every institution — one
// person holding the same occupation and level from two institutions (一人多证), and repeat testing
// (重复考证) — on the person index of the facts (keyed hashes, never id numbers), and gives each
// regulator concerned the findings about its own institutions.
package crosscheck

import (
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/oversight/facts"
)

// Flag kinds of the cross-institution checks.
const (
	FlagMultipleCertificates = "multiple_certificates" // 一人多证
	FlagRepeatTesting        = "repeat_testing"        // 重复考证
)

// Result summarises a run of the cross-institution checks.
type Result struct {
	People               int // people with more than one certificate of an occupation and level
	MultipleCertificates int
	RepeatTesting        int
	FlagsWritten         int // flag copies, one per regulator concerned
}

// finding is one person × occupation × level that breaks a rule, with the certificates and
// applications behind it.
type finding struct {
	kind, personKey, occupation string
	level                       int
	items                       []findingItem
}

type findingItem struct {
	institution uuid.UUID
	FlagItem
}

func certItems(rows []facts.PersonCert) []findingItem {
	out := make([]findingItem, len(rows))
	for i, r := range rows {
		out[i] = findingItem{institution: r.TenantID, FlagItem: FlagItem{InstitutionID: r.TenantID, CertificateNumber: r.Number,
			Status: r.Status, Date: r.IssuedOn.UTC().Format(time.DateOnly)}}
	}
	return out
}

type groupKey struct {
	person, occupation string
	level              int
}

func (f *finding) addItem(it findingItem) {
	for _, x := range f.items {
		if x.FlagItem == it.FlagItem {
			return
		}
	}
	f.items = append(f.items, it)
}

// Filter narrows the flag listing.
type Filter struct {
	Kind string
	Open bool // only unresolved flags
}
