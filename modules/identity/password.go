package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go/data"
	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/skillcert/skillcert/modules/platform"
)

// Stable codes of a refused password, on the field "password" of a 422 validation_failed.
const (
	CodePasswordLength           = "length"                     // not 8 to 128 characters
	CodePasswordCommon           = "password_common"            // commonly used, repetitive, sequential, or the service's name
	CodePasswordContainsUsername = "password_contains_username" // contains the username
	CodePasswordContainsTenant   = "password_contains_tenant"   // contains the tenant's slug
)

// serviceName is the context-specific word every SkillCert password is checked against.
const serviceName = "skillcert"

// minContextLen is the shortest username or slug a password may not contain: two characters ("li",
// "hr") occur in too many good passphrases to refuse them all.
const minContextLen = 3

// CheckPassword checks a password about to be set for username in the tenant whose slug is
// tenantSlug, as NIST SP 800-63B (§5.1.1.2) asks of a verifier: 8 to 128 characters, and not a
// password an attacker tries first — one on a list of commonly used passwords (zxcvbn's frequency list
// of passwords seen most in breaches), one character or a short pattern repeated ("aaaaaaaa",
// "abcabcabc"), a run of consecutive characters ("12345678", "hgfedcba"), or one containing a
// context-specific word: the username, the tenant's slug, or the service's name. Case and width do not
// matter ("PassWord", "ｐａｓｓｗｏｒｄ"). The error is a 422 validation_failed with one field error on
// "password" whose code is one of the CodePassword* codes; every place that sets a password calls this.
func CheckPassword(password, username, tenantSlug string) error {
	var v platform.Validation
	checkPassword(&v, "password", password, username, tenantSlug)
	return v.Err()
}

// checkPassword adds at most one field error for password under field to v (see CheckPassword).
func checkPassword(v *platform.Validation, field, password, username, tenantSlug string) {
	if n := utf8.RuneCountInString(password); n < MinPasswordLen || n > MaxPasswordLen {
		v.Add(field, CodePasswordLength, "a password has 8 to 128 characters")
		return
	}
	p := foldPassword(password)
	if u := foldPassword(username); utf8.RuneCountInString(u) >= minContextLen && strings.Contains(p, u) {
		v.Add(field, CodePasswordContainsUsername, "the password may not contain the username")
		return
	}
	for _, t := range []string{tenantSlug, strings.ReplaceAll(tenantSlug, "-", "")} {
		if t = foldPassword(t); utf8.RuneCountInString(t) >= minContextLen && strings.Contains(p, t) {
			v.Add(field, CodePasswordContainsTenant, "the password may not contain the institution's short name (its slug)")
			return
		}
	}
	switch {
	case strings.Contains(p, serviceName):
		v.Add(field, CodePasswordCommon, "the password may not contain the name of the service")
	case isCommonPassword(p):
		v.Add(field, CodePasswordCommon, "this password is among the most commonly used; choose another")
	case repeatsUnit(p):
		v.Add(field, CodePasswordCommon, "a password that repeats one character or short pattern is easy to guess")
	case sequential(p):
		v.Add(field, CodePasswordCommon, "a password of consecutive characters is easy to guess")
	}
}

// foldPassword is the form passwords are compared in: NFKC (full-width to ASCII) and lower case,
// without surrounding spaces.
func foldPassword(s string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
}

// commonPasswords loads, on first use, the commonly used passwords of zxcvbn's frequency list as the
// zxcvbn-go module ships it (about 7,000 passwords, those long enough to be set here kept), folded.
// Only its data package is imported: the module's frequency package would parse every word list
// (names, English words) at start-up.
var commonPasswords = sync.OnceValues(func() (map[string]struct{}, error) {
	raw, err := data.Asset("data/Passwords.json")
	if err != nil {
		return nil, fmt.Errorf("identity: the common password list is missing: %w", err)
	}
	var list struct{ List []string }
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("identity: the common password list is unreadable: %w", err)
	}
	set := make(map[string]struct{}, len(list.List))
	for _, p := range list.List {
		if utf8.RuneCountInString(p) >= MinPasswordLen {
			set[foldPassword(p)] = struct{}{}
		}
	}
	return set, nil
})

// isCommonPassword reports whether a folded password is on the common password list. The list is
// embedded in the binary, so failing to read it is a build defect: it panics rather than let every
// password through.
func isCommonPassword(folded string) bool {
	set, err := commonPasswords()
	if err != nil {
		panic(err)
	}
	_, ok := set[folded]
	return ok
}

// repeatsUnit reports whether s is one unit of at most a third of its length repeated ("aaaaaaaa",
// "abcabcabc", "12121212"); "passpass" (two repeats) is left to the common list.
func repeatsUnit(s string) bool {
	r := []rune(s)
	for k := 1; k <= len(r)/3; k++ {
		if len(r)%k != 0 {
			continue
		}
		same := true
		for i := k; i < len(r) && same; i++ {
			same = r[i] == r[i-k]
		}
		if same {
			return true
		}
	}
	return false
}

// sequential reports whether s is one run of consecutive letters or digits, up or down ("12345678",
// "abcdefghij", "87654321", digits wrapping "78901234").
func sequential(s string) bool {
	r := []rune(s)
	digits := unicode.IsDigit(r[0])
	if !digits && !unicode.IsLetter(r[0]) {
		return false
	}
	var dir rune
	for i := 1; i < len(r); i++ {
		if unicode.IsDigit(r[i]) != digits {
			return false
		}
		step := r[i] - r[i-1]
		if digits && (step == 9 || step == -9) { // 9→0 going up, 0→9 going down
			step = -step / 9
		}
		if (step != 1 && step != -1) || (i > 1 && step != dir) {
			return false
		}
		dir = step
	}
	return true
}

// Argon2id parameters: OWASP's first recommendation (m=19 MiB, t=2, p=1), about 25 ms of a core —
// costly enough for an offline attacker, cheap enough with login throttling in front of it.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns the PHC-format argon2id hash of password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

var errBadHash = errors.New("identity: unrecognised password hash")

// VerifyPassword reports whether password matches a PHC argon2id hash, in constant time. Parameters
// are read from the hash, so hashes made with older parameters keep verifying.
func VerifyPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return false, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when the tenant or user does not exist, so that a wrong username
// costs the same time as a wrong password.
var dummyHash = func() string {
	h, err := HashPassword("not-a-real-password-for-timing")
	if err != nil {
		panic(err)
	}
	return h
}()
