package batches

import (
	"slices"
	"strconv"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Applications are the platform's longest lists (a batch holds thousands), so their views encode
// themselves (httpx.JSONAppender): the same bytes as the app's JSON encoder, without its reflection
// and allocations. TestApplicationViewAppendJSON holds the two equal; a field added to a view must be
// added here in the same place.

// AppendJSON appends v as JSON, fields in struct order with their tags' names and omitempty rules.
func (v *ApplicationView) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = httpx.AppendUUID(b, v.ID)
	b = append(b, `,"batch_id":`...)
	b = httpx.AppendUUID(b, v.BatchID)
	b = append(b, `,"candidate_id":`...)
	b = httpx.AppendUUID(b, v.CandidateID)
	b = append(b, `,"candidate_name":`...)
	b = httpx.AppendString(b, v.CandidateName)
	b = append(b, `,"id_type":`...)
	b = httpx.AppendString(b, v.IDType)
	b = append(b, `,"id_number":`...)
	b = httpx.AppendString(b, v.IDNumber)
	b = append(b, `,"status":`...)
	b = httpx.AppendString(b, string(v.Status))
	b = append(b, `,"route":`...)
	b = httpx.AppendString(b, string(v.Route))
	if len(v.EvidenceFileIDs) > 0 {
		b = append(b, `,"evidence_file_ids":`...)
		b = httpx.AppendStrings(b, v.EvidenceFileIDs)
	}
	b = append(b, `,"eligibility":`...)
	b = v.Eligibility.AppendJSON(b)
	b = append(b, `,"fee_fen":`...)
	b = strconv.AppendInt(b, v.FeeFen, 10)
	b = append(b, `,"paid":`...)
	b = httpx.AppendBool(b, v.Paid)
	if v.PaidAt != nil {
		b = append(b, `,"paid_at":`...)
		b = httpx.AppendTime(b, *v.PaidAt)
	}
	if v.Review != nil {
		b = append(b, `,"review":`...)
		b = v.Review.AppendJSON(b)
	}
	b = append(b, `,"scores":`...)
	b = appendScores(b, v.Scores)
	b = append(b, `,"result":`...)
	if v.Result == nil {
		b = append(b, "null"...)
	} else {
		b = httpx.AppendString(b, string(*v.Result))
	}
	b = append(b, `,"held":`...)
	b = httpx.AppendBool(b, v.Held)
	b = append(b, `,"created_at":`...)
	b = httpx.AppendTime(b, v.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = httpx.AppendTime(b, v.UpdatedAt)
	return append(b, '}')
}

// appendScores appends the scores as an object with its keys sorted, as encoding/json orders a map.
func appendScores(b []byte, scores map[Method]float64) []byte {
	if scores == nil {
		return append(b, "null"...)
	}
	var buf [8]Method // a batch has a handful of methods
	keys := buf[:0]
	for m := range scores {
		keys = append(keys, m)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, m := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = httpx.AppendString(b, string(m))
		b = append(b, ':')
		b = httpx.AppendFloat(b, scores[m])
	}
	return append(b, '}')
}

// AppendJSON appends v as JSON.
func (v *EligibilityView) AppendJSON(b []byte) []byte {
	b = append(b, `{"passed":`...)
	b = httpx.AppendBool(b, v.Passed)
	b = append(b, `,"rule":`...)
	b = httpx.AppendString(b, v.Rule)
	b = append(b, `,"reasons":`...)
	b = httpx.AppendStrings(b, v.Reasons)
	b = append(b, `,"reasons_en":`...)
	b = httpx.AppendStrings(b, v.ReasonsEN)
	b = append(b, `,"outcome":`...)
	b = httpx.AppendString(b, string(v.Outcome))
	if v.RuleSet != "" {
		b = append(b, `,"rule_set":`...)
		b = httpx.AppendString(b, v.RuleSet)
	}
	if v.RuleSetRevision != 0 {
		b = append(b, `,"rule_set_revision":`...)
		b = strconv.AppendInt(b, int64(v.RuleSetRevision), 10)
	}
	b = append(b, `,"theory_exempt":`...)
	b = httpx.AppendBool(b, v.TheoryExempt)
	if v.ExemptReason != "" {
		b = append(b, `,"exempt_reason":`...)
		b = httpx.AppendString(b, v.ExemptReason)
	}
	if v.ExemptReasonEN != "" {
		b = append(b, `,"exempt_reason_en":`...)
		b = httpx.AppendString(b, v.ExemptReasonEN)
	}
	if v.AsOf != nil {
		b = append(b, `,"as_of":`...)
		b = httpx.AppendTime(b, *v.AsOf)
	}
	if len(v.Clauses) > 0 {
		b = append(b, `,"clauses":[`...)
		for i := range v.Clauses {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendClause(b, &v.Clauses[i])
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendClause(b []byte, c *eligibility.Clause) []byte {
	b = append(b, `{"id":`...)
	b = httpx.AppendString(b, c.ID)
	if c.Path != "" {
		b = append(b, `,"path":`...)
		b = httpx.AppendString(b, c.Path)
	}
	if c.Kind != "" {
		b = append(b, `,"kind":`...)
		b = httpx.AppendString(b, string(c.Kind))
	}
	b = append(b, `,"passed":`...)
	b = httpx.AppendBool(b, c.Passed)
	b = append(b, `,"reason_zh":`...)
	b = httpx.AppendString(b, c.ReasonZH)
	b = append(b, `,"reason_en":`...)
	b = httpx.AppendString(b, c.ReasonEN)
	return append(b, '}')
}

// AppendJSON appends v as JSON.
func (v *ReviewView) AppendJSON(b []byte) []byte {
	b = append(b, `{"decision":`...)
	b = httpx.AppendString(b, v.Decision)
	if v.Reason != "" {
		b = append(b, `,"reason":`...)
		b = httpx.AppendString(b, v.Reason)
	}
	if v.ReviewedBy != nil {
		b = append(b, `,"reviewed_by":`...)
		b = httpx.AppendUUID(b, *v.ReviewedBy)
	}
	if v.ReviewedAt != nil {
		b = append(b, `,"reviewed_at":`...)
		b = httpx.AppendTime(b, *v.ReviewedAt)
	}
	return append(b, '}')
}
