package candidates

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/tenants"
)

// The import benchmarks of issue 3: an import of 10,000 rows end to end must cost at most 3× a raw pgx
// CopyFrom of the same rows into the same indexed table plus the parse. Each iteration imports into a
// fresh tenant, so every row is created (the most expensive case); compare
//
//	go test ./modules/candidates -run '^$' -bench '10k' -benchmem
//
// BenchmarkImportCSV10k against BenchmarkCopyFrom10k/csv, and BenchmarkImportXLSX10k against
// BenchmarkCopyFrom10k/xlsx.

const benchRows = 10_000

func benchImport(b *testing.B, name string, file []byte) {
	svc := NewService(dbtest.DB(b), Deps{})
	b.ReportAllocs()
	b.SetBytes(int64(len(file)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ctx := ctxOf(newTenant(b, svc.db, tenants.KindEnterprise))
		b.StartTimer()
		res, err := svc.Import(ctx, name, file)
		if err != nil {
			b.Fatal(err)
		}
		if res.Created != benchRows {
			b.Fatalf("created %d", res.Created)
		}
	}
}

// BenchmarkImportCSV10k is Service.Import of a 10,000-row CSV file into an empty tenant.
func BenchmarkImportCSV10k(b *testing.B) { benchImport(b, "10k.csv", bulkCSV(b, 300_000, benchRows)) }

// BenchmarkImportXLSX10k is Service.Import of a 10,000-row XLSX file into an empty tenant.
func BenchmarkImportXLSX10k(b *testing.B) {
	benchImport(b, "10k.xlsx", bulkXLSX(b, 300_000, benchRows))
}

// BenchmarkCopyFrom10k is the reference: parse the same file (reading and validating its rows, as the
// import does) and COPY the rows straight into the candidates table with its indexes, through pgx on
// the owner's connection — no staging, no merge, no audit, no row-level security.
func BenchmarkCopyFrom10k(b *testing.B) {
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"csv", bulkCSV(b, 300_000, benchRows)},
		{"xlsx", bulkXLSX(b, 300_000, benchRows)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			db := dbtest.DB(b)
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			cols := append([]string{"tenant_id"}, insertColumns...)
			cols = append(cols, "has_photo", "created_at", "updated_at")
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.file)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				scope := newTenant(b, db, tenants.KindEnterprise)
				b.StartTimer()
				im := newImporter(scope.Kind, time.Now().In(China), DefaultImportLimits)
				if tc.name == "csv" {
					err = readCSV(tc.file, im.row)
				} else {
					err = readXLSX(tc.file, DefaultImportLimits, im.row)
				}
				if err != nil || len(im.staged) != benchRows {
					b.Fatalf("parse: %d rows, %v", len(im.staged), err)
				}
				now := time.Now().UTC()
				rows := im.staged
				err = conn.Raw(func(dc any) error {
					_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{"candidates"}, cols,
						pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
							r := &rows[i]
							var on any
							if r.In.CurrentLevelObtainedOn != nil {
								on = *r.In.CurrentLevelObtainedOn
							}
							return []any{[16]byte(scope.TenantID), [16]byte(r.ID), r.In.Name, NameSearchKey(r.In.Name),
								r.In.IDType, r.In.IDNumber, r.In.Phone, r.In.Education, int32(r.In.OccupationYears),
								int16(r.In.CurrentLevel), on, r.In.TitleLevel, r.In.ApprenticeshipCompleted,
								r.In.RelatedDiploma, awardsJSON(r.In.Awards), r.In.StudentNo, false, now, now}, nil
						}))
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
