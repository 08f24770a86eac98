package candidates

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/tenants"
)

func newService(tb testing.TB) (*Service, *bun.DB) {
	tb.Helper()
	db := dbtest.DB(tb)
	return NewService(db, Deps{}), db
}

func TestCreateRoundTripsNamesExactly(t *testing.T) {
	svc, _ := newService(t)
	ctx := ctxOf(newTenant(t, svc.db, tenants.KindEnterprise))
	long := strings.Repeat("阿卜杜·热合曼·", 8) + "𪚥" // 57 runes, with a non-BMP rune
	names := []string{"𠀀𪚥", long, "María-José O'Neil", "  张三  ", "Ｗｉｌｌｉａｍ Smith"}
	for i, name := range names {
		in := validInput(100 + i)
		in.Name = name
		c, err := svc.Create(ctx, in)
		if err != nil {
			t.Fatalf("create %q: %v", name, err)
		}
		got, err := svc.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != name {
			t.Fatalf("stored name %q, want exactly %q", got.Name, name)
		}
		if got.NameKey != NameSearchKey(name) {
			t.Fatalf("name key %q, want %q", got.NameKey, NameSearchKey(name))
		}
	}
	if n := len([]rune(long)); n < 50 {
		t.Fatalf("the long name has only %d runes", n)
	}
}

func TestCreateNormalizesAndStores(t *testing.T) {
	svc, _ := newService(t)
	ctx := ctxOf(newTenant(t, svc.db, tenants.KindEnterprise))
	in := validInput(200)
	want := in.IDNumber
	in.IDNumber = strings.Map(func(r rune) rune { return r - '0' + '０' }, want[:17]) + " " + strings.ToLower(want[17:])
	in.Awards = []string{"provincial_competition"}
	in.TitleLevel = TitleAssistant
	in.RelatedDiploma = true
	c, err := svc.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.IDNumber != want {
		t.Fatalf("id number stored as %q, want %q", got.IDNumber, want)
	}
	if got.CurrentLevelObtainedOn == nil || got.CurrentLevelObtainedOn.Format("2006-01-02") != "2020-06-01" {
		t.Fatalf("level date %v", got.CurrentLevelObtainedOn)
	}
	if got.OccupationYears != 6 || got.CurrentLevel != 5 || got.Education != EduSecondaryVocational ||
		got.TitleLevel != TitleAssistant || !got.RelatedDiploma || len(got.Awards) != 1 || got.Awards[0] != "provincial_competition" ||
		got.Phone != "13800138000" || got.IDType != IDTypeResident || got.TenantID != c.TenantID {
		t.Fatalf("stored %+v", got)
	}
}

func TestCreateRefusesBadResidentID(t *testing.T) {
	svc, _ := newService(t)
	scope := newTenant(t, svc.db, tenants.KindEnterprise)
	in := validInput(300)
	in.IDNumber = badCheck(in.IDNumber)
	_, err := svc.Create(ctxOf(scope), in)
	pe := mustFail(t, err, platform.KindUnprocessable, "validation_failed")
	if len(pe.Fields) != 1 || pe.Fields[0].Field != "id_number" || pe.Fields[0].Code != "checksum" {
		t.Fatalf("fields %+v", pe.Fields)
	}
	if n := countCandidates(t, svc.db, scope.TenantID); n != 0 {
		t.Fatalf("%d candidates stored", n)
	}
}

func TestDuplicateIDNumber(t *testing.T) {
	svc, _ := newService(t)
	a := ctxOf(newTenant(t, svc.db, tenants.KindEnterprise))
	b := ctxOf(newTenant(t, svc.db, tenants.KindSocialOrg))
	in := validInput(400)
	if _, err := svc.Create(a, in); err != nil {
		t.Fatal(err)
	}
	// The same number typed differently is the same document.
	again := in
	again.Name = "另一个名字"
	again.IDNumber = " " + strings.ToLower(in.IDNumber) + " "
	_, err := svc.Create(a, again)
	pe := mustFail(t, err, platform.KindConflict, "duplicate")
	if len(pe.Fields) != 1 || pe.Fields[0].Field != "id_number" {
		t.Fatalf("fields %+v", pe.Fields)
	}
	// Another tenant may hold the same person.
	if _, err := svc.Create(b, in); err != nil {
		t.Fatalf("another tenant: %v", err)
	}
	// Another document type with the same characters is another document.
	p := in
	p.IDType, p.IDNumber = IDTypePassport, "E12345678"
	q := p
	q.IDType = IDTypeHKMacaoPermit
	q.IDNumber = "H12345678"
	if _, err := svc.Create(a, p); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(a, q); err != nil {
		t.Fatal(err)
	}
}

