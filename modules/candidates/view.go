package candidates

// PublicView is a candidate as the public or a regulator may see them: the name and ID number masked
// (MaskName, MaskIDNumber), the document type in the clear. Modules that show candidates outside the
// institution — results publicity, certificate queries, oversight — build it with Public or MaskedView
// and never put a Candidate's Name or IDNumber in such an answer.
type PublicView struct {
	Name     string `json:"name"`
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
}

// Public returns the candidate's masked view.
func (c Candidate) Public() PublicView { return MaskedView(c.Name, c.IDType, c.IDNumber) }

// MaskedView masks a name and ID number that another module holds (an application's or certificate's
// copy of the holder's identity), the same way Public does.
func MaskedView(name, idType, idNumber string) PublicView {
	return PublicView{Name: MaskName(name), IDType: idType, IDNumber: MaskIDNumber(idNumber)}
}

// OversightView is what a regulator's oversight reads of a candidate: the masked identity plus the
// facts that decide eligibility, which a regulator checks without needing to know who the person is.
type OversightView struct {
	PublicView
	Education       string `json:"education"`
	OccupationYears int    `json:"occupation_years"`
	CurrentLevel    int    `json:"current_level"`
	TitleLevel      string `json:"title_level,omitempty"`
}

// Oversight returns the candidate's view for regulators.
func (c Candidate) Oversight() OversightView {
	return OversightView{PublicView: c.Public(), Education: c.Education, OccupationYears: c.OccupationYears,
		CurrentLevel: c.CurrentLevel, TitleLevel: c.TitleLevel}
}

// auditView is what the audit log records of a candidate. The log is readable by regulators in
// oversight, so it carries the masked identity only (no hash of the ID number either: ID numbers have
// so little entropy that a hash is reversible by trying them all); the full values stay in the
// candidates table, and an update's entry lists which fields changed.
type auditView struct {
	PublicView
	Phone           string   `json:"phone,omitempty"`
	Education       string   `json:"education"`
	OccupationYears int      `json:"occupation_years"`
	CurrentLevel    int      `json:"current_level"`
	CurrentLevelOn  string   `json:"current_level_obtained_on,omitempty"`
	TitleLevel      string   `json:"title_level,omitempty"`
	Apprenticeship  bool     `json:"apprenticeship_completed,omitempty"`
	RelatedDiploma  bool     `json:"related_diploma,omitempty"`
	Awards          []string `json:"awards,omitempty"`
	StudentNo       string   `json:"student_no,omitempty"`
	UserID          string   `json:"user_id,omitempty"`
}

func (c Candidate) audit() auditView {
	v := auditView{PublicView: c.Public(), Phone: maskPhone(c.Phone),
		Education: c.Education, OccupationYears: c.OccupationYears, CurrentLevel: c.CurrentLevel,
		TitleLevel: c.TitleLevel, Apprenticeship: c.ApprenticeshipCompleted, RelatedDiploma: c.RelatedDiploma,
		Awards: c.Awards, StudentNo: c.StudentNo}
	if c.CurrentLevelObtainedOn != nil {
		v.CurrentLevelOn = c.CurrentLevelObtainedOn.Format(dateLayout)
	}
	if c.UserID != nil {
		v.UserID = c.UserID.String()
	}
	return v
}

// maskPhone keeps the first 3 and last 4 digits of a phone number (138****5678), as bills print them.
func maskPhone(p string) string {
	r := []rune(p)
	if len(r) < 8 {
		return ""
	}
	out := make([]rune, len(r))
	for i := range r {
		if i < 3 || i >= len(r)-4 {
			out[i] = r[i]
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}
