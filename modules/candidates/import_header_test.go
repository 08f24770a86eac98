package candidates

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestIgnoredColumnsAreBounded: a header row of thousands of long unknown columns gives an answer of
// bounded size (it once echoed a 9.9 MB header back).
func TestIgnoredColumnsAreBounded(t *testing.T) {
	im := &importer{}
	cells := []string{"姓名", "证件号码"}
	for i := 0; i < 5000; i++ {
		cells = append(cells, "备注"+strings.Repeat("长", 1000))
	}
	_ = im.header(cells)
	if len(im.ignored) != maxIgnoredColumns {
		t.Fatalf("%d ignored columns reported, want %d", len(im.ignored), maxIgnoredColumns)
	}
	for _, c := range im.ignored {
		if utf8.RuneCountInString(c) > maxColumnName {
			t.Fatalf("column name of %d runes reported", utf8.RuneCountInString(c))
		}
	}
}