func TestOtherTenantsCandidateIsNotFound(t *testing.T) {
	svc, _ := newService(t)
	a := ctxOf(newTenant(t, svc.db, tenants.KindEnterprise))
	b := ctxOf(newTenant(t, svc.db, tenants.KindEnterprise))
	c, err := svc.Create(a, validInput(500))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(b, c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get from another tenant: %v", err)
	}
	if _, err := svc.Update(b, c.ID, func(in *Input) error { in.Phone = ""; return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update from another tenant: %v", err)
	}
	if _, err := svc.SetPhoto(b, c.ID, pngBytes(t, 64, 64)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("photo from another tenant: %v", err)
	}
	// Row-level security alone (without the store's WHERE) hides the row too.
	err = tenants.ReadTx(b, svc.db, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Table("candidates").Where("id = ?", c.ID).Count(ctx)
		if err == nil && n != 0 {
			t.Fatalf("RLS let another tenant see %d rows", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRegulatorCannotHoldCandidates(t *testing.T) {
	svc, _ := newService(t)
	reg := ctxOf(newTenant(t, svc.db, tenants.KindRegulator))
	_, err := svc.Create(reg, validInput(550))
	mustFail(t, err, platform.KindForbidden, "forbidden")
	_, err = svc.Import(reg, "a.csv", bulkCSV(t, 550, 1))
	mustFail(t, err, platform.KindForbidden, "forbidden")
}

func TestListSearchAndPaging(t *testing.T) {
	svc, _ := newService(t)
	ctx := ctxOf(newTenant(t, svc.db, tenants.KindEnterprise))
	names := []string{"阿卜杜·热合曼", "张三丰", "张无忌", "李四", "王五", "Zhang Wei", "𠀀𪚥"}
	ids := map[string]Candidate{}
	for i, n := range names {
		in := validInput(600 + i)
		in.Name = n
		c, err := svc.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = c
	}
	fullWidthID := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, ids["李四"].IDNumber)
	tests := []struct {
		q    string
		want []string
	}{
		{"张", []string{"张三丰", "张无忌"}},       // prefix
		{"无忌", []string{"张无忌"}},             // substring
		{"阿卜杜热合曼", []string{"阿卜杜·热合曼"}},     // separators ignored
		{"阿卜杜 热合", []string{"阿卜杜·热合曼"}},     // typed with a space
		{"ＺＨＡＮＧ", []string{"Zhang Wei"}},    // full-width, case
		{"zhangwei", []string{"Zhang Wei"}}, // space ignored
		{"𪚥", []string{"𠀀𪚥"}},               // non-BMP
		{fullWidthID, []string{"李四"}},       // exact ID number, full-width typed
		{ids["王五"].IDNumber[:10], nil},      // ID numbers match exactly only
		{"%", nil},                          // wildcards are characters
		{"_", nil},
	}
	for _, tt := range tests {
		p, err := svc.List(ctx, platform.PageRequest{Sort: SortName, Limit: 50}, ListFilter{Q: tt.q})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range p.Items {
			got = append(got, c.Name)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Fatalf("q=%q: got %v, want %v", tt.q, got, tt.want)
		}
	}
	// Keyset pages of 3 cover everything once, in order, both sorts and directions.
	for _, sort := range []string{SortCreatedAt, SortName} {
		for _, desc := range []bool{false, true} {
			var seen []uuid.UUID
			q := platform.PageRequest{Sort: sort, Desc: desc, Limit: 3}
			for {
				p, err := svc.List(ctx, q, ListFilter{})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range p.Items {
					seen = append(seen, c.ID)
				}
				if p.NextCursor == "" {
					break
				}
				q.Cursor = p.NextCursor
			}
			if len(seen) != len(names) {
				t.Fatalf("sort %s desc %v: %d items, want %d", sort, desc, len(seen), len(names))
			}
			uniq := map[uuid.UUID]bool{}
			for _, id := range seen {
				uniq[id] = true
			}
			if len(uniq) != len(names) {
				t.Fatalf("sort %s desc %v: duplicates in pages", sort, desc)
			}
		}
	}
}

// recordingListener records the candidates it hears about and what the transaction shows of them.
type recordingListener struct {
	ids    []uuid.UUID
	phones []string
	fail   error
}

func (l *recordingListener) CandidateChanged(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	l.ids = append(l.ids, id)
	var phone string
	if err := tx.NewSelect().Table("candidates").Column("phone").Where("id = ?", id).Scan(ctx, &phone); err != nil {
		return err
	}
	l.phones = append(l.phones, phone)
	return l.fail
}

func TestUpdateCallsListenerInTheSameTransaction(t *testing.T) {
	_, db := newService(t)
	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	l := &recordingListener{}
	svc := NewService(db, Deps{Changes: l})
	c, err := svc.Create(ctx, validInput(700))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.ids) != 0 {
		t.Fatal("creation called the listener")
	}
	got, err := svc.Update(ctx, c.ID, func(in *Input) error { in.Phone = "13900139000"; in.CurrentLevel = 4; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got.Phone != "13900139000" || got.CurrentLevel != 4 || !got.UpdatedAt.After(c.UpdatedAt) || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("updated %+v", got)
	}
	if len(l.ids) != 1 || l.ids[0] != c.ID || l.phones[0] != "13900139000" {
		t.Fatalf("listener saw %v %v; it must see the new data inside the update's transaction", l.ids, l.phones)
	}
	// Nothing changed: nothing written, no listener call.
	if _, err := svc.Update(ctx, c.ID, func(in *Input) error { in.Phone = "139 0013 9000"; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(l.ids) != 1 {
		t.Fatalf("a no-op update called the listener")
	}
	// The listener's error aborts the change.
	l.fail = platform.Conflict("invalid_state", "nope")
	_, err = svc.Update(ctx, c.ID, func(in *Input) error { in.Phone = "13700137000"; return nil })
	mustFail(t, err, platform.KindConflict, "invalid_state")
	if again, _ := svc.Get(ctx, c.ID); again.Phone != "13900139000" {
		t.Fatalf("phone %q after a refused update", again.Phone)
	}
	// Validation applies to updates.
	l.fail = nil
	_, err = svc.Update(ctx, c.ID, func(in *Input) error { in.IDNumber = badCheck(in.IDNumber); return nil })
	pe := mustFail(t, err, platform.KindUnprocessable, "validation_failed")
	if pe.Fields[0].Field != "id_number" {
		t.Fatalf("fields %+v", pe.Fields)
	}
	// Changing the number to another candidate's is a duplicate.
	other, err := svc.Create(ctx, validInput(701))
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Update(ctx, c.ID, func(in *Input) error { in.IDNumber = other.IDNumber; return nil })
	mustFail(t, err, platform.KindConflict, "duplicate")
}

func TestAuditIsWrittenAndMasked(t *testing.T) {
	svc, db := newService(t)
	scope := newTenant(t, db, tenants.KindEnterprise)
	ctx := ctxOf(scope)
	in := validInput(800)
	in.Name = "欧阳修明"
	c, err := svc.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, c.ID, func(in *Input) error { in.Phone = "13900139000"; return nil }); err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		Action string `bun:"action"`
		Before string `bun:"before"`
		After  string `bun:"after"`
	}
	if err := db.NewSelect().Table("audit_log").Column("action").ColumnExpr("coalesce(before::text, '') AS before").
		ColumnExpr("after::text AS after").Where("tenant_id = ? AND target_id = ?", scope.TenantID, c.ID.String()).
		Order("seq").Scan(context.Background(), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Action != "candidate.create" || entries[1].Action != "candidate.update" {
		t.Fatalf("audit entries %+v", entries)
	}
	for _, e := range entries {
		for _, secret := range []string{c.IDNumber, "欧阳修明", "13800138000", "13900139000"} {
			if strings.Contains(e.Before+e.After, secret) {
				t.Fatalf("audit entry %s holds %q in the clear: %s %s", e.Action, secret, e.Before, e.After)
			}
		}
	}
	if !strings.Contains(entries[1].After, `"changed": ["phone"]`) && !strings.Contains(entries[1].After, `"changed":["phone"]`) {
		t.Fatalf("update entry does not name the changed field: %s", entries[1].After)
	}
}

func TestPhoto(t *testing.T) {
	svc, db := newService(t)
	ctx := ctxOf(newTenant(t, db, tenants.KindEnterprise))
	c, err := svc.Create(ctx, validInput(900))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Photo(ctx, c.ID); !errors.Is(err, ErrPhotoNotFound) {
		t.Fatalf("photo before upload: %v", err)
	}
	big := make([]byte, MaxPhotoBytes+1)
	copy(big, pngBytes(t, 64, 64))
	truncated := pngBytes(t, 64, 64)[:20]
	tests := []struct {
		name string
		data []byte
		kind platform.Kind
		code string
	}{
		{"png", pngBytes(t, 300, 400), 0, ""},
		{"jpeg", jpegBytes(t, 295, 413), 0, ""},
		{"over 2 MiB", big, platform.KindTooLarge, "photo_too_large"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), platform.KindUnsupported, "unsupported_media_type"},
		{"truncated header", truncated, platform.KindUnprocessable, "invalid_photo"},
		{"too small", pngBytes(t, 8, 8), platform.KindUnprocessable, "invalid_photo"},
		{"huge dimensions", pngBytes(t, 5000, 10), platform.KindUnprocessable, "invalid_photo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := svc.SetPhoto(ctx, c.ID, tt.data)
			if tt.code != "" {
				mustFail(t, err, tt.kind, tt.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.Photo(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Data) != string(tt.data) || got.SHA256 != p.SHA256 || got.Width != p.Width {
				t.Fatalf("photo read back differs: %+v", got.ContentType)
			}
			if cand, _ := svc.Get(ctx, c.ID); !cand.HasPhoto {
				t.Fatal("has_photo not set")
			}
		})
	}
	if got, _ := svc.Photo(ctx, c.ID); got.ContentType != "image/jpeg" {
		t.Fatalf("the last valid upload is kept, got %s", got.ContentType)
	}
}
