package generate

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// PauseEnv names the fault-matrix test hook (cmd/loader/faults_test.go). Set to a phase,
// the load stops once inside it, writes PauseMarker and the phase on a line of stderr,
// and waits for a line (or end of file) on stdin, or for its context to end (Ctrl-C):
//
//   - copy: in the middle of a COPY into the staging schema (the first chunk sent, the
//     stream still open);
//   - keys: after the first key or index of the staging schema is built, before the next;
//   - swap: inside the swap (or shard append) transaction, the old tables dropped and
//     the staging ones moved into public (or appended), before the commit.
//
// Unset (the only case outside tests) it does nothing. It is read once, at start.
const PauseEnv = "PGSHAPE_TEST_PAUSE_AT"

// PauseMarker starts the line a paused load writes to stderr.
const PauseMarker = "pgshape-test: paused at "

var (
	pauseAt = os.Getenv(PauseEnv)
	paused  atomic.Bool
)

// pause blocks the first caller at phase as PauseEnv says; every other call returns at
// once. It returns the context's error when the context ends first.
func pause(ctx context.Context, phase string) error {
	if pauseAt != phase || !paused.CompareAndSwap(false, true) {
		return nil
	}
	fmt.Fprintf(os.Stderr, "%s%s\n", PauseMarker, phase)
	resume := make(chan struct{})
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		close(resume)
	}()
	select {
	case <-resume:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pauseUnless is pause, skipped when skip is set.
func pauseUnless(ctx context.Context, phase string, skip bool) error {
	if skip {
		return nil
	}
	return pause(ctx, phase)
}

// pausingReader pauses at "copy" before its second chunk: the COPY is open and has rows.
type pausingReader struct {
	ctx   context.Context
	r     io.Reader
	reads int
}

func (p *pausingReader) Read(b []byte) (int, error) {
	if p.reads++; p.reads == 2 {
		if err := pause(p.ctx, "copy"); err != nil {
			return 0, err
		}
	}
	return p.r.Read(b)
}
