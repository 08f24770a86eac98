package exams

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"testing"
	"testing/quick"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
)

// world is a random arrangement problem: sessions with rooms, admitted applications (some
// theory-exempt).
type world struct {
	sessions []arrangeSession
	apps     []arrangeApp
}

// randomWorld draws a problem from r: 1–4 sessions over theory and practical, 1–6 rooms of 1–60 seats
// each, 0–400 applications (half the time fewer than 16), a tenth of them theory-exempt.
func randomWorld(r *mrand.Rand) world {
	var w world
	methods := []batches.Method{batches.MethodTheory, batches.MethodPractical}
	for i := range 1 + r.IntN(4) {
		s := arrangeSession{ID: uuid.New(), Method: methods[i%2]}
		for range 1 + r.IntN(6) {
			s.Rooms = append(s.Rooms, arrangeRoom{ID: uuid.New(), Seats: 1 + r.IntN(60)})
		}
		w.sessions = append(w.sessions, s)
	}
	n := r.IntN(400)
	if r.IntN(2) == 0 {
		n = r.IntN(16) // small sessions, where separating neighbours is hardest
	}
	for range n {
		w.apps = append(w.apps, arrangeApp{ID: uuid.New(), TheoryExempt: r.IntN(10) == 0})
	}
	return w
}

// check verifies an arrangement's invariants: every application seated exactly once in every session
// of a method it takes and in no other, no seat given twice, no seat beyond its room's capacity.
func (w world) check(seats []Seat) error {
	type key struct {
		session, app uuid.UUID
	}
	type place struct {
		session, room uuid.UUID
		seat          int
	}
	rooms := map[[2]uuid.UUID]int{}
	for _, s := range w.sessions {
		for _, r := range s.Rooms {
			rooms[[2]uuid.UUID{s.ID, r.ID}] = r.Seats
		}
	}
	seen, taken := map[key]bool{}, map[place]bool{}
	for _, st := range seats {
		k := key{st.SessionID, st.ApplicationID}
		if seen[k] {
			return fmt.Errorf("application %s seated twice in session %s", st.ApplicationID, st.SessionID)
		}
		seen[k] = true
		p := place{st.SessionID, st.RoomID, st.Seat}
		if taken[p] {
			return fmt.Errorf("seat %d of room %s given twice", st.Seat, st.RoomID)
		}
		taken[p] = true
		capacity, ok := rooms[[2]uuid.UUID{st.SessionID, st.RoomID}]
		if !ok || st.Seat < 1 || st.Seat > capacity {
			return fmt.Errorf("seat %d in a room of %d seats (room of the session: %v)", st.Seat, capacity, ok)
		}
	}
	for _, s := range w.sessions {
		for _, a := range w.apps {
			if seen[key{s.ID, a.ID}] != a.takes(s.Method) {
				return fmt.Errorf("application %s (exempt %v) in %s session: seated %v", a.ID, a.TheoryExempt, s.Method, seen[key{s.ID, a.ID}])
			}
		}
	}
	return nil
}

// fits reports whether every session has seats for its takers.
func (w world) fits() bool {
	for _, s := range w.sessions {
		n, capacity := 0, 0
		for _, a := range w.apps {
			if a.takes(s.Method) {
				n++
			}
		}
		for _, r := range s.Rooms {
			capacity += r.Seats
		}
		if n > capacity {
			return false
		}
	}
	return true
}

// TestArrangementProperties: over random rooms and applications, both modes seat every application once
// per session of a method it takes, never a seat twice, within capacity; too few seats is
// insufficient_seats and seats nobody; the same seed and applications give the same seats, another seed
// (almost always) others; shuffled never seats registration neighbours side by side in a room (from
// four takers on).
func TestArrangementProperties(t *testing.T) {
	prop := func(seed1, seed2 uint64) bool {
		r := mrand.New(mrand.NewPCG(seed1, seed2))
		w := randomWorld(r)
		rank := map[uuid.UUID]int{}
		for i, a := range w.apps {
			rank[a.ID] = i
		}
		for _, mode := range []Mode{ModeSequential, ModeShuffled} {
			seed := fmt.Sprintf("seed-%d", r.Uint64())
			seats, err := arrange(w.sessions, w.apps, mode, seed)
			if !w.fits() {
				if !errors.Is(err, ErrInsufficient) || seats != nil {
					t.Errorf("%s: too few seats gave %v (%d seats)", mode, err, len(seats))
					return false
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", mode, err)
				return false
			}
			if err := w.check(seats); err != nil {
				t.Errorf("%s: %v", mode, err)
				return false
			}
			again, _ := arrange(w.sessions, w.apps, mode, seed)
			if !slices.Equal(seats, again) {
				t.Errorf("%s: the same seed gave other seats", mode)
				return false
			}
			if mode == ModeShuffled {
				for _, s := range w.sessions {
					var own []Seat
					takers := 0
					for _, st := range seats {
						if st.SessionID == s.ID {
							own = append(own, st)
							takers++
						}
					}
					if n := registrationNeighbours(own, rank); takers >= 4 && n > 0 {
						t.Errorf("shuffled: %d registration neighbours side by side among %d takers", n, takers)
						return false
					}
				}
			}
		}
		return true
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 500}); err != nil {
		t.Fatal(err)
	}
}

// TestShuffleDependsOnTheSeed: with enough applications, two seeds give different seats, and a
// sequential arrangement is in application order room after room.
func TestShuffleDependsOnTheSeed(t *testing.T) {
	s := arrangeSession{ID: uuid.New(), Method: batches.MethodPractical,
		Rooms: []arrangeRoom{{ID: uuid.New(), Seats: 30}, {ID: uuid.New(), Seats: 30}}}
	var apps []arrangeApp
	for range 50 {
		apps = append(apps, arrangeApp{ID: uuid.New()})
	}
	a, _ := arrange([]arrangeSession{s}, apps, ModeShuffled, "alpha")
	b, _ := arrange([]arrangeSession{s}, apps, ModeShuffled, "beta")
	if slices.Equal(a, b) {
		t.Fatal("two seeds gave the same seats")
	}
	seq, _ := arrange([]arrangeSession{s}, apps, ModeSequential, "")
	for i, st := range seq {
		room, seat := s.Rooms[0].ID, i+1
		if i >= 30 {
			room, seat = s.Rooms[1].ID, i-29
		}
		if st.ApplicationID != apps[i].ID || st.RoomID != room || st.Seat != seat {
			t.Fatalf("sequential seat %d: %+v", i, st)
		}
	}
}

// TestShuffleIsPinned pins the draw of a seed: the algorithm is part of the audit record (anyone must
// reproduce a past draw), so a change of it must be deliberate.
func TestShuffleIsPinned(t *testing.T) {
	s := arrangeSession{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000a"), Method: batches.MethodTheory,
		Rooms: []arrangeRoom{{ID: uuid.MustParse("00000000-0000-0000-0000-0000000000b1"), Seats: 10}}}
	var apps []arrangeApp
	for i := range 8 {
		apps = append(apps, arrangeApp{ID: uuid.MustParse(fmt.Sprintf("00000000-0000-0000-0000-0000000000%02d", i))})
	}
	seats, err := arrange([]arrangeSession{s}, apps, ModeShuffled, "2026")
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, st := range seats {
		got = append(got, int(st.ApplicationID[15]))
	}
	want := pinnedDraw
	if want == nil {
		t.Fatalf("draw of seed 2026: %v", got)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the draw of seed 2026 changed: %v, was %v", got, want)
	}
}
