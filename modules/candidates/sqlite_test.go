package candidates

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/migrations"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/tenants"
)

// TestSQLiteDevMode runs the module on the embedded dev mode's SQLite: the same migrations' twins, the
// portable import path, the same answers.
func TestSQLiteDevMode(t *testing.T) {
	db, err := platform.OpenSQLite(filepath.Join(t.TempDir(), "dev.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Up(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	svc := NewService(db, Deps{})
	scope := newTenant(t, db, tenants.KindEnterprise)
	ctx := ctxOf(scope)

	in := validInput(30_000)
	in.Name = "𠀀𪚥" + in.Name
	in.Awards = []string{"world_skills"}
	c, err := svc.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != in.Name || got.CurrentLevelObtainedOn.Format(time.DateOnly) != "2020-06-01" || got.Awards[0] != "world_skills" {
		t.Fatalf("round trip %+v", got)
	}
	_, err = svc.Create(ctx, in)
	mustFail(t, err, platform.KindConflict, "duplicate")
	if _, err := svc.Update(ctx, c.ID, func(in *Input) error { in.CurrentLevel = 0; in.CurrentLevelObtainedOn = nil; return nil }); err != nil {
		t.Fatal(err)
	}

	res, err := svc.Import(ctx, "a.csv", bulkCSV(t, 30_100, 700)) // more than one batch
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, res, 700, 700, 0, 0, 0)
	res, err = svc.Import(ctx, "a.xlsx", bulkXLSX(t, 30_100, 700))
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, res, 700, 0, 0, 700, 0)
	p, err := svc.List(ctx, platform.PageRequest{Sort: SortName, Limit: 500}, ListFilter{Q: "考生3010"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 10 { // 考生30100…考生30109
		t.Fatalf("search found %d", len(p.Items))
	}
	if _, err := svc.SetPhoto(ctx, c.ID, pngBytes(t, 64, 64)); err != nil {
		t.Fatal(err)
	}
	if ph, err := svc.Photo(ctx, c.ID); err != nil || ph.Width != 64 {
		t.Fatalf("photo %v %v", ph.Width, err)
	}
}

// TestDuplicateNamesTheField: a duplicate document and a duplicate student number are both 409
// duplicate, each naming its field, on PostgreSQL (by constraint name) and on SQLite alike.
func TestDuplicateNamesTheField(t *testing.T) {
	dbs := map[string]func(t *testing.T) *bun.DB{
		"postgres": func(t *testing.T) *bun.DB { return dbtest.DB(t) },
		"sqlite": func(t *testing.T) *bun.DB {
			db, err := platform.OpenSQLite(filepath.Join(t.TempDir(), "dev.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := migrations.Up(context.Background(), db); err != nil {
				t.Fatal(err)
			}
			return db
		},
	}
	for name, open := range dbs {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			svc := NewService(db, Deps{})
			ctx := ctxOf(newTenant(t, db, tenants.KindSchool))
			school := func(n int, studentNo string) Input {
				in := validInput(n)
				in.StudentNo = studentNo
				return in
			}
			first, err := svc.Create(ctx, school(31_000, "S001"))
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name  string
				write func() error
				field string
			}{
				{"same document", func() error { _, err := svc.Create(ctx, school(31_000, "S002")); return err }, IDNumberField},
				{"same student number", func() error { _, err := svc.Create(ctx, school(31_001, "S001")); return err }, "student_no"},
				{"updated to a taken student number", func() error {
					c, err := svc.Create(ctx, school(31_002, "S003"))
					if err != nil {
						t.Fatal(err)
					}
					_, err = svc.Update(ctx, c.ID, func(in *Input) error { in.StudentNo = first.StudentNo; return nil })
					return err
				}, "student_no"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					pe := mustFail(t, tt.write(), platform.KindConflict, "duplicate")
					if len(pe.Fields) != 1 || pe.Fields[0].Field != tt.field {
						t.Fatalf("fields %+v, want %s", pe.Fields, tt.field)
					}
				})
			}
		})
	}
}
