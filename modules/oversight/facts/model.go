// Package facts keeps what oversight learns from reports, one report at a time, for the parts that
// must not scan institutions' records: the person index of the cross-institution checks, the
// certificate statistics summary and the batch facts (pass rates, late results), both kept in the
// institution's tenant; and each regulator's record of certificates as reported, which reconciliation
// compares with holdings. The dispatcher (inbox) applies every report here exactly once; stats,
// supervision, crosscheck and reconcile read the tables through the row types of store.go.
package facts

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// Statuses of a certificate as reported.
const (
	StatusIssued  = "issued"
	StatusRevoked = "revoked"
)

// certificatePayload is what oversight reads of certificate reports (certificate.issued, .revoked,
// .reissued). Unknown fields are ignored; missing ones fall back to what the report itself says.
type certificatePayload struct {
	Number         string    `json:"number"`
	Kind           string    `json:"kind"` // skill_level or post (一岗双证: the enterprise's own post certificate)
	Status         string    `json:"status"`
	OccupationCode string    `json:"occupation_code"`
	Level          flexInt   `json:"level"`
	IssuedOn       string    `json:"issued_on"`
	IDType         string    `json:"id_type"`
	IDNumber       string    `json:"id_number"`
	BatchID        string    `json:"batch_id"`
	ApplicationID  string    `json:"application_id"`
	Holder         *holderID `json:"holder"`
}

// holderID accepts a nested holder object ({"holder":{"id_type","id_number"}}).
type holderID struct {
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
}

// batchPayload is what oversight reads of batch reports (batch.published, results.published,
// batch.finalized).
type batchPayload struct {
	ID                 string   `json:"id"`
	BatchID            string   `json:"batch_id"`
	OccupationCode     string   `json:"occupation_code"`
	Level              flexInt  `json:"level"`
	Title              string   `json:"title"`
	ExamStart          string   `json:"exam_start"`
	ExamEnd            string   `json:"exam_end"`
	SupervisorIDs      []string `json:"supervisor_ids"`
	Supervisors        *flexInt `json:"supervisors"`
	Candidates         *flexInt `json:"candidates"`
	Admitted           *flexInt `json:"admitted"`
	Passed             *flexInt `json:"passed"`
	ResultsPublishedAt string   `json:"results_published_at"`
	ResultsDueAt       string   `json:"results_due_at"`
	ResultsLate        *bool    `json:"results_late"`
}

// flexInt reads a JSON number or a numeric string ("4"), as levels are sometimes written.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		var x float64
		if err := json.Unmarshal(b, &x); err != nil {
			return nil // not a number: ignore rather than refuse the report
		}
		n = int(x)
	}
	*f = flexInt(n)
	return nil
}

func (p *certificatePayload) idType() string {
	if p.IDType == "" && p.Holder != nil {
		return p.Holder.IDType
	}
	return p.IDType
}

func (p *certificatePayload) idNumber() string {
	if p.IDNumber == "" && p.Holder != nil {
		return p.Holder.IDNumber
	}
	return p.IDNumber
}

// certStatus is the status a certificate report leaves its number in: a revocation and a reissue
// (reported for the replaced number; the new number has its own certificate.issued) end it.
func certStatus(kind string, p *certificatePayload) string {
	switch reports.Kind(kind) {
	case reports.CertificateRevoked, reports.CertificateReissued:
		return StatusRevoked
	}
	if p.Status == StatusRevoked {
		return StatusRevoked
	}
	return StatusIssued
}

// parseDay reads a date ("2026-11-23") or a time (RFC 3339, taken as its Beijing day).
func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.UTC(), true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return core.DayOf(t), true
	}
	return time.Time{}, false
}

func monthOf(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// resultsDueDays is how many working days after the exam results are due (DOMAIN.md step 5): five
// for social training organisations, ten for employers and schools.
func resultsDueDays(k tenants.Kind) int {
	if k == tenants.KindSocialOrg {
		return 5
	}
	return 10
}

// addWorkingDays counts n working days (Monday–Friday) after day. Public holidays and their make-up
// working days are not modelled (the calendar changes every year by State Council notice); the
// regulator sees the dates behind every late flag and can discount a holiday.
func addWorkingDays(day time.Time, n int) time.Time {
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return day
}
