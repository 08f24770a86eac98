// Package archive writes and verifies a batch's archive (考务档案): one ZIP of the batch's records and
// a signed manifest of them. Files are streamed into the ZIP and hashed as they are written;
// manifest.json = {"batch_id","created_at","files":[{"path","sha256","bytes"}]} lists every other file
// with its SHA-256 (hex) and size, and manifest.json.jws is a detached EdDSA JWS over manifest.json's
// bytes (credential.Key.SignDetached) whose kid is one of the institution's keys published at
// /.well-known/skillcert/keys. Anyone with the ZIP and that JWKS can check that nothing was changed,
// added or removed (Verify).
package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/platform"
)

// Names of the manifest and its signature in an archive.
const (
	ManifestPath  = "manifest.json"
	SignaturePath = "manifest.json.jws"
)

// Manifest lists the files of an archive.
type Manifest struct {
	BatchID   uuid.UUID `json:"batch_id"`
	CreatedAt time.Time `json:"created_at"`
	Files     []File    `json:"files"`
}

// File is one file of an archive: its path in the ZIP, the hex SHA-256 of its bytes and their number.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// Signer signs the manifest's bytes as a detached EdDSA JWS with a key of the institution in ctx
// (certificates.Service.SignDetached).
type Signer interface {
	SignDetached(ctx context.Context, payload []byte) (string, error)
}

// Writer streams an archive into a ZIP. Add each file, then Close, which writes the manifest and its
// signature. A Writer is used by one goroutine.
type Writer struct {
	zw       *zip.Writer
	manifest Manifest
	closed   bool
}

// NewWriter starts the archive of batchID, made at createdAt, written to w.
func NewWriter(w io.Writer, batchID uuid.UUID, createdAt time.Time) *Writer {
	return &Writer{zw: zip.NewWriter(w), manifest: Manifest{BatchID: batchID,
		CreatedAt: createdAt.UTC().Truncate(time.Second), Files: []File{}}}
}

// Add writes a file at path through write, hashing it as it goes. Paths are unique, relative, with "/"
// separators, and not the manifest's.
func (a *Writer) Add(path string, write func(io.Writer) error) error {
	if err := checkPath(path); err != nil {
		return err
	}
	if path == ManifestPath || path == SignaturePath || slices.ContainsFunc(a.manifest.Files, func(f File) bool { return f.Path == path }) {
		return fmt.Errorf("archive: %q is written twice or is the manifest's name", path)
	}
	f, err := a.add(path, write)
	if err != nil {
		return err
	}
	a.manifest.Files = append(a.manifest.Files, f)
	return nil
}

func (a *Writer) add(path string, write func(io.Writer) error) (File, error) {
	w, err := a.zw.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate, Modified: a.manifest.CreatedAt})
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, h)}
	if err := write(cw); err != nil {
		return File{}, fmt.Errorf("archive: writing %s: %w", path, err)
	}
	return File{Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: cw.n}, nil
}

