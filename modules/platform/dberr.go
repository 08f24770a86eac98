package platform

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLite's extended result codes for a violated UNIQUE or PRIMARY KEY constraint
// (https://www.sqlite.org/rescode.html).
const (
	sqliteConstraintUnique     = 2067
	sqliteConstraintPrimaryKey = 1555
)

// IsUniqueViolation reports whether err (or an error it wraps) is a duplicate key from either
// database: SQLSTATE 23505 from PostgreSQL, or SQLite's UNIQUE / PRIMARY KEY constraint codes. It reads
// the drivers' error codes, never the message text, so a value that merely contains "23505" (a name, a
// note) can't pass for a duplicate. Stores turn it into their module's conflict error.
func IsUniqueViolation(err error) bool {
	return IsConstraint(err, "")
}

// IsConstraint is IsUniqueViolation narrowed to one PostgreSQL constraint by name ("" for any). SQLite
// does not report constraint names; there any unique violation matches.
func IsConstraint(err error, constraint string) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" && (constraint == "" || pgErr.ConstraintName == constraint)
	}
	// modernc.org/sqlite's *sqlite.Error (the driver bun's sqliteshim picks) reports the extended
	// result code through Code().
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		c := coded.Code()
		return c == sqliteConstraintUnique || c == sqliteConstraintPrimaryKey
	}
	return false
}
