package httpx

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skillcert/skillcert/modules/platform"
)

// Body limits of API.md: JSON bodies at most 1 MiB, uploads (multipart) at most 32 MiB.
const (
	JSONBodyLimit   = 1 << 20
	UploadBodyLimit = 32 << 20
)

const localsRequestID = "request_id"

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// RequestID takes a sane X-Request-Id from the client or makes one, echoes it, and puts it in the
// request's context for logs and audit entries.
func RequestID() fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Get(fiber.HeaderXRequestID)
		if !requestIDPattern.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Locals(localsRequestID, id)
		c.Set(fiber.HeaderXRequestID, id)
		// TrackWrites: a request that writes reads its own writes from the primary (platform.Reads).
		c.SetUserContext(platform.TrackWrites(platform.WithRequestID(c.UserContext(), id)))
		return c.Next()
	}
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localsRequestID).(string)
	return id
}

// Recover turns a panic into a logged 500 problem instead of a dropped connection.
func Recover(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(c.UserContext(), "panic in handler", "panic", fmt.Sprint(r), "request_id", requestID(c))
				err = platform.E(platform.KindInternal, "internal", "internal error")
			}
		}()
		return c.Next()
	}
}

// Metrics are the HTTP metrics every instance exports.
type Metrics struct {
	latency *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "skillcert", Name: "http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern, method and status.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method", "status"})}
	reg.MustRegister(m.latency)
	return m
}

// AccessLog logs one line per request and records its latency by route pattern (never the raw path,
// which would explode label cardinality). It runs the error handler itself so the status is final.
func AccessLog(log *slog.Logger, m *Metrics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		route := c.Route().Path
		// fiber's strings point into buffers reused by the next request: a metric label outlives
		// this request, so it gets its own copy.
		method := strings.Clone(c.Method())
		elapsed := time.Since(start)
		if m != nil {
			m.latency.WithLabelValues(strings.Clone(route), method, strconv.Itoa(status)).Observe(elapsed.Seconds())
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.Log(c.UserContext(), level, "http",
			"method", method, "route", route, "path", c.Path(), "status", status,
			"duration_ms", float64(elapsed.Microseconds())/1000, "request_id", requestID(c), "ip", c.IP())
		return nil
	}
}

// BodyRules enforces API.md's body rules before any handler reads the body: a compressed body is
// refused unread (a gzip bomb is never inflated; fiber's Body() would inflate it), JSON bodies are
// limited to 1 MiB and multipart uploads to 32 MiB (the server-wide limit).
func BodyRules() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if enc := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); enc != "" && !strings.EqualFold(enc, "identity") {
			return platform.E(platform.KindUnsupported, "unsupported_content_encoding",
				"compressed request bodies are not accepted; send the body uncompressed")
		}
		n := len(c.Request().Body())
		if n > JSONBodyLimit && !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
			return platform.E(platform.KindTooLarge, "body_too_large", "JSON bodies are limited to 1 MiB")
		}
		return c.Next()
	}
}
