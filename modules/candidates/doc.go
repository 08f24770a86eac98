// Package candidates holds the people who apply to be evaluated (考生): their identity documents and
// names, how those are validated, masked for publicity and matched in searches.
//
// Names and ID numbers are personal data. The rules here never alter what is stored: a name is kept
// exactly as the candidate gave it (any length, any Unicode, runes outside the BMP included); only derived
// values — a masked form for public lists, a search key — are computed from it.
package candidates
