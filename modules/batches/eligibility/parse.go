package eligibility

import "strings"

// ParseEducation reads an education kind from its code ("bachelor") or its Chinese name ("本科"), as
// candidate records and import files carry them. ok is false for anything else (e.g. a high-school
// certificate, which no condition asks for).
func ParseEducation(s string) (Education, bool) {
	s = strings.TrimSpace(s)
	if e := Education(strings.ToLower(s)); e.valid() {
		return e, true
	}
	for e, names := range educationNames {
		if names[0] == s {
			return e, true
		}
	}
	return "", false
}

// ParseTitle reads a professional title grade from its code ("intermediate") or Chinese name ("中级",
// "中级职称"). The empty string and "无" are TitleNone; ok is false for anything unknown.
func ParseTitle(s string) (Title, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "无" || strings.EqualFold(s, "none") {
		return TitleNone, true
	}
	if t := Title(strings.ToLower(s)); t.valid() {
		return t, true
	}
	for t, info := range titles {
		if t != TitleNone && (info.zh == s || strings.TrimSuffix(info.zh, "职称") == s) {
			return t, true
		}
	}
	return TitleNone, false
}

// ParseAwardKind reads an award kind from its code ("national_technical_expert") or Chinese name
// ("全国技术能手"); ok is false for anything unknown.
func ParseAwardKind(s string) (AwardKind, bool) {
	s = strings.TrimSpace(s)
	if k := AwardKind(strings.ToLower(s)); k.valid() {
		return k, true
	}
	for k, names := range awardNames {
		if names[0] == s {
			return k, true
		}
	}
	return "", false
}
