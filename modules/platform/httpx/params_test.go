package httpx_test

import (
	"testing"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

func TestDateField(t *testing.T) {
	tests := []struct {
		in      string
		wantNil bool
		wantErr bool
	}{
		{"", true, false},
		{"2026-11-01", false, false},
		{"2026-02-30", true, true},
		{"01/11/2026", true, true},
	}
	for _, tc := range tests {
		var v platform.Validation
		got := httpx.DateField(&v, "valid_from", tc.in)
		if (got == nil) != tc.wantNil || (v.Err() != nil) != tc.wantErr {
			t.Errorf("DateField(%q) = %v, err %v", tc.in, got, v.Err())
		}
		if tc.wantErr && (len(v.Fields) != 1 || v.Fields[0].Field != "valid_from" || v.Fields[0].Code != "format") {
			t.Errorf("DateField(%q) fields %+v", tc.in, v.Fields)
		}
	}
}
