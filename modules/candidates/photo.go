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

// Photo limits: the file at most 2 MiB; the image between 32 and 4096 pixels a side, so that whoever
// decodes it later (the certificate renderer) never meets a decompression bomb hidden in a small file.
const (
	MaxPhotoBytes = 2 << 20
	minPhotoSide  = 32
	maxPhotoSide  = 4096
)

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

// ValidatePhoto checks photo bytes without decoding the pixels: the size, the signature of JPEG or PNG
// (what the file is, whatever its name or declared type says), and the image header decoded by the
// format's own decoder, whose dimensions must be sane. It returns the content type and dimensions.
func ValidatePhoto(data []byte) (contentType string, width, height int, err error) {
	if len(data) > MaxPhotoBytes {
		return "", 0, 0, ErrPhotoTooLarge
	}
	var cfg image.Config
	switch {
	case bytes.HasPrefix(data, jpegMagic):
		contentType = "image/jpeg"
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case bytes.HasPrefix(data, pngMagic):
		contentType = "image/png"
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	default:
		return "", 0, 0, ErrPhotoType
	}
	if err != nil {
		return "", 0, 0, platform.Unprocessable("invalid_photo", errPhotoCorrupt+err.Error())
	}
	if cfg.Width < minPhotoSide || cfg.Height < minPhotoSide || cfg.Width > maxPhotoSide || cfg.Height > maxPhotoSide {
		return "", 0, 0, platform.Unprocessable("invalid_photo",
			fmt.Sprintf(errPhotoDimensions, minPhotoSide, maxPhotoSide, cfg.Width, cfg.Height))
	}
	return contentType, cfg.Width, cfg.Height, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
