package candidates

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

// Photo is a candidate's certificate photo (证书照片).
type Photo struct {
	CandidateID uuid.UUID
	ContentType string // image/jpeg or image/png
	Data        []byte
	SHA256      string // hex of the bytes, an ETag
	Width       int
	Height      int
	UpdatedAt   time.Time
}

// PhotoRule bounds a certificate photo: the file's size, and the image's pixels a side — so that
// whoever decodes it later (the certificate and ticket renderers) never meets a decompression bomb
// hidden in a small file. One rule serves the single upload and the bulk ZIP; ImportLimits carries it
// (SKILLCERT_PHOTO_MAX_BYTES, SKILLCERT_PHOTO_MIN_SIDE, SKILLCERT_PHOTO_MAX_SIDE).
type PhotoRule struct {
	MaxBytes int // the file, in bytes
	MinSide  int // pixels, the narrower side at least
	MaxSide  int // pixels, the wider side at most
}

// DefaultPhotoRule is at most 2 MiB, 32 to 4096 pixels a side.
var DefaultPhotoRule = PhotoRule{MaxBytes: MaxPhotoBytes, MinSide: 32, MaxSide: 4096}

// MaxPhotoBytes is the default rule's file size.
const MaxPhotoBytes = 2 << 20

// Errors of photo validation.
var (
	ErrPhotoTooLarge   = platform.E(platform.KindTooLarge, "photo_too_large", "a photo is at most 2 MiB")
	ErrPhotoType       = platform.E(platform.KindUnsupported, "unsupported_media_type", "a photo must be a JPEG or PNG image")
	errPhotoCorrupt    = "the photo is not a readable image: "
	errPhotoDimensions = "a photo is between %d and %d pixels wide and high, got %d×%d"
)

var (
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
	pngMagic  = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}
)

// photoProblem classifies what is wrong with a photo (photoFine when nothing is).
type photoProblem int

const (
	photoFine     photoProblem = iota
	photoTooBig                // over MaxBytes
	photoType                  // neither a JPEG nor a PNG signature
	photoCorrupt               // the signature, but the format's decoder refuses the header
	photoTooSmall              // a side under MinSide pixels
	photoTooWide               // a side over MaxSide pixels
)

// photoInfo is what checking a photo learnt.
type photoInfo struct {
	contentType   string
	width, height int
	problem       photoProblem
	detail        string
}

// check inspects photo bytes without decoding the pixels: the size, the signature of JPEG or PNG (what
// the file is, whatever its name or declared type says), and the image header decoded by the format's
// own decoder, whose dimensions must be within the rule.
func (r PhotoRule) check(data []byte) photoInfo {
	if len(data) > r.MaxBytes {
		return photoInfo{problem: photoTooBig, detail: fmt.Sprintf("a photo is at most %d KiB, got %d KiB", r.MaxBytes>>10, len(data)>>10)}
	}
	var info photoInfo
	var cfg image.Config
	var err error
	switch {
	case bytes.HasPrefix(data, jpegMagic):
		info.contentType = "image/jpeg"
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case bytes.HasPrefix(data, pngMagic):
		info.contentType = "image/png"
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	default:
		return photoInfo{problem: photoType, detail: "the file is neither a JPEG nor a PNG image"}
	}
	if err != nil {
		info.problem, info.detail = photoCorrupt, errPhotoCorrupt+err.Error()
		return info
	}
	info.width, info.height = cfg.Width, cfg.Height
	switch {
	case cfg.Width > r.MaxSide || cfg.Height > r.MaxSide:
		info.problem = photoTooWide
	case cfg.Width < r.MinSide || cfg.Height < r.MinSide:
		info.problem = photoTooSmall
	}
	if info.problem != photoFine {
		info.detail = fmt.Sprintf(errPhotoDimensions, r.MinSide, r.MaxSide, cfg.Width, cfg.Height)
	}
	return info
}

// Validate checks photo bytes against the rule (see check) and returns the content type and
// dimensions, or 413 photo_too_large, 415 unsupported_media_type or 422 invalid_photo.
func (r PhotoRule) Validate(data []byte) (contentType string, width, height int, err error) {
	info := r.check(data)
	switch info.problem {
	case photoFine:
		return info.contentType, info.width, info.height, nil
	case photoTooBig:
		if r.MaxBytes == MaxPhotoBytes {
			return "", 0, 0, ErrPhotoTooLarge
		}
		return "", 0, 0, platform.E(platform.KindTooLarge, ErrPhotoTooLarge.Code, info.detail)
	case photoType:
		return "", 0, 0, ErrPhotoType
	}
	return "", 0, 0, platform.Unprocessable("invalid_photo", info.detail)
}

// ValidatePhoto checks photo bytes against DefaultPhotoRule (see PhotoRule.Validate).
func ValidatePhoto(data []byte) (contentType string, width, height int, err error) {
	return DefaultPhotoRule.Validate(data)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
