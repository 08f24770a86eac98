package httpx

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// NewApp returns a fiber app with SkillCert's conventions installed: problem+json errors, request
// ids, panic recovery, access logs and latency metrics, and the body rules. Routes are added after.
func NewApp(log *slog.Logger, m *Metrics) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "skillcert",
		BodyLimit:             UploadBodyLimit,
		ErrorHandler:          ErrorHandler(log),
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	app.Use(RequestID(), AccessLog(log, m), Recover(log), BodyRules())
	return app
}
