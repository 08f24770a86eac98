// Package jobstest helps tests of code that enqueues jobs: a Recorder stands in for the queue so a test
// runs the tasks by hand, loses them, or runs one twice.
package jobstest

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/jobs"
)

// Recorder is a jobs.Enqueuer that keeps every task it is given, as the queue would deliver it
// (payload as JSON, MaxRetry 10 as the job servers run them).
type Recorder struct {
	mu    sync.Mutex
	tasks []jobs.Task
}

// Enqueue records the task.
func (r *Recorder) Enqueue(_ context.Context, typ string, tenantID uuid.UUID, payload any, _ ...jobs.Option) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	r.Put(jobs.Task{Type: typ, TenantID: tenantID, Payload: b, MaxRetry: 10})
	return nil
}

// Take returns the recorded tasks and forgets them.
func (r *Recorder) Take() []jobs.Task {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.tasks
	r.tasks = nil
	return out
}

// Put records tasks again (ones a test took and holds back for later).
func (r *Recorder) Put(tasks ...jobs.Task) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tasks = append(r.tasks, tasks...)
}
