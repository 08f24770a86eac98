package dbtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// PGBench runs PostgreSQL's pgbench against the benchmark's database — the reference the issues name
// for "the same SQL under pgbench" — and reports its throughput as unit/s and the matching ns/op.
// script is one pgbench script (literal SQL, or pgbench's \set and :variables); mode is pgbench's -M
// (simple, extended, prepared). clients connections on two threads run b.N transactions in all. The
// benchmark is skipped where pgbench is not installed (Debian: postgresql-client).
func PGBench(b *testing.B, script, mode string, clients int, unit string) {
	b.Helper()
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		b.Skip("pgbench is not installed")
	}
	file := filepath.Join(b.TempDir(), "bench.sql")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		b.Fatal(err)
	}
	perClient := max(b.N/clients, 1)
	out, err := exec.Command(bin, "-n", "-M", mode, "-c", strconv.Itoa(clients), "-j", "2",
		"-t", strconv.Itoa(perClient), "-f", file, URL(b)).CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench: %v\n%s", err, out)
	}
	m := pgbenchTPS.FindSubmatch(out)
	if m == nil {
		b.Fatalf("pgbench printed no tps:\n%s", out)
	}
	tps, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil || tps <= 0 {
		b.Fatalf("pgbench tps %q: %v", m[1], err)
	}
	b.ReportMetric(tps, unit+"/s")
	b.ReportMetric(1e9/tps, "ns/op")
}

var pgbenchTPS = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// Literal quotes v as an SQL string literal, for pgbench scripts that inline their values.
func Literal(v any) string {
	s := fmt.Sprint(v)
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
