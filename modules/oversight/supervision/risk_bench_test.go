package supervision

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkWeightedDraw is a risk-weighted draw of 10 among 1,000 institutions; the reference is
// the plain double-random draw (HMAC keys) of the same population (BenchmarkPlainDraw).
func BenchmarkWeightedDraw(b *testing.B) {
	pop := population(rand.New(rand.NewPCG(7, 7)), 1000, 1, 2.5, 10, 4)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		WeightedDraw(fmt.Sprint("seed-", i), pop, 10)
	}
}

func BenchmarkPlainDraw(b *testing.B) {
	pop := population(rand.New(rand.NewPCG(7, 7)), 1000, 1)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		Draw(fmt.Sprint("seed-", i), "institution", pop, 10)
	}
}
