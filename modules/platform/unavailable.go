package platform

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// RetryAfterSeconds is what a 503 tells clients to wait before trying again (Retry-After).
const RetryAfterSeconds = 5

// Unavailable wraps cause as a KindUnavailable error (503 unavailable, with Retry-After).
func Unavailable(cause error) *Error {
	return Wrap(KindUnavailable, "unavailable", "the service is briefly unavailable; try again in a few seconds", cause)
}

// IsUnavailable reports whether err (or an error it wraps) says that a dependency — PostgreSQL above
// all, or any server reached over the network — cannot be used right now, rather than that the request
// or the code is wrong: the request may well succeed when retried. It is the one classification of
// outages; httpx answers such errors 503 with Retry-After instead of 500. It reads drivers' types and
// codes, never message text:
//
//   - no connection could be made (pgconn.ConnectError: refused, timed out, the server refusing the
//     session: too many connections, database shutting down or not accepting connections, …);
//   - an established connection broke (reset, closed, unexpected EOF inside the driver, database/sql's
//     bad-connection error, a pool already closed);
//   - the server says so: SQLSTATE class 08 (connection exception), 53300 too_many_connections,
//     57P01/57P02/57P03 (admin shutdown, crash shutdown, cannot connect now);
//   - a deadline passed while waiting (for a pooled connection or for the server);
//   - SQLite (dev mode) stayed busy or locked beyond its busy timeout.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableSQLState(pgErr.Code)
	}
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, errDBClosed),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		pgconn.Timeout(err):
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	// A connection lost in the middle of a query: pgconn's own errors (they say whether a retry is
	// safe) around an EOF from the socket.
	var pgconnErr interface{ SafeToRetry() bool }
	if errors.As(err, &pgconnErr) && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
		return true
	}
	// modernc.org/sqlite reports extended result codes; the primary code is the low byte.
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case sqliteBusy, sqliteLocked:
			return true
		}
	}
	return false
}

// SQLite's primary result codes for a database another connection holds.
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

// unavailableSQLState reports whether a PostgreSQL error code says the server can't serve now.
func unavailableSQLState(code string) bool {
	if len(code) == 5 && code[:2] == "08" { // connection_exception and its subclasses
		return true
	}
	switch code {
	case "53300", // too_many_connections
		"57P01", // admin_shutdown (pg_terminate_backend, a fast shutdown)
		"57P02", // crash_shutdown
		"57P03": // cannot_connect_now (starting up, recovering)
		return true
	}
	return false
}

// errDBClosed is database/sql's "sql: database is closed", which the package does not export: it is
// taken once from a closed pool of a driver that never connects, so that errors.Is can find it
// without matching the message.
var errDBClosed = func() error {
	db := sql.OpenDB(noConnector{})
	_ = db.Close()
	err := db.PingContext(context.Background())
	if err == nil {
		return errors.New("platform: unreachable")
	}
	return err
}()

// noConnector is a database/sql connector that is never asked for a connection.
type noConnector struct{}

func (noConnector) Connect(context.Context) (driver.Conn, error) { return nil, driver.ErrBadConn }
func (noConnector) Driver() driver.Driver                        { return noDriver{} }

type noDriver struct{}

func (noDriver) Open(string) (driver.Conn, error) { return nil, driver.ErrBadConn }
