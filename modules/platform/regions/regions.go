// Package regions knows China's administrative divisions (GB/T 2260, as of 2024-12-31; see
// regions.SOURCE.txt): validating a tenant's 6-digit region code and drawing jurisdictions.
package regions

import (
	_ "embed"
	"encoding/csv"
	"strings"
	"sync"
)

//go:embed regions.csv
var regionsCSV string

// Level of a division.
type Level string

// Levels.
const (
	Province Level = "province"
	City     Level = "city"
	County   Level = "county"
)

// Region is one administrative division.
type Region struct {
	Code   string
	Name   string
	Level  Level
	Parent string
}

var (
	once   sync.Once
	byCode map[string]Region
)

func load() {
	byCode = make(map[string]Region, 3300)
	rows, err := csv.NewReader(strings.NewReader(regionsCSV)).ReadAll()
	if err != nil {
		panic("regions: embedded regions.csv is corrupt: " + err.Error())
	}
	for _, r := range rows[1:] {
		byCode[r[0]] = Region{Code: r[0], Name: r[1], Level: Level(r[2]), Parent: r[3]}
	}
}

// Lookup returns the division with code.
func Lookup(code string) (Region, bool) {
	once.Do(load)
	r, ok := byCode[code]
	return r, ok
}

// Valid reports whether code is a current 6-digit division code.
func Valid(code string) bool {
	_, ok := Lookup(code)
	return ok
}

// JurisdictionPrefix is the code prefix a regulator of code oversees: "11" for a province 110000,
// "3301" for a city 330100, the whole code for a county.
func JurisdictionPrefix(code string) string {
	switch {
	case len(code) != 6:
		return code
	case strings.HasSuffix(code, "0000"):
		return code[:2]
	case strings.HasSuffix(code, "00"):
		return code[:4]
	default:
		return code
	}
}

// InJurisdiction reports whether an institution at code falls under a regulator at regulatorCode.
func InJurisdiction(regulatorCode, code string) bool {
	p := JurisdictionPrefix(regulatorCode)
	return p != "" && strings.HasPrefix(code, p)
}

// ProvinceCode is the two-digit province part of a code (characters 6–7 of a certificate number).
func ProvinceCode(code string) string {
	if len(code) < 2 {
		return ""
	}
	return code[:2]
}
