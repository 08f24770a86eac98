package candidates

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/skillcert/skillcert/modules/platform"
)

// Defaults of the import memory budget (SKILLCERT_IMPORT_MEMORY, SKILLCERT_IMPORT_WAIT).
const (
	DefaultImportMemory = 256 << 20
	DefaultImportWait   = 10 * time.Second
)

// Stable codes of an import the memory budget refuses.
const (
	CodeImportBusy     = "import_busy"      // 503: the budget stayed taken by other imports
	CodeImportTooLarge = "import_too_large" // 413: the file alone needs more than the whole budget
)

// defaultMemoryBudget is the budget of DefaultImportLimits, so shared by every service of the process
// that keeps the defaults.
var defaultMemoryBudget = NewMemoryBudget(DefaultImportMemory, DefaultImportWait)

// MemoryBudget bounds the memory the imports of a process hold at once: each import reserves an
// estimate of its peak heap (see importCost) before reading the file, and releases it once its rows are
// stored. An import that finds the budget taken waits up to the budget's wait, first come first served,
// then fails with 503 import_busy; one that alone needs more than the whole budget fails at once with
// 413 import_too_large. A nil budget bounds nothing.
type MemoryBudget struct {
	size int64
	wait time.Duration
	sem  *semaphore.Weighted

	inUse, peak atomic.Int64 // reserved now, and the most ever reserved at once
}

// NewMemoryBudget returns a budget of size bytes; imports wait up to wait for their share.
func NewMemoryBudget(size int64, wait time.Duration) *MemoryBudget {
	return &MemoryBudget{size: size, wait: wait, sem: semaphore.NewWeighted(size)}
}

// Size reports the budget in bytes.
func (b *MemoryBudget) Size() int64 { return b.size }

// acquire reserves n bytes of the budget, waiting as the budget says, and returns their release (safe
// to call more than once).
func (b *MemoryBudget) acquire(ctx context.Context, n int64) (release func(), err error) {
	if b == nil {
		return func() {}, nil
	}
	if n > b.size {
		return nil, platform.E(platform.KindTooLarge, CodeImportTooLarge, fmt.Sprintf(
			"importing this file needs about %d MiB, more than the server allows an import (%d MiB); split the file",
			n>>20, b.size>>20))
	}
	if !b.sem.TryAcquire(n) {
		if b.wait <= 0 {
			return nil, errImportBusy(nil)
		}
		wctx, cancel := context.WithTimeout(ctx, b.wait)
		defer cancel()
		if err := b.sem.Acquire(wctx, n); err != nil {
			return nil, errImportBusy(err)
		}
	}
	for now := b.inUse.Add(n); ; {
		p := b.peak.Load()
		if now <= p || b.peak.CompareAndSwap(p, now) {
			break
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			b.inUse.Add(-n)
			b.sem.Release(n)
		})
	}, nil
}

func errImportBusy(cause error) error {
	return platform.Wrap(platform.KindUnavailable, CodeImportBusy,
		"the server is busy with other imports; try again in a minute", cause)
}

// ImportLimitsFromEnv returns DefaultImportLimits with the memory budget an operator may set:
// SKILLCERT_IMPORT_MEMORY, the bytes all concurrent imports of the process may hold (default 256MiB;
// a number of bytes with an optional KiB, MiB or GiB unit), and SKILLCERT_IMPORT_WAIT, how long an
// import waits for its share before answering 503 import_busy (default 10s, a Go duration; 0 does not
// wait). With neither set, the process-wide default budget is kept. A malformed value is an error
// naming the variable.
//
// The photo rule (PhotoRule) may be set too: SKILLCERT_PHOTO_MAX_BYTES (a size, default 2MiB),
// SKILLCERT_PHOTO_MIN_SIDE and SKILLCERT_PHOTO_MAX_SIDE (pixels, default 32 and 4096).
func ImportLimitsFromEnv(getenv func(string) string) (ImportLimits, error) {
	lim := DefaultImportLimits
	photo, err := photoRuleFromEnv(getenv)
	if err != nil {
		return lim, err
	}
	lim.Photo = photo
	rawSize, rawWait := strings.TrimSpace(getenv("SKILLCERT_IMPORT_MEMORY")), strings.TrimSpace(getenv("SKILLCERT_IMPORT_WAIT"))
	if rawSize == "" && rawWait == "" {
		return lim, nil
	}
	size, wait := int64(DefaultImportMemory), DefaultImportWait
	if rawSize != "" {
		n, ok := parseByteSize(rawSize)
		if !ok || n < 1<<20 {
			return lim, fmt.Errorf("SKILLCERT_IMPORT_MEMORY must be a size of at least 1MiB like 256MiB, got %q", rawSize)
		}
		size = n
	}
	if rawWait != "" {
		d, err := time.ParseDuration(rawWait)
		if err != nil || d < 0 {
			return lim, fmt.Errorf("SKILLCERT_IMPORT_WAIT must be a duration like 10s (0 does not wait), got %q", rawWait)
		}
		wait = d
	}
	lim.Memory = NewMemoryBudget(size, wait)
	return lim, nil
}

// photoRuleFromEnv is DefaultPhotoRule with what SKILLCERT_PHOTO_MAX_BYTES, SKILLCERT_PHOTO_MIN_SIDE and
// SKILLCERT_PHOTO_MAX_SIDE set; the sides must keep 1 ≤ min ≤ max ≤ 65535 and the size at least 1KiB.
func photoRuleFromEnv(getenv func(string) string) (PhotoRule, error) {
	r := DefaultPhotoRule
	if raw := strings.TrimSpace(getenv("SKILLCERT_PHOTO_MAX_BYTES")); raw != "" {
		n, ok := parseByteSize(raw)
		if !ok || n < 1<<10 || n > 1<<30 {
			return r, fmt.Errorf("SKILLCERT_PHOTO_MAX_BYTES must be a size between 1KiB and 1GiB like 2MiB, got %q", raw)
		}
		r.MaxBytes = int(n)
	}
	for _, v := range []struct {
		name string
		dst  *int
	}{{"SKILLCERT_PHOTO_MIN_SIDE", &r.MinSide}, {"SKILLCERT_PHOTO_MAX_SIDE", &r.MaxSide}} {
		if raw := strings.TrimSpace(getenv(v.name)); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 || n > 65535 {
				return r, fmt.Errorf("%s must be a number of pixels between 1 and 65535, got %q", v.name, raw)
			}
			*v.dst = n
		}
	}
	if r.MinSide > r.MaxSide {
		return r, fmt.Errorf("SKILLCERT_PHOTO_MIN_SIDE (%d) is over SKILLCERT_PHOTO_MAX_SIDE (%d)", r.MinSide, r.MaxSide)
	}
	return r, nil
}

// parseByteSize reads "268435456", "256MiB", "256M", "1GiB", "512KiB" (units are binary, any case).
func parseByteSize(s string) (int64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	shift := 0
	for _, u := range []struct {
		suffix string
		shift  int
	}{{"kib", 10}, {"mib", 20}, {"gib", 30}, {"k", 10}, {"m", 20}, {"g", 30}, {"b", 0}} {
		if strings.HasSuffix(s, u.suffix) {
			s, shift = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, false
	}
	return n << shift, true
}
