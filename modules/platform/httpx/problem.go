// Package httpx is SkillCert's HTTP convention layer on fiber: problem+json errors mapped from
// platform.Error in one place, request ids, structured access logs, metrics, body limits, the refusal
// of compressed bodies, list parameters with keyset cursors, and a Router whose route table declares
// each operation's permission and generates the OpenAPI document, so the spec cannot drift.
package httpx

import (
	"errors"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/platform"
)

// Problem is an RFC 9457 problem document with SkillCert's stable code and field errors.
type Problem struct {
	Type      string                `json:"type,omitempty"`
	Status    int                   `json:"status"`
	Code      string                `json:"code"`
	Title     string                `json:"title"`
	Detail    string                `json:"detail,omitempty"`
	Errors    []platform.FieldError `json:"errors,omitempty"`
	RequestID string                `json:"request_id,omitempty"`
}

// statusOf is the one mapping from error kinds to HTTP statuses.
func statusOf(k platform.Kind) int {
	switch k {
	case platform.KindInvalid:
		return fiber.StatusBadRequest
	case platform.KindUnauthenticated:
		return fiber.StatusUnauthorized
	case platform.KindForbidden:
		return fiber.StatusForbidden
	case platform.KindNotFound:
		return fiber.StatusNotFound
	case platform.KindConflict:
		return fiber.StatusConflict
	case platform.KindTooLarge:
		return fiber.StatusRequestEntityTooLarge
	case platform.KindUnsupported:
		return fiber.StatusUnsupportedMediaType
	case platform.KindUnprocessable:
		return fiber.StatusUnprocessableEntity
	case platform.KindRateLimited:
		return fiber.StatusTooManyRequests
	case platform.KindUnavailable:
		return fiber.StatusServiceUnavailable
	default:
		return fiber.StatusInternalServerError
	}
}

var retryAfter = strconv.Itoa(platform.RetryAfterSeconds)

// fiberCodes names fiber's own errors (routing, body limit) with stable codes.
var fiberCodes = map[int]string{
	fiber.StatusBadRequest:            "bad_request",
	fiber.StatusNotFound:              "not_found",
	fiber.StatusMethodNotAllowed:      "method_not_allowed",
	fiber.StatusRequestEntityTooLarge: "body_too_large",
	fiber.StatusUnsupportedMediaType:  "unsupported_media_type",
	fiber.StatusRequestTimeout:        "timeout",
}

// ProblemFor converts any error into the problem a client sees. Internal errors never leak detail.
// An internal error that is an outage (platform.IsUnavailable: the database unreachable, restarting or
// out of connections, …) is 503 unavailable instead: the request may succeed when repeated.
func ProblemFor(err error) Problem {
	var pe *platform.Error
	if errors.As(err, &pe) && pe.Kind != platform.KindInternal {
		return Problem{Status: statusOf(pe.Kind), Code: pe.Code, Title: pe.Message, Errors: pe.Fields}
	}
	if platform.IsUnavailable(err) {
		return Problem{Status: fiber.StatusServiceUnavailable, Code: "unavailable",
			Title: "the service is briefly unavailable; try again in a few seconds"}
	}
	if pe != nil {
		return Problem{Status: fiber.StatusInternalServerError, Code: "internal", Title: "internal error"}
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code, ok := fiberCodes[fe.Code]
		if !ok {
			code = "http_error"
		}
		return Problem{Status: fe.Code, Code: code, Title: fe.Message}
	}
	return Problem{Status: fiber.StatusInternalServerError, Code: "internal", Title: "internal error"}
}

// ErrorHandler writes every error returned by a handler or middleware as problem+json, and logs
// server-side failures with their cause.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p := ProblemFor(err)
		p.RequestID = requestID(c)
		if p.Status >= 500 {
			log.ErrorContext(c.UserContext(), "request failed", "err", err, "request_id", p.RequestID,
				"method", c.Method(), "path", c.Path())
		}
		return WriteProblem(c, p)
	}
}

// WriteProblem sends p as application/problem+json. A 503 says when to try again (Retry-After).
func WriteProblem(c *fiber.Ctx, p Problem) error {
	c.Status(p.Status)
	if p.Status == fiber.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, retryAfter)
	}
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.JSON(p, "application/problem+json")
}
