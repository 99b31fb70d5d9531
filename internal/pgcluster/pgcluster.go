// Package pgcluster starts a private, throwaway PostgreSQL cluster for the tests that
// must do what the shared server does not allow: stop or restart the server mid-load
// (the fault matrix), or decode the write-ahead log (wal_level=logical for `loader
// watch`). The shared server is never restarted or reconfigured.
//
// A cluster is initdb'd into a temporary folder with trust authentication, listens only
// on a Unix socket in that folder, runs with fsync=off, and is stopped and removed when
// the test ends. initdb refuses to run as root, so as root every server binary runs as
// the postgres user. Starting one takes about a second.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Cluster is one private PostgreSQL cluster.
type Cluster struct {
	Dir      string   // the temporary folder: data/ (PGDATA), log, and the socket
	BinDir   string   // where initdb, pg_ctl and postgres were found
	Port     int      // the port number in the socket's name (no TCP listener)
	Settings []string // extra `-c name=value` settings the server starts with

	runAs   []string // runuser -u postgres -- when we are root
	mu      sync.Mutex
	running bool
}

// BinDir returns the newest local PostgreSQL server binaries folder, or an error saying
// what to install.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, pg_ctl) found: install PostgreSQL 15 (apt-get install postgresql-15)")
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Start initdb's and starts a private cluster with the given server settings (each
// "name=value", e.g. "wal_level=logical"), stopped and removed when t ends. It fails the
// test when the cluster cannot start.
func Start(t testing.TB, settings ...string) *Cluster {
	t.Helper()
	c, err := New(settings...)
	if err != nil {
		t.Fatalf("pgcluster: %v", err)
	}
	t.Cleanup(c.Remove)
	if err := c.Start(); err != nil {
		t.Fatalf("pgcluster: %v", err)
	}
	return c
}

// New initdb's a cluster (not started). Remove deletes it.
func New(settings ...string) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	// A short path: a Unix socket's path is limited to about 107 bytes.
	dir, err := os.MkdirTemp("", "pgc")
	if err != nil {
		return nil, fmt.Errorf("error creating the cluster's folder: %w", err)
	}
	c := &Cluster{Dir: dir, BinDir: bin, Port: 5432, Settings: settings}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, errors.New("running as root needs a postgres user to run initdb")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("error handing the cluster's folder to postgres: %w", err)
		}
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	if out, err := c.run("initdb", "-D", c.DataDir(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("error running initdb: %w: %s", err, out)
	}
	return c, nil
}

// DataDir is the cluster's PGDATA.
func (c *Cluster) DataDir() string { return filepath.Join(c.Dir, "data") }

func (c *Cluster) run(bin string, args ...string) ([]byte, error) {
	argv := append(append([]string{}, c.runAs...), filepath.Join(c.BinDir, bin))
	argv = append(argv, args...)
	return exec.Command(argv[0], argv[1:]...).CombinedOutput()
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses='' -c fsync=off -c max_connections=100", c.Port, c.Dir)
	for _, s := range c.Settings {
		opts += " -c " + s
	}
	if out, err := c.run("pg_ctl", "-D", c.DataDir(), "-l", filepath.Join(c.Dir, "log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "log"))
		return fmt.Errorf("error starting the private cluster: %w: %s %s", err, out, log)
	}
	c.running = true
	return nil
}

// Stop stops the server with pg_ctl's mode: "fast" (roll back open transactions,
// disconnect, checkpoint), "immediate" (no checkpoint: recovery at the next start) or
// "smart".
func (c *Cluster) Stop(mode string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	if out, err := c.run("pg_ctl", "-D", c.DataDir(), "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("error stopping the private cluster (%s): %w: %s", mode, err, out)
	}
	c.running = false
	return nil
}

// Restart stops the server with mode and starts it again.
func (c *Cluster) Restart(mode string) error {
	if err := c.Stop(mode); err != nil {
		return err
	}
	return c.Start()
}

// Remove stops the server (immediate) and deletes its folder.
func (c *Cluster) Remove() {
	_ = c.Stop("immediate")
	os.RemoveAll(c.Dir)
}

// URL returns a connection URL for database db (empty: postgres) as user postgres.
func (c *Cluster) URL(db string) string {
	if db == "" {
		db = "postgres"
	}
	q := url.Values{}
	q.Set("host", c.Dir)
	q.Set("port", strconv.Itoa(c.Port))
	q.Set("sslmode", "disable")
	return "postgres://postgres@/" + url.PathEscape(db) + "?" + q.Encode()
}

// CreateDatabase creates database name in the cluster and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, c.URL(""))
	if err != nil {
		return "", fmt.Errorf("error connecting to the private cluster: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("error creating database %s: %w", name, err)
	}
	return c.URL(name), nil
}

// Open creates database name in the cluster and returns its URL and a connection to it,
// closed when t ends; it fails the test on error.
func (c *Cluster) Open(t testing.TB, name string) (string, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	url, err := c.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatalf("pgcluster: %v", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("pgcluster: error connecting to %s: %v", name, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return url, conn
}
