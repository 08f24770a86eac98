package policies

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/tenants"
)

// The authorization budget: with 10,000 tenants × 5 roles × 10 users loaded, an uncached
// check costs at most 30 µs and at most 3× the one-tenant figure; a cached one at most 2 µs.
// Run (about 40 s, most of it loading 500,000 assignments):
//
//	go test ./policies -run '^$' -bench BenchmarkAuthorize -benchtime 2s -benchmem
//
// The benchmark is in the package (not policies_test) to switch the enforcer's decision cache off for
// the uncached figures; policies_test.go owns the package's TestMain (none is needed here: no DB).

// benchRoles are the five institution roles; each tenant gets benchUsersPerRole users per role.
var benchRoles = []string{"admin", "staff", "evaluator", "supervisor", "candidate"}

const benchUsersPerRole = 10

// benchQuery is one check with the answer the role templates give.
type benchQuery struct {
	tenant, user uuid.UUID
	action       string
	want         bool
}

// benchWorld is an authorizer loaded with synthetic assignments and queries against it.
type benchWorld struct {
	authz        *Authorizer
	allow, deny  []benchQuery // queries whose answer is allow, resp. deny
	tenants, all int
}

// buildBenchWorld loads n institution tenants × 5 roles × 10 users into a fresh Authorizer through
// policies.New and an AssignmentLoader, exactly as the server does from user_roles.
func buildBenchWorld(tb testing.TB, n int) *benchWorld {
	tb.Helper()
	rules, err := Templates()
	if err != nil {
		tb.Fatal(err)
	}
	grants := map[string]bool{} // "role:<family>:<role> action"
	var actions []string
	seen := map[string]bool{}
	for _, r := range rules {
		grants[r.Role+" "+r.Action] = true
		if !seen[r.Action] {
			seen[r.Action] = true
			actions = append(actions, r.Action)
		}
	}
	// A verb no template grants: the worst case, every p rule is looked at before denying.
	actions = append(actions, "bench:nothing")

	as := make([]Assignment, 0, n*len(benchRoles)*benchUsersPerRole)
	w := &benchWorld{tenants: n}
	for t := 0; t < n; t++ {
		tid := uuid.New()
		for ri, role := range benchRoles {
			for u := 0; u < benchUsersPerRole; u++ {
				uid := uuid.New()
				as = append(as, Assignment{TenantID: tid, Kind: tenants.KindEnterprise, UserID: uid, Role: role})
				// Queries spread over the whole population (every 97th assignment) so lookups do not
				// all hit one tenant's entries; each asks one action, rotating through the templates.
				if len(as)%97 == 1 || n == 1 {
					act := actions[(t+ri+u)%len(actions)]
					q := benchQuery{tenant: tid, user: uid, action: act,
						want: grants[RoleSubject(tenants.KindEnterprise, role)+" "+act]}
					if q.want {
						w.allow = append(w.allow, q)
					} else {
						w.deny = append(w.deny, q)
					}
				}
			}
		}
	}
	w.all = len(as)
	load := func(context.Context) ([]Assignment, error) { return as, nil }
	if w.authz, err = New(context.Background(), load, nil); err != nil {
		tb.Fatal(err)
	}
	if len(w.allow) == 0 || len(w.deny) == 0 {
		tb.Fatalf("synthetic queries: %d allow, %d deny; need both", len(w.allow), len(w.deny))
	}
	return w
}

// run checks queries round-robin and fails on a wrong decision, so a broken model cannot look fast.
func (w *benchWorld) run(b *testing.B, qs []benchQuery) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := qs[i%len(qs)]
		ok, err := w.authz.Allowed(q.tenant, q.user, q.action)
		if err != nil || ok != q.want {
			b.Fatalf("Allowed(%s, %s, %s) = %v, %v; want %v", q.tenant, q.user, q.action, ok, err, q.want)
		}
	}
}

// BenchmarkAuthorize reports the three figures of the issue, plus allow/deny detail:
//
//	tenants=1/uncached/{allow,deny}       the one-tenant reference
//	tenants=10000/uncached/{allow,deny}   ≤ 30 µs and ≤ 3× the reference
//	tenants=10000/cached                  ≤ 2 µs
func BenchmarkAuthorize(b *testing.B) {
	for _, n := range []int{1, 10_000} {
		w := buildBenchWorld(b, n)
		// Collect the loading garbage first, so a GC cycle of it does not run inside the timed loops;
		// the live heap (the enforcer's size) is reported with every figure.
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heapMiB := float64(ms.HeapAlloc) / (1 << 20)
		b.Logf("tenants=%d: %d assignments, %d allow and %d deny queries, live heap %.0f MiB",
			n, w.all, len(w.allow), len(w.deny), heapMiB)
		b.Run(fmt.Sprintf("tenants=%d/uncached/allow", n), func(b *testing.B) {
			w.authz.EnableCache(false)
			w.run(b, w.allow)
			b.ReportMetric(heapMiB, "heap-MiB")
		})
		b.Run(fmt.Sprintf("tenants=%d/uncached/deny", n), func(b *testing.B) {
			w.authz.EnableCache(false)
			w.run(b, w.deny)
			b.ReportMetric(heapMiB, "heap-MiB")
		})
		b.Run(fmt.Sprintf("tenants=%d/cached", n), func(b *testing.B) {
			w.authz.EnableCache(true)
			qs := append(append([]benchQuery(nil), w.allow...), w.deny...)
			for _, q := range qs { // warm: every query answered once, so the loop only reads the cache
				if _, err := w.authz.Allowed(q.tenant, q.user, q.action); err != nil {
					b.Fatal(err)
				}
			}
			w.run(b, qs)
			b.ReportMetric(heapMiB, "heap-MiB")
		})
	}
}
