package exams

// pinnedDraw is the registration order seated by seed "2026" in TestShuffleIsPinned.
var pinnedDraw = []int{3, 6, 1, 7, 5, 2, 4, 0}
