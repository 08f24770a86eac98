package stats

import (
	"github.com/google/uuid"
)

// CertCount is a number of certificates issued and revoked in a group.
type CertCount struct {
	Issued  int64 `json:"issued"`
	Revoked int64 `json:"revoked"`
	Valid   int64 `json:"valid"`
}

// OccupationCount, LevelCount, MonthCount and InstitutionCount are CertCount per group.
type (
	OccupationCount struct {
		OccupationCode string `json:"occupation_code"`
		CertCount
	}
	LevelCount struct {
		Level int `json:"level"`
		CertCount
	}
	MonthCount struct {
		Month string `json:"month"` // YYYY-MM
		CertCount
	}
	InstitutionCount struct {
		InstitutionID uuid.UUID `json:"institution_id"`
		Name          string    `json:"name"`
		CertCount
	}
)

// StarCount is how many institutions have a star rating.
type StarCount struct {
	Stars        int `json:"stars"`
	Institutions int `json:"institutions"`
}

// Row is one cell of the full breakdown (institution × occupation × level × month): the export.
type Row struct {
	InstitutionID   uuid.UUID `json:"institution_id"`
	InstitutionName string    `json:"institution_name"`
	OccupationCode  string    `json:"occupation_code"`
	Level           int       `json:"level"`
	Month           string    `json:"month"`
	CertCount
}

// PassRate is the pass rate of the batches whose results were published in a group.
type PassRate struct {
	InstitutionID  *uuid.UUID `json:"institution_id,omitempty"`
	Name           string     `json:"name,omitempty"`
	OccupationCode string     `json:"occupation_code"`
	Level          int        `json:"level"`
	Batches        int        `json:"batches"`
	Candidates     int64      `json:"candidates"`
	Passed         int64      `json:"passed"`
	Rate           float64    `json:"rate"`
}

// LateResult is a batch whose results were published after they were due.
type LateResult struct {
	InstitutionID  uuid.UUID `json:"institution_id"`
	Name           string    `json:"name"`
	BatchID        string    `json:"batch_id"`
	OccupationCode string    `json:"occupation_code"`
	Level          int       `json:"level"`
	ExamEnd        string    `json:"exam_end"`
	DueOn          string    `json:"due_on"`
	PublishedOn    string    `json:"published_on"`
}

// Stats are the statistics of a regulator's jurisdiction.
type Stats struct {
	Total           CertCount          `json:"total"`
	ByOccupation    []OccupationCount  `json:"by_occupation"`
	ByLevel         []LevelCount       `json:"by_level"`
	ByMonth         []MonthCount       `json:"by_month"`
	ByInstitution   []InstitutionCount `json:"by_institution"`
	PassRates       []PassRate         `json:"pass_rates"`
	PassRatesByInst []PassRate         `json:"pass_rates_by_institution"`
	ResultsBatches  int                `json:"results_published_batches"`
	LateResults     int                `json:"late_results"`
	Late            []LateResult       `json:"late"`
	// Institutions is how many institutions the figures cover (the jurisdiction's, narrowed by the
	// district and kind filters); Districts are the region codes of the jurisdiction's institutions.
	Institutions int      `json:"institutions"`
	Districts    []string `json:"districts"`
	// ByStars counts the institutions by their current star rating (supervision's monitoring score
	// over the last year, whatever the period filter).
	ByStars []StarCount `json:"by_stars"`
	Rows    []Row       `json:"-"` // the full breakdown, for exports
}

func (st *Stats) fillValid() {
	st.Total.Valid = st.Total.Issued - st.Total.Revoked
	for i := range st.ByOccupation {
		st.ByOccupation[i].Valid = st.ByOccupation[i].Issued - st.ByOccupation[i].Revoked
	}
	for i := range st.ByLevel {
		st.ByLevel[i].Valid = st.ByLevel[i].Issued - st.ByLevel[i].Revoked
	}
	for i := range st.ByMonth {
		st.ByMonth[i].Valid = st.ByMonth[i].Issued - st.ByMonth[i].Revoked
	}
	for i := range st.ByInstitution {
		st.ByInstitution[i].Valid = st.ByInstitution[i].Issued - st.ByInstitution[i].Revoked
	}
	for i := range st.Rows {
		st.Rows[i].Valid = st.Rows[i].Issued - st.Rows[i].Revoked
	}
}
