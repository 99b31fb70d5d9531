package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/shape"
)

func TestLoaderVersion(t *testing.T) {
	t.Parallel()
	info := func(v string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/pgshape/pgshape", Version: v}}
	}
	cases := []struct {
		linked string
		bi     *debug.BuildInfo
		want   string
	}{
		{"v0.1.0", info("v0.0.0-20261205-abc"), "v0.1.0"},           // make build: git describe wins
		{"v0.1.0-3-g1234567-dirty", nil, "v0.1.0-3-g1234567-dirty"}, // after the tag, edited
		{"", info("v0.1.0"), "v0.1.0"},                              // go install …@v0.1.0
		{"", info("(devel)"), "v0.1.0-dev"},                         // go build, no VCS stamp
		{"", info(""), "v0.1.0-dev"},
		{"", nil, "v0.1.0-dev"}, // no build info at all
	}
	for _, c := range cases {
		if got := loaderVersion(c.linked, c.bi); got != c.want {
			t.Errorf("loaderVersion(%q, %v) = %q, want %q", c.linked, c.bi, got, c.want)
		}
	}
}

// `loader --version`: the version, the shape_version and the highest migration of each
// set, which the test reads from the files on disk.
func TestVersionFlag(t *testing.T) {
	t.Parallel()
	top := func(dir string) int {
		t.Helper()
		names, err := fs.Glob(os.DirFS(dir), "*.sql")
		if err != nil || len(names) == 0 {
			t.Fatalf("migrations in %s: %v %v", dir, names, err)
		}
		n := 0
		for _, name := range names {
			v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			n = max(n, v)
		}
		return n
	}
	shapeTop := top(filepath.Join("..", "..", "migrations"))
	targetTop := top(filepath.Join("..", "..", "migrations", "target"))
	if shapeTop < 4 || targetTop != 2 {
		t.Fatalf("files top out at shape %d, target %d", shapeTop, targetTop)
	}
	var out, errw bytes.Buffer
	code := run(context.Background(), []string{"loader", "--version"}, &out, &errw)
	if code != 0 || errw.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, errw.String())
	}
	bi, _ := debug.ReadBuildInfo()
	want := fmt.Sprintf("loader %s\nshape_version %s\nshape layer migration version %d (goose_db_version)\ntarget set migration version %d (pgshape_target_version)\n",
		loaderVersion(version, bi), shape.Version, shapeTop, targetTop)
	if out.String() != want {
		t.Errorf("loader --version:\n%s\nwant:\n%s", out.String(), want)
	}
}
