package exams_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/exams"
)

// TestTicketToken: a token verifies for its tenant and batch only; any change of it, another key,
// another batch or tenant is invalid_ticket; it stays short enough for a small QR code.
func TestTicketToken(t *testing.T) {
	key := exams.TicketKey([]byte("platform secret of 32 bytes....."))
	c := exams.TicketClaims{TenantID: uuid.New(), BatchID: uuid.New(), ApplicationID: uuid.New(), TicketNumber: exams.TicketNumber(2026, 3, 42)}
	if c.TicketNumber != "2026000300042" {
		t.Fatalf("ticket number %q", c.TicketNumber)
	}
	tok := exams.SignTicket(key, c)
	if len(tok) > 80 {
		t.Errorf("token of %d characters: %s", len(tok), tok)
	}
	got, err := exams.VerifyTicket(key, c.TenantID, c.BatchID, tok)
	if err != nil || got != c {
		t.Fatalf("verify: %+v %v", got, err)
	}
	other := exams.TicketKey([]byte("another platform secret........."))
	tamper := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	bad := map[string]func() error{
		"other batch":  func() error { _, err := exams.VerifyTicket(key, c.TenantID, uuid.New(), tok); return err },
		"other tenant": func() error { _, err := exams.VerifyTicket(key, uuid.New(), c.BatchID, tok); return err },
		"other key":    func() error { _, err := exams.VerifyTicket(other, c.TenantID, c.BatchID, tok); return err },
		"empty":        func() error { _, err := exams.VerifyTicket(key, c.TenantID, c.BatchID, ""); return err },
		"number changed": func() error {
			_, err := exams.VerifyTicket(key, c.TenantID, c.BatchID, strings.Replace(tok, c.TicketNumber, "2026000300043", 1))
			return err
		},
	}
	for i := 3; i < len(tok); i += 7 {
		i := i
		bad["byte "+string(rune('0'+i%10))+"@"+uuid.NewString()[:4]] = func() error {
			_, err := exams.VerifyTicket(key, c.TenantID, c.BatchID, tamper(tok, i))
			return err
		}
	}
	for name, f := range bad {
		if err := f(); err != exams.ErrInvalidTicket {
			t.Errorf("%s: %v, want invalid_ticket", name, err)
		}
	}
}
