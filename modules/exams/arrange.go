package exams

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"slices"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
)

// The seat arrangement (考场编排) itself: pure code, no database, so that anyone holding the seed, the
// sessions and the applications can reproduce a draw.
//
// Sessions are taken in order (start, method, id); in each, the applications that take its method
// (all admitted ones, less the theory-exempt for theory) in application order (created_at, id). A
// sequential arrangement seats them in that order, filling the session's rooms in their order, seat 1
// upwards. A shuffled one first permutes them with Fisher–Yates driven by one ChaCha8 stream keyed by
// SHA-256(seed) — the stream runs on across the sessions in order — and then breaks every pair of
// neighbouring seats of a room that holds two applications adjacent in registration order, by swapping
// one of them with another place, searched from a place drawn from the same stream, so that neither
// place has such a pair; up to eight takers, it takes the first permutation of the shuffled order
// without such pairs instead (one exists from four takers on; with fewer it may be impossible).

// arrangeSession is a session as the arrangement sees it: its method and its rooms' seats in order.
type arrangeSession struct {
	ID     uuid.UUID
	Method batches.Method
	Rooms  []arrangeRoom
}

type arrangeRoom struct {
	ID    uuid.UUID
	Seats int
}

// arrangeApp is an admitted application in application order.
type arrangeApp struct {
	ID           uuid.UUID
	TheoryExempt bool
}

// takes reports whether the application sits a session of method m.
func (a arrangeApp) takes(m batches.Method) bool {
	return !(m == batches.MethodTheory && a.TheoryExempt)
}

// InsufficientError says which session lacks how many seats; it is ErrInsufficient for errors.Is.
type InsufficientError struct {
	SessionID uuid.UUID
	Need      int
	Have      int
}

func (e *InsufficientError) Error() string {
	return fmt.Sprintf("insufficient_seats: session %s needs %d seats and its rooms have %d", e.SessionID, e.Need, e.Have)
}

// Is makes errors.Is(err, ErrInsufficient) hold.
func (e *InsufficientError) Is(target error) bool { return target == ErrInsufficient }

// NewSeed draws a seed for a shuffled arrangement: 16 hex digits from the system's randomness.
func NewSeed() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// rngOf is the arrangement's random stream for seed.
func rngOf(seed string) *mrand.Rand {
	return mrand.New(mrand.NewChaCha8(sha256.Sum256([]byte(seed))))
}

// arrange computes every seat (without ticket numbers): each application once in every session of a
// method it takes. Too few seats in any session is an *InsufficientError, and nothing is seated.
func arrange(sessions []arrangeSession, apps []arrangeApp, mode Mode, seed string) ([]Seat, error) {
	var rng *mrand.Rand
	if mode == ModeShuffled {
		rng = rngOf(seed)
	}
	var out []Seat
	for _, s := range sessions {
		takers := make([]int, 0, len(apps)) // indices into apps: registration ranks
		for i, a := range apps {
			if a.takes(s.Method) {
				takers = append(takers, i)
			}
		}
		capacity := 0
		for _, r := range s.Rooms {
			capacity += r.Seats
		}
		if len(takers) > capacity {
			return nil, &InsufficientError{SessionID: s.ID, Need: len(takers), Have: capacity}
		}
		// roomOf[p] is the room index of the p-th place when places are filled in order.
		roomOf := make([]int, 0, len(takers))
		for ri, r := range s.Rooms {
			for k := 0; k < r.Seats && len(roomOf) < len(takers); k++ {
				roomOf = append(roomOf, ri)
			}
		}
		if rng != nil {
			rng.Shuffle(len(takers), func(i, j int) { takers[i], takers[j] = takers[j], takers[i] })
			separate(takers, roomOf, rng)
		}
		ri, seat := 0, 0
		for p, t := range takers {
			if roomOf[p] != ri {
				ri, seat = roomOf[p], 0
			}
			seat++
			out = append(out, Seat{ApplicationID: apps[t].ID, SessionID: s.ID, RoomID: s.Rooms[ri].ID, Seat: seat})
		}
	}
	return out, nil
}

// neighbours reports whether places p and p+1 are in one room and hold applications adjacent in
// registration order.
func neighbours(order, roomOf []int, p int) bool {
	if p < 0 || p+1 >= len(order) || roomOf[p] != roomOf[p+1] {
		return false
	}
	d := order[p] - order[p+1]
	return d == 1 || d == -1
}

// separate swaps places until no two neighbouring seats of a room hold applications adjacent in
// registration order (see the comment at the top). For a pair at (p, p+1) it tries to swap p+1, then
// p, with every other place, starting at a place drawn from rng (so that it is reproducible), and takes
// the first swap that leaves both places without such a neighbour.
func separate(order, roomOf []int, rng *mrand.Rand) {
	n := len(order)
	if n < 4 {
		return
	}
	if n <= 8 {
		exhaust(order, roomOf)
		return
	}
	around := func(i int) bool { return neighbours(order, roomOf, i-1) || neighbours(order, roomOf, i) }
	for pass := 0; pass < 16; pass++ {
		clean := true
		for p := 0; p+1 < n; p++ {
			if !neighbours(order, roomOf, p) {
				continue
			}
			clean = false
			start := rng.IntN(n)
		search:
			for _, x := range [2]int{p + 1, p} {
				for k := range n {
					q := (start + k) % n
					if q == x {
						continue
					}
					order[x], order[q] = order[q], order[x]
					if !around(x) && !around(q) {
						break search
					}
					order[x], order[q] = order[q], order[x]
				}
			}
		}
		if clean {
			return
		}
	}
}

// exhaust is separate for a few takers, where swaps can get stuck: it walks the permutations of the
// shuffled order (Heap's algorithm, deterministic) and keeps the first without such neighbours. One
// exists from four takers on, room breaks only helping.
func exhaust(order, roomOf []int) {
	ok := func() bool {
		for p := 0; p+1 < len(order); p++ {
			if neighbours(order, roomOf, p) {
				return false
			}
		}
		return true
	}
	if ok() {
		return
	}
	first := slices.Clone(order)
	c := make([]int, len(order))
	for i := 1; i < len(order); {
		if c[i] < i {
			if i%2 == 0 {
				order[0], order[i] = order[i], order[0]
			} else {
				order[c[i]], order[i] = order[i], order[c[i]]
			}
			if ok() {
				return
			}
			c[i]++
			i = 1
		} else {
			c[i] = 0
			i++
		}
	}
	copy(order, first)
}

// registrationNeighbours counts the neighbouring seats of a room holding applications adjacent in
// registration order (ranks are positions in apps), for tests and the audit.
func registrationNeighbours(seats []Seat, rank map[uuid.UUID]int) int {
	n := 0
	for i := 1; i < len(seats); i++ {
		a, b := seats[i-1], seats[i]
		if a.SessionID != b.SessionID || a.RoomID != b.RoomID || b.Seat != a.Seat+1 {
			continue
		}
		if d := rank[a.ApplicationID] - rank[b.ApplicationID]; d == 1 || d == -1 {
			n++
		}
	}
	return n
}
