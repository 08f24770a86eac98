package candidates

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/unicode/norm"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/tenants"
)

// Stable codes of a photo of a bulk upload that was not taken.
const (
	PhotoUnknownCandidate = "unknown_candidate" // no candidate of the institution has the file's ID number
	PhotoNotJPEG          = "not_jpeg"          // not a .jpg/.jpeg file, or not a readable JPEG whatever its name
	PhotoTooSmall         = "too_small"         // a side under the rule's minimum pixels
	PhotoTooLarge         = "too_large"         // over the rule's bytes or maximum pixels a side
	PhotoNameMismatch     = "name_mismatch"     // 姓名_身份证号 whose name is not the candidate's
	PhotoDuplicate        = "duplicate"         // a second photo of a candidate already matched in this ZIP
)

// PhotoReject is one file of a bulk upload that was not taken: its name in the ZIP (decoded to UTF-8)
// and why.
type PhotoReject struct {
	File    string
	Code    string
	Message string
}

// PhotosResult is the outcome of a bulk photo upload.
type PhotosResult struct {
	Matched  int           // photos stored as their candidate's photo
	Rejected []PhotoReject // in the ZIP's order
	SHA256   string        // of the ZIP, as audited
}

// photoArchive is a ZIP of photos: any entry may be in it (the ones that are not photos are reported
// or skipped), every file is read.
var photoArchive = archiveKind{what: "ZIP of photos", role: func(name string) (bool, bool) {
	return true, !strings.HasSuffix(name, "/")
}}

// ImportPhotos takes a ZIP of JPEG photos named 姓名_身份证号.jpg or 身份证号.jpg (in any folder of the
// ZIP; names written by Chinese Windows in GBK are decoded) and stores each that passes as its
// candidate's certificate photo, exactly like SetPhoto (audited as candidate.photo, replacing any
// earlier one), all in one transaction. A file is refused, with a code, when no candidate of the
// institution has its ID number (unknown_candidate), when the name before the "_" is not that
// candidate's (name_mismatch, compared as names are searched: width, case, spaces and · do not
// matter), when it is not a JPEG by its name or its bytes (not_jpeg), when it breaks the photo rule
// (too_small, too_large), or when an earlier file of the ZIP already gave that candidate a photo
// (duplicate). Folders, macOS's __MACOSX metadata, hidden files and Thumbs.db/desktop.ini are skipped
// silently. The ZIP is checked against the import limits first (entries, declared and real inflated
// size, compression ratio) and reserves its share of the import memory budget, like an import.
func (s *Service) ImportPhotos(ctx context.Context, data []byte) (PhotosResult, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return PhotosResult{}, err
	}
	if len(data) == 0 {
		return PhotosResult{}, ErrEmptyFile
	}
	rule := s.Limits.Photo
	ca, err := checkZip(data, s.Limits, photoArchive)
	if err != nil {
		return PhotosResult{}, err
	}
	// One photo is held at a time, besides the upload and the parsed directory.
	release, err := s.Limits.Memory.acquire(ctx, importBaseCost+2*int64(len(data))+2*int64(rule.MaxBytes))
	if err != nil {
		return PhotosResult{}, err
	}
	defer release()

	type entry struct {
		f        *zip.File
		name     string // decoded full name, as reported
		person   string // the name part of 姓名_身份证号, "" for 身份证号.jpg
		idNumber string // normalized
		code     string // set when refused by its name alone
	}
	var entries []entry
	var numbers []string
	for i, f := range ca.zr.File {
		if !ca.needed[i] {
			continue
		}
		name := zipEntryName(f)
		if skippedPhotoEntry(name) {
			continue
		}
		e := entry{f: f, name: name}
		e.person, e.idNumber, e.code = parsePhotoName(name)
		if e.code == "" {
			numbers = append(numbers, e.idNumber, NormalizeOtherID(e.idNumber))
		}
		entries = append(entries, e)
	}

	res := PhotosResult{SHA256: sha256Hex(data), Rejected: []PhotoReject{}}
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		byNumber, err := candidatesByIDNumbers(ctx, tx, scope.TenantID, numbers)
		if err != nil {
			return err
		}
		done := map[uuid.UUID]string{}
		now := s.clock()
		for _, e := range entries {
			reject := func(code, msg string) {
				res.Rejected = append(res.Rejected, PhotoReject{File: e.name, Code: code, Message: msg})
			}
			if e.code != "" {
				reject(e.code, photoNameMessages[e.code])
				continue
			}
			c, ok := byNumber[e.idNumber]
			if !ok {
				c, ok = byNumber[NormalizeOtherID(e.idNumber)]
			}
			if !ok {
				reject(PhotoUnknownCandidate, "no candidate of the institution has the ID number "+MaskIDNumber(e.idNumber))
				continue
			}
			if e.person != "" && NameSearchKey(e.person) != c.NameKey {
				reject(PhotoNameMismatch, "the file names "+e.person+", but the candidate with this ID number is "+c.Name)
				continue
			}
			if first, dup := done[c.ID]; dup {
				reject(PhotoDuplicate, "the candidate already got the photo "+first+" from this file")
				continue
			}
			b, err := readPhotoEntry(e.f, rule.MaxBytes)
			if err != nil {
				reject(PhotoNotJPEG, "the entry is damaged: "+err.Error())
				continue
			}
			info := rule.check(b)
			if code, msg := bulkPhotoCode(info); code != "" {
				reject(code, msg)
				continue
			}
			p := Photo{CandidateID: c.ID, ContentType: info.contentType, Data: b, SHA256: sha256Hex(b),
				Width: info.width, Height: info.height, UpdatedAt: now}
			if err := storePhotoTx(ctx, tx, scope.TenantID, p); err != nil {
				return err
			}
			done[c.ID] = e.name
			res.Matched++
		}
		return audit.Record(ctx, tx, audit.Event{Action: "candidate.photos", TargetType: "candidate_photos",
			TargetID: res.SHA256, After: map[string]any{"sha256": res.SHA256, "bytes": len(data),
				"files": len(entries), "matched": res.Matched, "rejected": len(res.Rejected)}})
	})
	if err != nil {
		return PhotosResult{}, err
	}
	return res, nil
}

