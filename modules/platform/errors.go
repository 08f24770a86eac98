// Package platform holds the plumbing every module shares: configuration, logging, the error type,
// and opening the database and Redis. It imports nothing of SkillCert's own.
package platform

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller did wrong (or that nothing was wrong with the call).
// The HTTP layer maps kinds to status codes in exactly one place (httpx.statusOf).
type Kind int

// Error kinds, one per HTTP status class the API promises.
const (
	KindInternal        Kind = iota // a bug or an outage: 500
	KindInvalid                     // malformed body or parameter: 400
	KindUnauthenticated             // no or bad credentials: 401
	KindForbidden                   // the role may not do this: 403
	KindNotFound                    // unknown, or another tenant's: 404
	KindConflict                    // duplicate or wrong state: 409
	KindTooLarge                    // body over its limit: 413
	KindUnsupported                 // a media type or encoding we refuse: 415
	KindUnprocessable               // a rule or validation failed: 422
	KindRateLimited                 // too many attempts: 429
	KindUnavailable                 // a dependency is down: 503
)

// FieldError names one invalid input field with a stable code.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is the one error type of SkillCert: a kind, a stable snake_case code a program can switch on,
// a human message, optional field errors, and the wrapped cause (never shown to clients).
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  []FieldError
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is match two *Error values by code, so sentinel errors work across wrapping.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Kind == e.Kind
}

// E builds an error of a kind with a code and message.
func E(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Wrap builds an error that keeps cause for logs and errors.Is, while clients see code and message.
func Wrap(kind Kind, code, message string, cause error) *Error {
	return &Error{Kind: kind, Code: code, Message: message, Err: cause}
}

// NotFound is the error for an unknown record or one of another tenant (never say which).
func NotFound(what string) *Error {
	return E(KindNotFound, "not_found", what+" not found")
}

// Conflict is a 409 with the given code (duplicate, invalid_state, scores_locked, …).
func Conflict(code, message string) *Error { return E(KindConflict, code, message) }

// Unprocessable is a 422 with the given code.
func Unprocessable(code, message string) *Error { return E(KindUnprocessable, code, message) }

// Forbidden is the 403 for a role that may not act.
func Forbidden(message string) *Error { return E(KindForbidden, "forbidden", message) }

// Validation collects field errors during input checking; its Err is nil while no field failed.
type Validation struct {
	Fields []FieldError
}

// Add records one failed field.
func (v *Validation) Add(field, code, message string) {
	v.Fields = append(v.Fields, FieldError{Field: field, Code: code, Message: message})
}

// Check records a failed field when ok is false, and reports ok.
func (v *Validation) Check(ok bool, field, code, message string) bool {
	if !ok {
		v.Add(field, code, message)
	}
	return ok
}

// Err returns a 422 validation_failed error listing the fields, or nil when none failed.
func (v *Validation) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Kind: KindUnprocessable, Code: "validation_failed", Message: "some fields are invalid", Fields: v.Fields}
}

// KindOf reports the kind of err: that of the first *Error in its chain, else KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// CodeOf reports the code of the first *Error in err's chain, or "internal".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "internal"
}
