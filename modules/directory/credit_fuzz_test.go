package directory_test

import (
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/tenants"
)

// creditAlphabet is GB 32100-2015's character set, as the check under test uses it.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// FuzzCreditCode checks unified social credit codes as typed (GB 32100-2015): nothing panics; a valid
// code is 18 characters of the alphabet with digits in places 3–8; it round-trips its check character
// — of the 31 possible last characters exactly its own passes — and changing any other single
// character to another of the alphabet breaks it (MOD 31 with weights prime to 31 catches every single
// substitution). NewTenant.Validate accepts a code exactly when it is valid after trimming and
// upper-casing.
func FuzzCreditCode(f *testing.F) {
	f.Add("91350100M000100Y43")
	f.Fuzz(func(t *testing.T, code string) {
		valid := directory.ValidCreditCode(code)
		if valid {
			if len(code) != 18 || strings.Trim(code, creditAlphabet) != "" || strings.Trim(code[2:8], "0123456789") != "" {
				t.Fatalf("%q valid but not 18 characters of the alphabet with a numeric region", code)
			}
			for i := 0; i < 18; i++ {
				for _, c := range []byte(creditAlphabet) {
					if c == code[i] {
						continue
					}
					if changed := code[:i] + string(c) + code[i+1:]; directory.ValidCreditCode(changed) {
						t.Fatalf("%q valid, and so is %q", code, changed)
					}
				}
			}
		}
		if len(code) == 18 && strings.Trim(code[:17], creditAlphabet) == "" && strings.Trim(code[2:8], "0123456789") == "" {
			n := 0
			for _, c := range []byte(creditAlphabet) {
				if directory.ValidCreditCode(code[:17] + string(c)) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d check characters complete %q", n, code[:17])
			}
		}
		nt := directory.NewTenant{Slug: "fuzz-co", Name: "Fuzz", Kind: tenants.KindEnterprise, RegionCode: "110105", CreditCode: code}
		err := nt.Validate()
		want := strings.TrimSpace(code) == "" || directory.ValidCreditCode(strings.ToUpper(strings.TrimSpace(code)))
		if (err == nil) != want {
			t.Fatalf("Validate with credit code %q: %v", code, err)
		}
	})
}
