package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/platform"
)

type keySigner struct{ k *credential.Key }

func (s keySigner) SignDetached(_ context.Context, b []byte) (string, error) {
	return s.k.SignDetached(b)
}

// build writes an archive of files (path → content) signed by k.
func build(t *testing.T, k *credential.Key, files [][2]string) ([]byte, Manifest) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, uuid.New(), time.Date(2026, 12, 1, 10, 0, 0, 5, time.UTC))
	for _, f := range files {
		if err := w.Add(f[0], func(out io.Writer) error { _, err := io.WriteString(out, f[1]); return err }); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Close(context.Background(), keySigner{k})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m
}

// rewrite copies an archive, changing its entries through edit (nil content drops an entry) and
// appending extra ones.
func rewrite(t *testing.T, data []byte, edit map[string]*string, extra [][2]string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if c, ok := edit[f.Name]; ok {
			if c == nil {
				continue
			}
			b = []byte(*c)
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	for _, e := range extra {
		w, _ := zw.Create(e[0])
		w.Write([]byte(e[1]))
	}
	zw.Close()
	return buf.Bytes()
}

func str(s string) *string { return &s }

func TestManifestVerification(t *testing.T) {
	k, err := credential.GenerateKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := credential.GenerateKey(time.Now())
	jwks := credential.NewJWKSet(other, k)
	files := [][2]string{{"announcement.json", `{"title":"电工四级"}`}, {"candidates.csv", "name,id\n张三,110\n"},
		{"sign-in-sheets.pdf", "%PDF-1.7 …"}}
	data, m := build(t, k, files)

	got, kid, err := Verify(bytes.NewReader(data), int64(len(data)), jwks)
	if err != nil {
		t.Fatal(err)
	}
	if kid != k.KID || got.BatchID != m.BatchID || len(got.Files) != 3 || got.Files[1].Path != "candidates.csv" ||
		got.Files[1].Bytes != int64(len(files[1][1])) || !got.CreatedAt.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("manifest %+v kid %s", got, kid)
	}
	// The manifest's JSON has exactly the contract's members.
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	var raw map[string]any
	for _, f := range zr.File {
		if f.Name == ManifestPath {
			rc, _ := f.Open()
			json.NewDecoder(rc).Decode(&raw)
			rc.Close()
		}
	}
	if len(raw) != 3 || raw["batch_id"] != m.BatchID.String() || raw["created_at"] != "2026-12-01T10:00:00Z" {
		t.Fatalf("manifest.json %v", raw)
	}
	if f := raw["files"].([]any)[0].(map[string]any); len(f) != 3 || f["path"] != "announcement.json" || len(f["sha256"].(string)) != 64 {
		t.Fatalf("manifest file %v", f)
	}

	forged := func() string {
		var b bytes.Buffer
		w := NewWriter(&b, m.BatchID, m.CreatedAt)
		w.Close(context.Background(), keySigner{other})
		zr, _ := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
		for _, f := range zr.File {
			if f.Name == SignaturePath {
				rc, _ := f.Open()
				s, _ := io.ReadAll(rc)
				return string(s)
			}
		}
		return ""
	}()
	tests := []struct {
		name string
		data []byte
		keys credential.JWKSet
		code string
	}{
		{"a tampered file", rewrite(t, data, map[string]*string{"candidates.csv": str("name,id\n李四,110\n")}, nil), jwks, CodeDigestMismatch},
		{"a removed file", rewrite(t, data, map[string]*string{"sign-in-sheets.pdf": nil}, nil), jwks, CodeMissingFile},
		{"an added file", rewrite(t, data, nil, [][2]string{{"extra.csv", "x"}}), jwks, CodeUnlistedFile},
		{"a tampered manifest", rewrite(t, data, map[string]*string{ManifestPath: str(strings.Replace(manifestOf(t, data), "candidates.csv", "candidate.csv", 1))}, nil), jwks, CodeBadSignature},
		{"a signature of another key", rewrite(t, data, map[string]*string{SignaturePath: str(forged)}, nil), jwks, CodeBadSignature},
		{"an unpublished key", data, credential.NewJWKSet(other), CodeUnknownKey},
		{"no signature", rewrite(t, data, map[string]*string{SignaturePath: nil}, nil), jwks, CodeNoManifest},
		{"a garbled signature", rewrite(t, data, map[string]*string{SignaturePath: str("eyJhbGciOiJub25lIn0..")}, nil), jwks, CodeBadSignature},
		{"not a zip", []byte("hello"), jwks, CodeNoManifest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Verify(bytes.NewReader(tt.data), int64(len(tt.data)), tt.keys)
			if pe, ok := err.(*platform.Error); !ok || pe.Code != tt.code {
				t.Fatalf("error %v, want %s", err, tt.code)
			}
		})
	}
}

func manifestOf(t *testing.T, data []byte) string {
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	for _, f := range zr.File {
		if f.Name == ManifestPath {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			return string(b)
		}
	}
	t.Fatal("no manifest")
	return ""
}

func TestWriterRefusesBadPaths(t *testing.T) {
	w := NewWriter(io.Discard, uuid.New(), time.Now())
	nop := func(io.Writer) error { return nil }
	for _, p := range []string{"", "/etc/passwd", "../x", "a//b", `a\b`, ManifestPath, SignaturePath} {
		if err := w.Add(p, nop); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
	if err := w.Add("a.csv", nop); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("a.csv", nop); err == nil {
		t.Fatal("a path twice")
	}
}
