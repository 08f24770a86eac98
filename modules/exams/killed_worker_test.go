package exams_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

// ticketWorkerEnv makes the test binary, run again by killTicketWorker, a ticket worker process
// (TestTicketWorkerProcess) instead of running tests.
const ticketWorkerEnv = "SKILLCERT_EXAMS_TEST_TICKET_WORKER"

// ticketWorkerMidChunk is what the worker process prints once it is in the middle of a chunk.
const ticketWorkerMidChunk = "ticket-worker: mid-chunk"

type ticketWorkerSpec struct {
	DatabaseURL string    `json:"database_url"`
	TicketKey   []byte    `json:"ticket_key"`
	Task        jobs.Task `json:"task"`
}

// killTicketWorker runs a worker process on task (the test binary again, as TestTicketWorkerProcess),
// waits until it has rendered three tickets of the chunk inside its transaction, and SIGKILLs it.
func killTicketWorker(t *testing.T, task jobs.Task, key []byte) {
	t.Helper()
	spec, err := json.Marshal(ticketWorkerSpec{DatabaseURL: dbtest.URL(t), TicketKey: key, Task: task})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestTicketWorkerProcess$", "-test.count", "1", "-test.v")
	cmd.Env = append(os.Environ(), ticketWorkerEnv+"="+string(spec))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	mid := make(chan bool, 1)
	var out strings.Builder
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if sc.Text() == ticketWorkerMidChunk {
				mid <- true
				return
			}
		}
		mid <- false
	}()
	select {
	case ok := <-mid:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("the worker process ended before the middle of its chunk:\n%s%s", out.String(), stderr.String())
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the worker process did not reach the middle of its chunk:\n%s%s", out.String(), stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred call, no rollback of its own
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the worker process ended with %v, want killed", err)
	}
}

// TestTicketWorkerProcess is the worker process of TestTicketsExactlyOnceUnderKilledWorker (skipped in
// a normal run): it handles one render task as the worker's handler does, against the test's database,
// and after three tickets says so and waits there, inside the chunk's transaction, to be killed.
func TestTicketWorkerProcess(t *testing.T) {
	raw := os.Getenv(ticketWorkerEnv)
	if raw == "" {
		t.Skip("the worker process of TestTicketsExactlyOnceUnderKilledWorker")
	}
	var spec ticketWorkerSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := platform.OpenPostgres(ctx, spec.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	d := exams.NewDocuments(exams.DocumentsConfig{DB: db, Photos: candidates.NewService(db, candidates.Deps{}),
		Renderer: docRenderer, TicketKey: spec.TicketKey})
	rendered := 0
	d.SetRenderHook(func(uuid.UUID) error {
		if rendered == 3 {
			fmt.Println(ticketWorkerMidChunk)
			time.Sleep(10 * time.Minute) // killed here
		}
		rendered++
		return nil
	})
	err = d.HandleRenderTickets(jobCtx(spec.Task.TenantID), spec.Task)
	t.Fatalf("the worker process finished its chunk (%v): it should have been killed in the middle", err)
}
