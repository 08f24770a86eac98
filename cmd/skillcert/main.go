// Command skillcert is the one binary of SkillCert:
//
//	skillcert dev                 everything in one process on SQLite + in-process Redis (a newcomer's start)
//	skillcert serve               the HTTP API on PostgreSQL and Redis
//	skillcert worker              background jobs and the scheduler on PostgreSQL and Redis
//	skillcert migrate up|down|status
//	skillcert admin create-tenant|reset-password|disable-user …
//	skillcert audit verify [--tenant SLUG]
//
// Configuration comes from the environment (see README.md); bad configuration stops it with one line.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "skillcert:", err)
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "skillcert:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  skillcert dev                          run API, worker and scheduler on SQLite + in-process Redis
  skillcert serve                        run the HTTP API (PostgreSQL, Redis)
  skillcert worker                       run background jobs and the scheduler (PostgreSQL, Redis)
  skillcert migrate up|down|status       manage the database schema (as the owner role)
  skillcert admin create-tenant --slug S --name N --kind K --region CODE [--credit-code C] --admin-username U --admin-password P
  skillcert admin reset-password --tenant SLUG --username U --password P
  skillcert admin disable-user --tenant SLUG --username U
  skillcert audit verify [--tenant SLUG]
  skillcert sync replay --since RFC3339
`

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// run is the whole program, testable: arguments, environment and output are parameters.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	switch args[0] {
	case "dev":
		return runDev(ctx, args[1:], getenv, stdout, stderr)
	case "serve":
		return runServe(ctx, args[1:], getenv, stderr)
	case "worker":
		return runWorker(ctx, args[1:], getenv, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], getenv, stdout)
	case "admin":
		return runAdmin(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, args[1:], getenv, stdout, stderr)
	case "sync":
		return runSync(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}
