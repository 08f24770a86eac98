package platform

import (
	"io"
	"log/slog"
	"strings"
)

// secretKeys are attribute names whose values never reach a log line.
var secretKeys = []string{"password", "secret", "token", "authorization", "cookie", "master_key", "private"}

// NewLogger builds the process logger: JSON (serve, worker) or text (dev), with secrets redacted
// by attribute name so a careless slog.Any("password", …) cannot leak.
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: redact}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func redact(_ []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	for _, s := range secretKeys {
		if strings.Contains(k, s) {
			return slog.String(a.Key, "[redacted]")
		}
	}
	return a
}
