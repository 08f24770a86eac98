package audit

// ComputeHash lets tests recompute a chain the way an intruder with the code would.
var ComputeHash = computeHash
