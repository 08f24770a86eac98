// Package reconcile compares, per regulator, institution and day, the certificates institutions hold
// with those they reported (count and hash of number and status), flags the days that differ and
// resolves them when they agree again.
package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"

	"github.com/google/uuid"
)

// maxDiffItems caps the certificate numbers a difference lists per category.
const maxDiffItems = 100

// dayDigest is one institution-day of certificates: their count and the SHA-256 of the sorted
// "number|status" lines.
type dayDigest struct {
	count  int
	hash   string
	status map[string]string
}

func digest(status map[string]string) dayDigest {
	nums := make([]string, 0, len(status))
	for n := range status {
		nums = append(nums, n)
	}
	sort.Strings(nums)
	h := sha256.New()
	for _, n := range nums {
		h.Write([]byte(n + "|" + status[n] + "\n"))
	}
	return dayDigest{count: len(nums), hash: hex.EncodeToString(h.Sum(nil)), status: status}
}

func byDay[T any](items []T, day func(T) time.Time, num func(T) (string, string)) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, it := range items {
		k := day(it).Format(time.DateOnly)
		if out[k] == nil {
			out[k] = map[string]string{}
		}
		n, st := num(it)
		out[k][n] = st
	}
	return out
}

// compareDay lists what differs between held and reported certificates of one day.
func compareDay(held, reported map[string]string) DiffDetails {
	d := DiffDetails{NotReported: []string{}, NotHeld: []string{}, StatusMismatch: []StatusChange{}}
	for n, st := range held {
		rst, ok := reported[n]
		switch {
		case !ok:
			d.NotReported = append(d.NotReported, n)
		case rst != st:
			d.StatusMismatch = append(d.StatusMismatch, StatusChange{Number: n, Held: st, Reported: rst})
		}
	}
	for n := range reported {
		if _, ok := held[n]; !ok {
			d.NotHeld = append(d.NotHeld, n)
		}
	}
	sort.Strings(d.NotReported)
	sort.Strings(d.NotHeld)
	sort.Slice(d.StatusMismatch, func(i, j int) bool { return d.StatusMismatch[i].Number < d.StatusMismatch[j].Number })
	d.NotReported = d.NotReported[:min(len(d.NotReported), maxDiffItems)]
	d.NotHeld = d.NotHeld[:min(len(d.NotHeld), maxDiffItems)]
	d.StatusMismatch = d.StatusMismatch[:min(len(d.StatusMismatch), maxDiffItems)]
	return d
}

// Filter narrows the reconciliation listing.
type Filter struct {
	InstitutionID uuid.UUID
	Open          bool // only unresolved differences
}
