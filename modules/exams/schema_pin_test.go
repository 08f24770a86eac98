package exams_test

import (
	"context"
	"testing"

	"github.com/skillcert/skillcert/modules/testkit"
)

// Exams reads two tables of the batches module directly (store.go: a batch's state and methods, the
// applications to seat and the names the door shows). These pins make a rename, drop or retype of
// one of those columns in another module's migration fail here instead of at the exam.
var pinnedColumns = []struct{ table, column, typ string }{
	{"batches", "id", "uuid"},
	{"batches", "tenant_id", "uuid"},
	{"batches", "title", "text"},
	{"batches", "status", "text"},
	{"batches", "methods", "jsonb"},
	{"batches", "exam_start", "timestamp with time zone"},
	{"applications", "id", "uuid"},
	{"applications", "tenant_id", "uuid"},
	{"applications", "batch_id", "uuid"},
	{"applications", "candidate_id", "uuid"},
	{"applications", "candidate_name", "text"},
	{"applications", "id_type", "text"},
	{"applications", "id_number", "text"},
	{"applications", "status", "text"},
	{"applications", "theory_exempt", "boolean"},
	{"applications", "created_at", "timestamp with time zone"},
}

func TestSchemaPins(t *testing.T) {
	k := testkit.New(t)
	for _, p := range pinnedColumns {
		var typ string
		err := k.DB.NewRaw(`SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?`,
			p.table, p.column).Scan(context.Background(), &typ)
		if err != nil || typ != p.typ {
			t.Errorf("%s.%s: %q (%v), exams reads it as %s", p.table, p.column, typ, err, p.typ)
		}
	}
}
