package httpx_test

import (
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// The appenders write what the app's encoder writes, byte for byte.
func TestAppendersMatchTheEncoder(t *testing.T) {
	var allASCII strings.Builder
	for c := range 128 {
		allASCII.WriteByte(byte(c))
	}
	strs := []string{"", "plain", allASCII.String(), `"quoted" \ back\slash`, "<script>&amp;</script>",
		"line\u2028para\u2029end", "bad \xff utf-8 \xc3", "张三", "𠀀𪚥 outside the BMP 😀", strings.Repeat("长名字", 30),
		"\b\f\n\r\t\x00\x1f\x7f"}
	for _, s := range strs {
		assertSame(t, "string "+s, httpx.AppendString(nil, s), s)
	}
	assertSame(t, "nil strings", httpx.AppendStrings(nil, nil), []string(nil))
	assertSame(t, "empty strings", httpx.AppendStrings(nil, []string{}), []string{})
	assertSame(t, "strings", httpx.AppendStrings(nil, strs), strs)
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 78, 78.5, 99.99, 0.1, 1e-6, 1e-7, 1.5e-9, 1e20, 1e21, 1.25e22,
		123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		assertSame(t, "float", httpx.AppendFloat(nil, f), f)
	}
	cst := time.FixedZone("CST", 8*3600)
	for _, tm := range []time.Time{{}, time.Date(2026, 11, 23, 14, 5, 6, 0, time.UTC),
		time.Date(2026, 11, 23, 14, 5, 6, 123456789, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 120000, cst),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)} {
		assertSame(t, "time", httpx.AppendTime(nil, tm), tm)
	}
	for _, u := range []uuid.UUID{uuid.Nil, uuid.New(), uuid.Max} {
		assertSame(t, "uuid", httpx.AppendUUID(nil, u), u)
	}
	assertSame(t, "bool", httpx.AppendBool(nil, true), true)
	if got := string(httpx.AppendFloat(nil, math.NaN())); got != "null" {
		t.Errorf("NaN: %s, want null", got)
	}
	if got := string(httpx.AppendTime(nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))); got != "null" {
		t.Errorf("year 10000: %s, want null", got)
	}
}

func assertSame(t *testing.T, what string, got []byte, v any) {
	t.Helper()
	want, err := gojson.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if string(got) != string(want) {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
}

type appended struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

func (a *appended) AppendJSON(b []byte) []byte {
	b = append(b, `{"name":`...)
	b = httpx.AppendString(b, a.Name)
	b = append(b, `,"at":`...)
	b = httpx.AppendTime(b, a.At)
	return append(b, '}')
}

// JSONList and JSON answer as c.JSON would, body and content type, whatever the handler set before.
func TestJSONListMatchesCtxJSON(t *testing.T) {
	app := httpx.NewApp(slog.New(slog.NewTextHandler(io.Discard, nil)), httpx.NewMetrics(prometheus.NewRegistry()))
	at := time.Date(2026, 11, 23, 8, 0, 0, 5, time.UTC)
	pages := map[string]platform.Page[appended]{
		"empty": {Items: []appended{}},
		"two":   {Items: []appended{{"张三<", at}, {"李四", at.Add(time.Second)}}, NextCursor: "abc"},
	}
	appendItem := func(b []byte, a *appended) []byte { return a.AppendJSON(b) }
	for name, p := range pages {
		app.Get("/appended/"+name, func(c *fiber.Ctx) error {
			c.Set("Content-Type", "text/plain")
			c.Response().SetBodyString("left over")
			return httpx.JSONList(c, p.Items, p.NextCursor, appendItem)
		})
		app.Get("/encoded/"+name, func(c *fiber.Ctx) error { return c.JSON(p) })
	}
	app.Get("/nil", func(c *fiber.Ctx) error { return httpx.JSONList(c, nil, "", appendItem) })
	app.Get("/one", func(c *fiber.Ctx) error { return httpx.JSON(c.Status(201), &appended{"x", at}) })
	get := func(path string) (int, string, string) {
		res, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), string(body)
	}
	for name := range pages {
		_, gotType, got := get("/appended/" + name)
		_, wantType, want := get("/encoded/" + name)
		if got != want || gotType != wantType {
			t.Errorf("%s: %s %s, want %s %s", name, gotType, got, wantType, want)
		}
	}
	if _, _, body := get("/nil"); body != `{"items":[],"next_cursor":""}` {
		t.Errorf("nil items: %s", body)
	}
	if status, typ, body := get("/one"); status != 201 || typ != fiber.MIMEApplicationJSON ||
		body != `{"name":"x","at":"2026-11-23T08:00:00.000000005Z"}` {
		t.Errorf("JSON: %d %s %s", status, typ, body)
	}
}
