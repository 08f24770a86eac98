package console

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The console's languages: Chinese first, English second.
var (
	langZH    = language.MustParse("zh-CN")
	langEN    = language.English
	languages = []language.Tag{langZH, langEN}
	matcher   = language.NewMatcher(languages)
)

// chinaTime is the console's time zone: China has kept UTC+8 without daylight saving since 1991, so a
// fixed zone needs no tz database on the host.
var chinaTime = time.FixedZone("CST", 8*3600)

//go:embed locales/*.json
var localeFS embed.FS

// catalog holds the message catalogs through go-i18n. Each area of the console keeps its messages in
// its own pair of files (locales/<area>.zh-CN.json and locales/<area>.en.json; the core's are
// zh-CN.json and en.json); an id defined in two files is an error.
type catalog struct {
	bundle *i18n.Bundle
	keys   map[string]map[string]bool // language → message ids, for the completeness test
	// plain caches messages asked for without template data, per language (go-i18n matches the
	// language and looks the message up on every call; a page asks for dozens).
	plain map[language.Tag]*sync.Map
}

func loadCatalog() (*catalog, error) {
	b := i18n.NewBundle(langZH)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	cat := &catalog{bundle: b, keys: map[string]map[string]bool{}, plain: map[language.Tag]*sync.Map{}}
	for _, tag := range languages {
		cat.plain[tag] = new(sync.Map)
	}
	files, err := fs.Glob(localeFS, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		mf, err := b.LoadMessageFileFS(localeFS, f)
		if err != nil {
			return nil, fmt.Errorf("console: message catalog %s: %w", f, err)
		}
		ids := cat.keys[mf.Tag.String()]
		if ids == nil {
			ids = map[string]bool{}
			cat.keys[mf.Tag.String()] = ids
		}
		for _, m := range mf.Messages {
			if ids[m.ID] {
				return nil, fmt.Errorf("console: message %q of %s is defined twice (%s)", m.ID, mf.Tag, f)
			}
			ids[m.ID] = true
		}
	}
	if len(cat.keys) != len(languages) {
		return nil, fmt.Errorf("console: %d message catalogs, want %d", len(cat.keys), len(languages))
	}
	return cat, nil
}

// loc localizes one request: messages, dates and numbers in its language. Templates call its methods
// ({{.L.T "nav.home"}}, {{.L.Tf "home.greeting" "Name" .User.DisplayName}}, {{.L.Time .At}}).
type loc struct {
	tag   language.Tag
	local *i18n.Localizer
	// missing records message ids asked for but absent, so tests can fail on them.
	missing func(id string)
	plain   *sync.Map // the catalog's cache of this language's messages without data
}

func (cat *catalog) localizer(tag language.Tag) *loc {
	return &loc{tag: tag, local: i18n.NewLocalizer(cat.bundle, tag.String()), plain: cat.plain[tag]}
}

// Lang is the BCP 47 tag of the page (<html lang>).
func (l *loc) Lang() string {
	if l.tag == langEN {
		return "en"
	}
	return "zh-CN"
}

// T is the message id in the request's language.
func (l *loc) T(id string) string {
	if l.plain == nil {
		return l.Tf(id)
	}
	if s, ok := l.plain.Load(id); ok {
		return s.(string)
	}
	s, err := l.local.Localize(&i18n.LocalizeConfig{MessageID: id})
	if err != nil {
		if l.missing != nil {
			l.missing(id)
		}
		return id
	}
	l.plain.Store(id, s) // only ids that exist: the cache is bounded by the catalog
	return s
}

// Tf is the message id with template data given as name, value pairs.
func (l *loc) Tf(id string, pairs ...any) string {
	var data map[string]any
	if len(pairs) > 0 {
		data = make(map[string]any, len(pairs)/2)
		for i := 0; i+1 < len(pairs); i += 2 {
			data[fmt.Sprint(pairs[i])] = pairs[i+1]
		}
	}
	s, err := l.local.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		if l.missing != nil {
			l.missing(id)
		}
		return id
	}
	return s
}

// Time formats an instant in China time, as people in the locale write it.
func (l *loc) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(chinaTime)
	if l.tag == langEN {
		return t.Format("Jan 2, 2006 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// Date formats the day of an instant in China time.
func (l *loc) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(chinaTime)
	if l.tag == langEN {
		return t.Format("Jan 2, 2006")
	}
	return t.Format("2006年1月2日")
}

// language picks the request's language: the visitor's choice (cookie), else the browser's
// Accept-Language, else Chinese.
func requestLanguage(fc *fiber.Ctx) language.Tag {
	switch fc.Cookies(langCookie) {
	case "en":
		return langEN
	case "zh-CN":
		return langZH
	}
	if h := fc.Get(fiber.HeaderAcceptLanguage); h != "" {
		tags, _, err := language.ParseAcceptLanguage(h)
		if err == nil && len(tags) > 0 {
			_, i, conf := matcher.Match(tags...)
			if conf >= language.High || (conf > language.No && strings.HasPrefix(tags[0].String(), "en")) {
				return languages[i]
			}
		}
	}
	return langZH
}
