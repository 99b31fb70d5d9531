package migrations_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pressly/goose/v3"

	"github.com/pgshape/pgshape/migrations"
)

// releasedSums parses released.sha256 (sha256sum's format: 64 hex digits, two spaces,
// the path from this folder; # comments) into path → hex digest.
func releasedSums(t *testing.T, text []byte) map[string]string {
	t.Helper()
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, path, ok := strings.Cut(line, "  ")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 || path == "" {
			t.Fatalf("released.sha256 line %d is not `<sha256>  <path>`: %q", n, line)
		}
		sums[path] = sum
	}
	if len(sums) == 0 {
		t.Fatal("released.sha256 lists no file")
	}
	return sums
}

// checkReleased returns one problem per released file that changed or disappeared, and
// per unreleased migration numbered at or below the latest released version of its set
// (goose would skip it on a database that already has the released ones).
func checkReleased(sums map[string]string, shape, target fs.FS) []string {
	var problems []string
	sets := []struct {
		prefix string
		fsys   fs.FS
	}{{"", shape}, {"target/", target}}
	for _, set := range sets {
		var top int64
		for path, want := range sums {
			name, ok := strings.CutPrefix(path, set.prefix)
			if !ok || strings.Contains(name, "/") {
				continue
			}
			if v, err := goose.NumericComponent(name); err == nil {
				top = max(top, v)
			}
			b, err := fs.ReadFile(set.fsys, name)
			if err != nil {
				problems = append(problems, fmt.Sprintf("released migration %s is gone (%v): put it back, released migrations stay; add a new migration instead", path, err))
				continue
			}
			if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != want {
				problems = append(problems, fmt.Sprintf("released migration %s changed: add a new migration instead (restore it with `git checkout v0.1.0 -- migrations/%s`)", path, path))
			}
		}
		names, err := fs.Glob(set.fsys, "*.sql")
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for _, name := range names {
			if _, released := sums[set.prefix+name]; released {
				continue
			}
			if v, err := goose.NumericComponent(name); err != nil || v <= top {
				problems = append(problems, fmt.Sprintf("new migration %s%s is numbered at or below released version %d: number it after the released ones", set.prefix, name, top))
			}
		}
	}
	return problems
}

// The released migrations are byte for byte the ones in released.sha256; new ones
// (00005 on in the shape layer, 00003 on in the target set) may be added.
func TestReleasedMigrationsUnchanged(t *testing.T) {
	t.Parallel()
	text, err := os.ReadFile("released.sha256")
	if err != nil {
		t.Fatal(err)
	}
	sums := releasedSums(t, text)
	for _, want := range []string{"00001_shape_source.sql", "00002_shape_helpers.sql", "00003_shape_v1.sql",
		"00004_shape_views_reader.sql", "target/00002_synthetic_target.sql"} {
		if _, ok := sums[want]; !ok {
			t.Errorf("released.sha256 does not list %s, released in v0.1.0", want)
		}
	}
	for _, p := range checkReleased(sums, migrations.FS, migrations.TargetFS) {
		t.Error(p)
	}
}

// The check itself: a changed byte, a missing file and a new file slipped under the
// released versions are each caught and named; a new file after them is not.
func TestCheckReleasedCatches(t *testing.T) {
	t.Parallel()
	sha := func(s string) string { b := sha256.Sum256([]byte(s)); return hex.EncodeToString(b[:]) }
	sums := map[string]string{
		"00001_a.sql":        sha("one"),
		"00002_b.sql":        sha("two"),
		"target/00002_m.sql": sha("mark"),
	}
	good := fstest.MapFS{"00001_a.sql": {Data: []byte("one")}, "00002_b.sql": {Data: []byte("two")},
		"00005_new.sql": {Data: []byte("new")}}
	target := fstest.MapFS{"00002_m.sql": {Data: []byte("mark")}, "00003_more.sql": {Data: []byte("x")}}
	if p := checkReleased(sums, good, target); len(p) != 0 {
		t.Fatalf("unchanged files and later migrations: %q, want no problem", p)
	}
	bad := fstest.MapFS{"00001_a.sql": {Data: []byte("one ")}, "00001_sneaky.sql": {Data: []byte("s")}}
	badTarget := fstest.MapFS{"00002_m.sql": {Data: []byte("Mark")}}
	got := strings.Join(checkReleased(sums, bad, badTarget), "\n")
	for _, want := range []string{
		"released migration 00001_a.sql changed: add a new migration instead",
		"released migration 00002_b.sql is gone",
		"new migration 00001_sneaky.sql is numbered at or below released version 2",
		"released migration target/00002_m.sql changed: add a new migration instead",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q lack %q", got, want)
		}
	}
}
