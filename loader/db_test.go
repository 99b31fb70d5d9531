package loader_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader"
)

// An interrupted connect reports the interruption (errors.Is context.Canceled), not a
// missing server: the generator's Ctrl-C path relies on it.
func TestConnectInterrupted(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Bare)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, connect := range map[string]func() error{
		"pool": func() error { p, err := loader.Connect(ctx, url); closeIf(p != nil, func() { p.Close() }); return err },
		"conn": func() error {
			c, err := loader.ConnectOne(ctx, url)
			closeIf(c != nil, func() { c.Close(context.Background()) })
			return err
		},
	} {
		err := connect()
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted while connecting") {
			t.Errorf("%s: %v, want an interruption wrapping context.Canceled", name, err)
		}
	}
}

// A port where nothing listens is named as such, with what to do.
func TestConnectNoServer(t *testing.T) {
	t.Parallel()
	_, err := loader.Connect(context.Background(), "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "no PostgreSQL server answers at 127.0.0.1:1") {
		t.Fatalf("%v, want the no-server message", err)
	}
}

func closeIf(ok bool, f func()) {
	if ok {
		f()
	}
}
