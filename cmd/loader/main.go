// Command loader is pgshape's command line: flags to options, one call per command.
//
// Exit codes: 0 success; 1 a negative verdict (validate's NO-GO, scan-pii's findings);
// 2 anything else that stopped the command (bad input, no server, …), always with one
// line on stderr that says what is wrong and what to do.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
