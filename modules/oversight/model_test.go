package oversight_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/delivery"
	"github.com/skillcert/skillcert/modules/testkit"
)

func TestOptionsFromEnv(t *testing.T) {
	cases := []struct {
		env     map[string]string
		dead    time.Duration
		wantErr string
	}{
		{env: map[string]string{}, dead: 0},
		{env: map[string]string{"SKILLCERT_SYNC_DEAD_AFTER": "36h"}, dead: 36 * time.Hour},
		{env: map[string]string{"SKILLCERT_SYNC_DEAD_AFTER": "a day"}, wantErr: "SKILLCERT_SYNC_DEAD_AFTER"},
		{env: map[string]string{"SKILLCERT_SYNC_BACKOFF_MAX": "-1s"}, wantErr: "SKILLCERT_SYNC_BACKOFF_MAX"},
	}
	for _, c := range cases {
		o, err := oversight.OptionsFromEnv(func(k string) string { return c.env[k] })
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v: err = %v", c.env, err)
			}
			continue
		}
		if err != nil || o.DeadAfter != c.dead {
			t.Errorf("%v: %+v, %v", c.env, o, err)
		}
	}
}

func TestSignature(t *testing.T) {
	body, secret := []byte(`{"id":"x"}`), []byte("s3cret-s3cret-s3cret")
	sig := delivery.Sign(body, secret)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 || !delivery.VerifySignature(body, secret, sig) {
		t.Fatalf("signature %q", sig)
	}
	if delivery.VerifySignature([]byte(`{"id":"y"}`), secret, sig) || delivery.VerifySignature(body, []byte("other"), sig) {
		t.Fatal("a signature verifies for another body or secret")
	}
}

func TestOpenAPIDocumentsOversight(t *testing.T) {
	k := testkit.New(t)
	res := k.Do(t, "GET", "/api/v1/openapi.json", "", nil).Want(t, http.StatusOK)
	for _, p := range []string{"/api/v1/oversight/sync-endpoint", "/api/v1/oversight/decisions", "/api/v1/public/complaints",
		"/api/v1/public/sampling/{id}", "/api/v1/decisions/{id}/review-request", "/api/v1/oversight/institutions/{tenant_id}/audit"} {
		if !strings.Contains(string(res.Body), `"`+p+`"`) {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
}

func TestBackoffIsExponentialWithJitter(t *testing.T) {
	backoff := oversight.Backoff{Base: time.Second, Max: time.Minute}
	for _, c := range []struct {
		n       int
		nominal time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {6, 32 * time.Second}, {7, time.Minute}, {30, time.Minute}} {
		seen := map[time.Duration]bool{}
		for i := 0; i < 50; i++ {
			d := backoff.Wait(c.n)
			if d < c.nominal/2 || d > c.nominal {
				t.Fatalf("retry %d waits %s, want within [%s, %s]", c.n, d, c.nominal/2, c.nominal)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Fatalf("retry %d: only %d distinct waits in 50: no jitter", c.n, len(seen))
		}
	}
}
