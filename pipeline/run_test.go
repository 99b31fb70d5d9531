package pipeline

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader/generate"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/validate"
)

// pilotMessages keeps the generated pilots small but large enough that every value
// is published (p99 of messages per conversation needs ≥ 1000 active conversations).
const pilotMessages = 50000

// generated loads spec s into a fresh target and returns its URL and its report.
func generated(t *testing.T, s *spec.Spec, seed string) (string, string) {
	t.Helper()
	url := testdb.New(t, testdb.Target)
	dir := t.TempDir()
	res, err := generate.Run(context.Background(), generate.Options{URL: url, Band: "tiny", Seed: seed, Spec: s,
		Messages: pilotMessages, Workers: 2, ReportDir: dir}, io.Discard)
	if err != nil {
		t.Fatalf("generating %s: %v", seed, err)
	}
	if res.Shape == nil {
		t.Fatalf("generating %s: the report has no shape", seed)
	}
	return url, filepath.Join(dir, generate.ReportName("tiny", seed))
}

func failedIDs(r *validate.Result) []string {
	var ids []string
	for _, c := range r.Checks {
		if c.Status == validate.Fail {
			ids = append(ids, c.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

func describe(r *validate.Result) string {
	var b bytes.Buffer
	r.WriteText(&b)
	return b.String()
}

// Three pilots from the Path B default spec and one from deliberately wrong
// parameters:
//   - a target validates GO against its own report, every Δ exactly 0 (the export
//     uses the window the generator recorded, as the report did);
//   - another seed of the same spec validates GO against the first (the tolerances
//     are wider than the noise of a 50 000-message pilot);
//   - media ratio halved, heavy rooms scaled down (multiplier 0.2) and a flat day fail
//     exactly the media ratio, the heavy-room share, the p99 of messages per
//     conversation (the top 2% of rooms hold it, so it shrinks with them), the hourly
//     profile and the diurnal ratio.
func TestGeneratedPilots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := spec.Default()
	wrong := spec.Default()
	wrong.Messages.Content.MediaRatio /= 2
	wrong.Conversations.HeavyRooms.Multiplier = 0.2
	for d := range wrong.Messages.InterArrival.WeekdayHourWeights {
		for h := range wrong.Messages.InterArrival.WeekdayHourWeights[d] {
			wrong.Messages.InterArrival.WeekdayHourWeights[d][h] = 1
		}
	}
	var (
		wg                   sync.WaitGroup
		urlA, urlB, urlWrong string
		repA                 string
	)
	wg.Go(func() { urlA, repA = generated(t, good, "pilot-a") })
	wg.Go(func() { urlB, _ = generated(t, good, "pilot-b") })
	wg.Go(func() { urlWrong, _ = generated(t, wrong, "pilot-wrong") })
	wg.Wait()
	if t.Failed() {
		return
	}
	dir := t.TempDir()
	// The baseline is the shape document in pilot A's report.
	shapeA, err := ReadDataset(repA)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	shapeA.Write(&buf)
	baseline := filepath.Join(dir, "shape-a.json")
	writeFile(t, baseline, buf.String())
	validateDB := func(url string) *validate.Result {
		t.Helper()
		var out bytes.Buffer
		// The checks of people and of time reported only: this test pins the version-1
		// checks, whatever validate.DefaultPeopleChecks says (gated, the wrong spec
		// also fails gaps.ks, heavy_rooms.top_5pct and senders.top_10).
		res, err := Validate(ctx, ValidateOptions{Baseline: baseline, DatabaseURL: url,
			Output: filepath.Join(dir, "v.json"), Overwrite: true,
			Options: validate.Options{PeopleChecks: validate.PeopleReported}}, &out)
		if err != nil {
			t.Fatalf("validate: %v\n%s", err, out.String())
		}
		return res
	}

	self := validateDB(urlA)
	if !self.GO() || self.Passed != self.Total {
		t.Errorf("a pilot against its own report: %s, %d of %d passed, want GO with all passing:\n%s",
			self.Decision, self.Passed, self.Total, describe(self))
	}
	for _, c := range self.Checks {
		if c.Delta == nil || *c.Delta != 0 {
			t.Errorf("a pilot against its own report: check %s has Δ %v, want exactly 0", c.ID, c.Delta)
		}
	}

	other := validateDB(urlB)
	if !other.GO() {
		t.Errorf("another seed of the same spec: %s (%s), want GO:\n%s", other.Decision, other.Reason, describe(other))
	}

	bad := validateDB(urlWrong)
	want := []string{"diurnal_peak_trough", "heavy_rooms.top_2pct", "hourly_profile", "media_ratio", "messages_per_conversation.p99"}
	if got := failedIDs(bad); bad.GO() || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("wrong parameters: %s with failed %v, want NO-GO failing exactly %v:\n%s", bad.Decision, got, want, describe(bad))
	}
	if d := *bad.Check("media_ratio").Delta; d > -0.40 || d < -0.60 {
		t.Errorf("media ratio halved: Δ = %.3f, want about -0.5", d)
	}
}

// The baseline may be a generator report: validate reads its "shape" key.
func TestReadDataset(t *testing.T) {
	t.Parallel()
	d, err := shape.ReadFile("../testdata/shape-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	d.Write(&buf)
	path := filepath.Join(t.TempDir(), "report.json")
	writeFile(t, path, `{"band": "tiny", "tables": [], "shape": `+buf.String()+`}`)
	got, err := ReadDataset(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Messages.TotalCount != d.Messages.TotalCount {
		t.Errorf("report shape has %d messages, want %d", got.Messages.TotalCount, d.Messages.TotalCount)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