// Close writes manifest.json and manifest.json.jws, signed by signer, and finishes the ZIP. It returns
// the manifest.
func (a *Writer) Close(ctx context.Context, signer Signer) (Manifest, error) {
	if a.closed {
		return Manifest{}, errors.New("archive: closed twice")
	}
	a.closed = true
	body, err := json.MarshalIndent(a.manifest, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	jws, err := signer.SignDetached(ctx, body)
	if err != nil {
		return Manifest{}, fmt.Errorf("archive: signing the manifest: %w", err)
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{ManifestPath, body}, {SignaturePath, []byte(jws)}} {
		if _, err := a.add(f.path, func(w io.Writer) error { _, err := w.Write(f.data); return err }); err != nil {
			return Manifest{}, err
		}
	}
	if err := a.zw.Close(); err != nil {
		return Manifest{}, err
	}
	return a.manifest, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func checkPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, `\`) ||
		slices.ContainsFunc(strings.Split(p, "/"), func(s string) bool { return s == "" || s == "." || s == ".." }) {
		return fmt.Errorf("archive: bad path %q", p)
	}
	return nil
}

// Stable codes of a failed verification.
const (
	CodeNoManifest      = "manifest_missing"  // manifest.json or its JWS is not in the ZIP
	CodeBadManifest     = "manifest_invalid"  // manifest.json is not the manifest's JSON
	CodeBadSignature    = "invalid_signature" // the JWS does not verify over manifest.json
	CodeUnknownKey      = "unknown_key"       // the JWS names a key the JWKS does not have
	CodeDigestMismatch  = "digest_mismatch"   // a file's bytes are not those listed
	CodeMissingFile     = "missing_file"      // a listed file is not in the ZIP
	CodeUnlistedFile    = "unlisted_file"     // a file of the ZIP is not listed
	CodeDuplicateEntry  = "duplicate_entry"   // the ZIP holds a path twice
	maxVerifiedManifest = 16 << 20            // bytes of manifest.json read at most
	maxVerifiedFile     = int64(4 << 30)      // bytes of one file hashed at most
	maxVerifiedSigBytes = 4 << 10             // bytes of the JWS read at most
)

func failed(code, format string, args ...any) error {
	return platform.E(platform.KindUnprocessable, code, fmt.Sprintf(format, args...))
}

// Verify checks an archive read from r (size bytes) against keys, the JWKS published at
// /.well-known/skillcert/keys: the JWS verifies over manifest.json with the key its kid names, every
// listed file is in the ZIP with the listed SHA-256 and size, and the ZIP holds nothing else. It
// returns the manifest and the kid that signed it, or a KindUnprocessable *platform.Error with one of
// the Code* codes naming the first problem.
func Verify(r io.ReaderAt, size int64, keys credential.JWKSet) (Manifest, string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return Manifest{}, "", failed(CodeNoManifest, "not a ZIP archive: %v", err)
	}
	entries := map[string]*zip.File{}
	for _, f := range zr.File {
		if _, dup := entries[f.Name]; dup {
			return Manifest{}, "", failed(CodeDuplicateEntry, "the archive holds %q twice", f.Name)
		}
		entries[f.Name] = f
	}
	body, err := readEntry(entries[ManifestPath], maxVerifiedManifest)
	if err != nil {
		return Manifest{}, "", failed(CodeNoManifest, "%s: %v", ManifestPath, err)
	}
	jws, err := readEntry(entries[SignaturePath], maxVerifiedSigBytes)
	if err != nil {
		return Manifest{}, "", failed(CodeNoManifest, "%s: %v", SignaturePath, err)
	}
	kid, err := credential.VerifyDetached(string(jws), body, keys)
	switch {
	case errors.Is(err, credential.ErrUnknownKey):
		k, _ := credential.DetachedKID(string(jws))
		return Manifest{}, "", failed(CodeUnknownKey, "the manifest is signed by key %q, which is not published", k)
	case err != nil:
		return Manifest{}, "", failed(CodeBadSignature, "%v", err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil || m.BatchID == uuid.Nil {
		return Manifest{}, "", failed(CodeBadManifest, "%s is not an archive manifest: %v", ManifestPath, err)
	}
	listed := map[string]bool{ManifestPath: true, SignaturePath: true}
	for _, f := range m.Files {
		if listed[f.Path] {
			return Manifest{}, "", failed(CodeBadManifest, "%s lists %q twice", ManifestPath, f.Path)
		}
		listed[f.Path] = true
		e, ok := entries[f.Path]
		if !ok {
			return Manifest{}, "", failed(CodeMissingFile, "%q is listed but not in the archive", f.Path)
		}
		sum, n, err := hashEntry(e)
		if err != nil {
			return Manifest{}, "", failed(CodeDigestMismatch, "%q cannot be read: %v", f.Path, err)
		}
		if sum != f.SHA256 || n != f.Bytes {
			return Manifest{}, "", failed(CodeDigestMismatch, "%q has SHA-256 %s and %d bytes; the manifest says %s and %d",
				f.Path, sum, n, f.SHA256, f.Bytes)
		}
	}
	for name := range entries {
		if !listed[name] {
			return Manifest{}, "", failed(CodeUnlistedFile, "%q is in the archive but not in the manifest", name)
		}
	}
	return m, kid, nil
}

func readEntry(f *zip.File, max int64) ([]byte, error) {
	if f == nil {
		return nil, errors.New("not in the archive")
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("over %d bytes", max)
	}
	return b, nil
}

func hashEntry(f *zip.File) (string, int64, error) {
	rc, err := f.Open()
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, maxVerifiedFile))
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
