package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
)

// PGReplica is a streaming replica of the tests' PostgreSQL server: a second cluster cloned with
// `pg_basebackup -R` into a temporary directory and started with pg_ctl on a free port (as the
// postgres OS user when the test runs as root, which PostgreSQL refuses to run as). It follows the
// primary until the test ends, when it is stopped and removed.
type PGReplica struct {
	Port int
	dir  string
	bin  string
	asPG bool
}

// StartStreamingReplica clones the server behind ServerURL and starts the clone as a hot standby.
// The primary must accept replication connections from 127.0.0.1: when its pg_hba.conf has no such
// line and the file is writable here (the machine's own server, as in CI), one is added and the
// configuration reloaded, which needs no restart; otherwise the test fails saying what is missing.
func StartStreamingReplica(tb testing.TB) *PGReplica {
	tb.Helper()
	bin := postgresBin(tb)
	ctx := context.Background()
	admin, err := platform.OpenPostgres(ctx, ServerURL())
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	allowReplication(tb, admin)

	r := &PGReplica{Port: freePort(tb), bin: bin}
	u, _ := user.Current()
	r.asPG = u != nil && u.Uid == "0"
	base, err := os.MkdirTemp("", "skillcert-replica-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(base) })
	r.dir = filepath.Join(base, "data")
	if r.asPG {
		if out, err := exec.Command("chown", "postgres:postgres", base).CombinedOutput(); err != nil {
			tb.Fatalf("dbtest: chown %s: %v %s", base, err, out)
		}
	}
	su, _ := url.Parse(ServerURL())
	host, port, pgUser := su.Hostname(), su.Port(), su.User.Username()
	if port == "" {
		port = "5432"
	}
	// Other packages' tests may terminate backends on the shared server (fault tests): try again.
	for attempt := 1; ; attempt++ {
		out, err := r.command(filepath.Join(bin, "pg_basebackup"), "-h", host, "-p", port, "-U", pgUser, "-D", r.dir,
			"-R", "-X", "stream", "-c", "fast").CombinedOutput()
		if err == nil {
			break
		}
		if attempt == 3 {
			tb.Fatalf("dbtest: pg_basebackup: %v\n%s", err, out)
		}
		_ = os.RemoveAll(r.dir)
		time.Sleep(time.Second)
	}
	// The clone's own configuration (Debian keeps the server's in /etc, so the data directory has
	// none): its port, a socket directory of its own, trust on loopback as on the primary.
	conf := fmt.Sprintf("port = %d\nunix_socket_directories = '%s'\nlisten_addresses = '127.0.0.1'\nhot_standby = on\nhot_standby_feedback = on\nshared_buffers = 32MB\n", r.Port, base)
	// A standby must allow at least what the primary does, or recovery stops.
	for _, p := range []string{"max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction"} {
		var v string
		if err := admin.QueryRowContext(ctx, "SELECT current_setting(?)", p).Scan(&v); err != nil {
			tb.Fatalf("dbtest: %s: %v", p, err)
		}
		conf += p + " = " + v + "\n"
	}
	hba := "local all all trust\nhost all all 127.0.0.1/32 trust\n"
	r.run(tb, "sh", "-c", fmt.Sprintf("printf '%%s' \"$0\" > %s/postgresql.conf && printf '%%s' \"$1\" > %s/pg_hba.conf && : > %s/pg_ident.conf", r.dir, r.dir, r.dir), conf, hba)
	tb.Cleanup(func() { r.Stop(tb) })
	r.Start(tb)
	return r
}

// URL is the replica's address for database name (the same names as on the primary).
func (r *PGReplica) URL(database string) string {
	su, _ := url.Parse(ServerURL())
	su.Host = "127.0.0.1:" + strconv.Itoa(r.Port)
	su.Path = "/" + database
	return su.String()
}

// Start starts (again) the replica and waits until it accepts connections.
func (r *PGReplica) Start(tb testing.TB) {
	tb.Helper()
	logFile := filepath.Join(filepath.Dir(r.dir), "log")
	if out, err := r.command(filepath.Join(r.bin, "pg_ctl"), "-D", r.dir, "-l", logFile, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		l, _ := os.ReadFile(logFile)
		tb.Fatalf("dbtest: starting the replica: %v\n%s\n%s", err, out, l)
	}
}

// Stop stops the replica (fast shutdown); reads routed to it must fall back to the primary.
func (r *PGReplica) Stop(tb testing.TB) {
	tb.Helper()
	cmd := r.command(filepath.Join(r.bin, "pg_ctl"), "-D", r.dir, "-m", "immediate", "-w", "stop")
	_ = cmd.Run() // stopping a stopped replica is fine
}

// PauseReplay stops applying WAL (pg_wal_replay_pause): the replica falls behind the primary until
// ResumeReplay.
func (r *PGReplica) PauseReplay(tb testing.TB) { r.exec(tb, "SELECT pg_wal_replay_pause()") }

// ResumeReplay applies WAL again.
func (r *PGReplica) ResumeReplay(tb testing.TB) { r.exec(tb, "SELECT pg_wal_replay_resume()") }

func (r *PGReplica) exec(tb testing.TB, sql string) {
	tb.Helper()
	db, err := platform.OpenPostgres(context.Background(), r.URL("postgres"))
	if err != nil {
		tb.Fatalf("dbtest: replica: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), sql); err != nil {
		tb.Fatalf("dbtest: replica: %s: %v", sql, err)
	}
}

func (r *PGReplica) command(name string, args ...string) *exec.Cmd {
	if r.asPG {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

func (r *PGReplica) run(tb testing.TB, name string, args ...string) {
	tb.Helper()
	if out, err := r.command(name, args...).CombinedOutput(); err != nil {
		tb.Fatalf("dbtest: %s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
}

// postgresBin finds the server binaries (pg_basebackup, pg_ctl) of the running server's version.
func postgresBin(tb testing.TB) string {
	tb.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p)
	}
	tb.Fatal("dbtest: PostgreSQL's server binaries (pg_ctl, pg_basebackup) are not installed; the replica tests need them (apt-get install postgresql)")
	return ""
}

// allowReplication makes sure the primary accepts replication connections from loopback.
func allowReplication(tb testing.TB, admin *bun.DB) {
	tb.Helper()
	ctx := context.Background()
	var ok bool
	err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_hba_file_rules WHERE error IS NULL
		AND type IN ('host', 'hostnossl') AND 'replication' = ANY(database))`).Scan(&ok)
	if err != nil {
		tb.Fatalf("dbtest: reading pg_hba rules: %v", err)
	}
	if ok {
		return
	}
	var file string
	if err := admin.QueryRowContext(ctx, "SHOW hba_file").Scan(&file); err != nil {
		tb.Fatalf("dbtest: SHOW hba_file: %v", err)
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatalf("dbtest: the primary allows no replication connection and its %s cannot be changed here (%v): add "+
			"`host replication all 127.0.0.1/32 trust` and reload (.ci/run does)", file, err)
	}
	_, err = f.WriteString("\n# added by SkillCert's tests (dbtest.StartStreamingReplica): streaming replicas on loopback\nhost replication all 127.0.0.1/32 trust\n")
	_ = f.Close()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, "SELECT pg_reload_conf()"); err != nil {
		tb.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the postmaster reloads on SIGHUP, asynchronously
}

func freePort(tb testing.TB) int {
	tb.Helper()
	a := freeAddr(tb)
	_, p, _ := strings.Cut(a, ":")
	n, _ := strconv.Atoi(p)
	return n
}
