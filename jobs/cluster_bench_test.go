package jobs

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

// BenchmarkEnqueue compares asynq's enqueue throughput (8 goroutines enqueueing into 3 queues) on a
// three-master Redis Cluster with the package's single Redis, on the same machine in the same run:
//
//	go test ./jobs -run '^$' -bench BenchmarkEnqueue -benchtime 3000x
func BenchmarkEnqueue(b *testing.B) {
	for _, bc := range []struct {
		name  string
		redis func(b *testing.B) Redis
	}{
		{"single", func(b *testing.B) Redis {
			if err := dbtest.Redis(b).FlushDB(context.Background()).Err(); err != nil {
				b.Fatal(err)
			}
			r, err := RedisFromURL(dbtest.RedisURL(b))
			if err != nil {
				b.Fatal(err)
			}
			return r
		}},
		{"cluster", func(b *testing.B) Redis {
			c := dbtest.StartRedisCluster(b, 0)
			return RedisCluster(c.Addrs, c.Password)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := bc.redis(b)
			c := NewClient(r)
			defer c.Close()
			tenant := uuid.New()
			queues := []string{QueueDefault, QueueCritical, QueueLow}
			ctx := context.Background()
			b.SetParallelism(4) // 2 cores × 4 = 8 goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					q := queues[i%len(queues)]
					if err := c.Enqueue(ctx, "bench:noop", tenant, nil, Queue(q), TaskID(fmt.Sprintf("%p-%d", pb, i))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}
