package plot

import (
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/validate"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	b, err := shape.ReadFile("../../testdata/shape-example.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := shape.ReadFile("../../testdata/shape-example.json")
	if err != nil {
		t.Fatal(err)
	}
	// A flat synthetic day: every hour and weekday cell the same.
	for h := range c.Messages.HourlyDistribution {
		c.Messages.HourlyDistribution[h] = shape.Int(1000)
	}
	for d := range c.Messages.WeekdayHourDistribution {
		for h := range c.Messages.WeekdayHourDistribution[d] {
			c.Messages.WeekdayHourDistribution[d][h] = shape.Int(100)
		}
	}
	res := validate.Compare(b, c, validate.Options{PeopleChecks: validate.PeopleReported})
	dir := t.TempDir()
	if d := os.Getenv("PGSHAPE_PLOTS_DIR"); d != "" {
		dir = d // keep the pictures to look at
	}
	page, err := Write(dir, b, c, res)
	if err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	imgs := regexp.MustCompile(`<img src="([^"]+)"`).FindAllStringSubmatch(string(html), -1)
	// Eight histogram families in the example, the hourly profile, the weekday × hour
	// heat maps, the size × activity tables, the readers by room size.
	if len(imgs) != 12 {
		t.Errorf("page shows %d pictures, want 12", len(imgs))
	}
	for _, m := range imgs {
		if strings.ContainsAny(m[1], "/\\") {
			t.Errorf("picture %q is not referenced relatively", m[1])
		}
		f, err := os.Open(filepath.Join(dir, m[1]))
		if err != nil {
			t.Errorf("picture %s: %v", m[1], err)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 600 || cfg.Height < 300 {
			t.Errorf("picture %s: %dx%d, %v; want a PNG at least 600x300", m[1], cfg.Width, cfg.Height, err)
		}
	}
	for _, want := range []string{"NO-GO", "failed: hourly profile, diurnal peak/trough ratio", "<td>hourly profile</td>",
		// the example is version 1: its missing families are named, and the checks of
		// people and of time are listed apart, not gated
		"<li>⚠ the baseline (shape_version 1) has no users.senders, users.memberships, conversations.threads: their checks are skipped</li>",
		"<h2>People and time (reported, not gated: PeopleChecks = report)</h2>",
		"<td>gaps between messages (KS)</td>"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestDisplayBounds(t *testing.T) {
	t.Parallel()
	lo, hi := displayBounds([]float64{0, 1, 10}, true)
	want := [][2]float64{{0.5, 1}, {1, 10}, {10, 100}}
	for i := range want {
		if lo[i] != want[i][0] || hi[i] != want[i][1] {
			t.Errorf("log bucket %d drawn [%g, %g), want [%g, %g)", i, lo[i], hi[i], want[i][0], want[i][1])
		}
	}
	lo, hi = displayBounds([]float64{0, 2, 3}, false)
	if lo[0] != 0 || hi[2] != 4 {
		t.Errorf("linear buckets drawn %v–%v, want the first from 0 and the open last to 4", lo, hi)
	}
}
