package loader

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/pgshape/pgshape/migrations"
)

// Migrate is `loader migrate`: it connects to the database at url and runs
// migrations.Migrate there, reporting each applied version on out. The server's
// notices (the shape layer's "the source contract is an empty placeholder", a role
// kept on the way down) are printed on out as they arrive: goose and database/sql
// would drop them.
func Migrate(ctx context.Context, url string, opts migrations.Options, out io.Writer) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	cfg, err := ParseConfig(url)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	cfg.ConnConfig.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, "[Migrate] %s: %s\n", n.Severity, n.Message)
	}
	pool, err := connectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool)
	defer pool.Close()
	defer db.Close()
	lockedOut := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(p)
	})
	return migrations.Migrate(ctx, db, opts, lockedOut)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