var photoNameMessages = map[string]string{
	PhotoNotJPEG:          "only .jpg or .jpeg files are taken",
	PhotoUnknownCandidate: "the file is not named 姓名_身份证号.jpg or 身份证号.jpg",
}

// bulkPhotoCode is the code and message of a photo the rule refuses in a bulk upload, "" when it
// passes. The bulk upload takes JPEG only: a PNG is not_jpeg there.
func bulkPhotoCode(info photoInfo) (code, msg string) {
	switch info.problem {
	case photoTooBig, photoTooWide:
		return PhotoTooLarge, info.detail
	case photoTooSmall:
		return PhotoTooSmall, info.detail
	case photoType, photoCorrupt:
		return PhotoNotJPEG, info.detail
	}
	if info.contentType != "image/jpeg" {
		return PhotoNotJPEG, "the file is a PNG image; photos in a ZIP are JPEG"
	}
	return "", ""
}

// readPhotoEntry inflates an entry, at most max+1 bytes: a longer one is cut there (and then too large
// for the rule). archive/zip checks the CRC and the declared size of what it reads to the end.
func readPhotoEntry(f *zip.File, max int) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, int64(max)+1))
}

// skippedPhotoEntry tells entries no one means as a photo: macOS's resource forks and folder files,
// hidden files, Windows' thumbnail caches.
func skippedPhotoEntry(name string) bool {
	if strings.HasPrefix(name, "__MACOSX/") || strings.Contains(name, "/__MACOSX/") {
		return true
	}
	base := path.Base(name)
	switch strings.ToLower(base) {
	case "thumbs.db", "desktop.ini", "ehthumbs.db":
		return true
	}
	return strings.HasPrefix(base, ".")
}

// parsePhotoName reads 姓名_身份证号.jpg or 身份证号.jpg (any folder, the extension in any case, full-width
// characters folded) into the person's name ("" when absent) and the normalized ID number; code is set
// when the name alone refuses the file.
func parsePhotoName(name string) (person, idNumber, code string) {
	base := norm.NFKC.String(path.Base(name))
	ext := strings.ToLower(path.Ext(base))
	if ext != ".jpg" && ext != ".jpeg" {
		return "", "", PhotoNotJPEG
	}
	stem := strings.TrimSpace(strings.TrimSuffix(base, base[len(base)-len(ext):]))
	if i := strings.LastIndexByte(stem, '_'); i >= 0 {
		person, stem = strings.TrimSpace(stem[:i]), strings.TrimSpace(stem[i+1:])
	}
	idNumber = NormalizeIDNumber(stem)
	if idNumber == "" {
		return "", "", PhotoUnknownCandidate
	}
	return person, idNumber, ""
}

// zipEntryName is an entry's name as UTF-8 with "/" separators: as stored when the entry says it is
// UTF-8 (flag bit 11) or is valid UTF-8; else from an Info-ZIP Unicode Path extra field (0x7075) whose
// CRC matches the stored name; else decoded from GB18030, a superset of the GBK that the ZIP tools of
// Chinese Windows write names in.
func zipEntryName(f *zip.File) string {
	name := f.Name
	if f.Flags&0x800 == 0 && !utf8.ValidString(name) {
		if u, ok := unicodePathExtra(f.Extra, name); ok {
			name = u
		} else if d, err := simplifiedchinese.GB18030.NewDecoder().String(name); err == nil {
			name = d
		} else {
			name = strings.ToValidUTF8(name, "\uFFFD")
		}
	}
	return strings.ReplaceAll(name, `\`, "/")
}

// unicodePathExtra finds the Info-ZIP Unicode Path extra field: tag 0x7075, version 1, the CRC-32 of
// the stored name, the name in UTF-8.
func unicodePathExtra(extra []byte, stored string) (string, bool) {
	le := binary.LittleEndian
	for len(extra) >= 4 {
		tag, size := le.Uint16(extra), int(le.Uint16(extra[2:]))
		if 4+size > len(extra) {
			return "", false
		}
		field := extra[4 : 4+size]
		extra = extra[4+size:]
		if tag != 0x7075 || size < 5 || field[0] != 1 {
			continue
		}
		if le.Uint32(field[1:]) != crc32.ChecksumIEEE([]byte(stored)) || !utf8.Valid(field[5:]) {
			return "", false
		}
		return string(field[5:]), true
	}
	return "", false
}

// candidatesByIDNumbers returns the tenant's candidates whose ID number is one of numbers, by number.
func candidatesByIDNumbers(ctx context.Context, db bun.IDB, tenantID uuid.UUID, numbers []string) (map[string]Candidate, error) {
	out := map[string]Candidate{}
	const chunk = 500
	for len(numbers) > 0 {
		part := numbers[:min(chunk, len(numbers))]
		numbers = numbers[len(part):]
		var rows []candidateRow
		if err := db.NewSelect().Model(&rows).Where("tenant_id = ? AND id_number IN (?)", tenantID, bun.In(part)).
			Scan(ctx); err != nil {
			return nil, err
		}
		for i := range rows {
			out[rows[i].IDNumber] = rows[i].candidate()
		}
	}
	return out, nil
}
