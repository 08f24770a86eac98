package batches

import (
	"fmt"
	"sort"
	"time"

	"github.com/skillcert/skillcert/modules/platform"
)

// ChinaTime is the zone working days are counted in: China Standard Time, UTC+8 all year (no daylight
// saving since 1991), so a fixed zone needs no tz database.
var ChinaTime = time.FixedZone("CST", 8*60*60)

const dateLayout = "2006-01-02"

// Calendar says which days are working days: Monday to Friday, except public holidays, plus the
// weekend days worked in exchange for a holiday bridge (调休上班).
type Calendar struct {
	holidays map[string]bool
	workdays map[string]bool
}

// NewCalendar builds a calendar from holiday and adjusted-workday dates (YYYY-MM-DD).
func NewCalendar(holidays, workdays []string) Calendar {
	c := Calendar{holidays: map[string]bool{}, workdays: map[string]bool{}}
	for _, d := range holidays {
		c.holidays[d] = true
	}
	for _, d := range workdays {
		c.workdays[d] = true
	}
	return c
}

// IsWorkingDay reports whether the China calendar date of t is a working day.
func (c Calendar) IsWorkingDay(t time.Time) bool {
	t = t.In(ChinaTime)
	d := t.Format(dateLayout)
	if c.holidays[d] {
		return false
	}
	if c.workdays[d] {
		return true
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// EndAfterWorkingDays returns when a period of n working days that starts the day after t ends: midnight
// (China time) after the n-th working day following t's date. A period of 0 days ends at t itself.
//
// Publicity published on Friday 2026-11-27 for 5 working days runs Monday 30 November to Friday
// 4 December and ends at 2026-12-05 00:00 +08:00; results due 5 working days after an exam work the same
// way.
func (c Calendar) EndAfterWorkingDays(t time.Time, n int) time.Time {
	if n <= 0 {
		return t
	}
	local := t.In(ChinaTime)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, ChinaTime)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if c.IsWorkingDay(day) {
			n--
		}
	}
	return day.AddDate(0, 0, 1).UTC()
}

// ResultsDueDays is how many working days after the exam results are due (DOMAIN.md step 5): 5 for
// social training evaluation organizations, 10 for employers and schools.
func ResultsDueDays(socialOrg bool) int {
	if socialOrg {
		return 5
	}
	return 10
}

// Holidays is one year of the working-day calendar.
type Holidays struct {
	Year     int
	Holidays []string // public holidays (YYYY-MM-DD)
	Workdays []string // weekend days worked in exchange (YYYY-MM-DD)
}

// Validate checks that every date is a real date of the year, that adjusted workdays fall on a weekend
// and that no date is listed twice; it sorts both lists.
func (h *Holidays) Validate() error {
	var v platform.Validation
	if !v.Check(h.Year >= 2000 && h.Year <= 2100, "year", "out_of_range", "the year is between 2000 and 2100") {
		return v.Err()
	}
	seen := map[string]string{}
	check := func(field string, days []string, weekend bool) {
		for i, d := range days {
			f := fmt.Sprintf("%s[%d]", field, i)
			t, err := time.Parse(dateLayout, d)
			if !v.Check(err == nil, f, "invalid_date", "dates are YYYY-MM-DD") {
				continue
			}
			if !v.Check(t.Year() == h.Year, f, "wrong_year", fmt.Sprintf("%s is not in %d", d, h.Year)) {
				continue
			}
			if weekend {
				v.Check(t.Weekday() == time.Saturday || t.Weekday() == time.Sunday, f, "not_weekend",
					d+" is not a Saturday or Sunday; only weekend days can be adjusted working days")
			}
			if prev, dup := seen[d]; dup {
				v.Add(f, "duplicate", d+" is already listed in "+prev)
			}
			seen[d] = field
		}
	}
	check("holidays", h.Holidays, false)
	check("workdays", h.Workdays, true)
	if err := v.Err(); err != nil {
		return err
	}
	sort.Strings(h.Holidays)
	sort.Strings(h.Workdays)
	return nil
}
