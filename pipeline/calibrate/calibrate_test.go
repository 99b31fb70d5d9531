package calibrate

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader/generate"
	"github.com/pgshape/pgshape/spec"
)

// A "production" generated from the default spec (known parameters) is the baseline;
// calibration starts another target from a deliberately wrong spec (media ratio halved,
// read rate 0.5, heavy-room multiplier 0.2, a flat day, content 40% shorter) and must
// converge to GO, recovering the known parameters within the validation tolerances.
func TestCalibrateRecoversKnownParameters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	truth := spec.Default()
	prodURL := testdb.New(t, testdb.Target)
	res, err := generate.Run(ctx, generate.Options{URL: prodURL, Band: "tiny", Seed: "production", Spec: truth,
		Messages: 50000, Workers: 2}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.Shape.Write(&buf); err != nil {
		t.Fatal(err)
	}
	baseline := filepath.Join(dir, "shape-metrics.json")
	if err := os.WriteFile(baseline, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	wrong := spec.Default()
	wrong.Messages.Content.MediaRatio /= 2
	wrong.ReadReceipts.ReadRate = 0.5
	wrong.Conversations.HeavyRooms.Multiplier = 0.2
	wrong.Messages.Content.TextLength.Mu += math.Log(0.6)
	for d := range wrong.Messages.InterArrival.WeekdayHourWeights {
		for h := range wrong.Messages.InterArrival.WeekdayHourWeights[d] {
			wrong.Messages.InterArrival.WeekdayHourWeights[d][h] = 1
		}
	}
	var out bytes.Buffer
	o, err := Run(ctx, Options{Baseline: baseline, DatabaseURL: testdb.New(t, testdb.Target), Start: wrong,
		Messages: 50000, Workers: 2, MaxRounds: 5, SpecOut: filepath.Join(dir, "calibrated.json")}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	if !o.Converged {
		t.Fatalf("not converged after %d rounds", len(o.Rounds))
	}
	if len(o.Rounds) < 2 || o.Rounds[0].Result.GO() {
		t.Errorf("the wrong spec converged in %d round(s): the first pilot should be NO-GO", len(o.Rounds))
	}
	got, err := spec.ReadFile(filepath.Join(dir, "calibrated.json"))
	if err != nil {
		t.Fatalf("the calibrated spec does not read back: %v", err)
	}
	rel := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got/want-1) > tol {
			t.Errorf("%s = %.4g, want %.4g within %.0f%%", name, got, want, tol*100)
		}
	}
	rel("media ratio", got.Messages.Content.MediaRatio, truth.Messages.Content.MediaRatio, 0.05)
	rel("read rate", got.ReadReceipts.ReadRate, truth.ReadReceipts.ReadRate, 0.10)
	rel("content length median exp(mu)", math.Exp(got.Messages.Content.TextLength.Mu), math.Exp(truth.Messages.Content.TextLength.Mu), 0.15)
	rel("heavy-room multiplier", got.Conversations.HeavyRooms.Multiplier, truth.Conversations.HeavyRooms.Multiplier, 0.15)
	// The day is no longer flat: the hourly profile of the weights (summed over the
	// week) has the default's peak/trough ratio (3 busiest over 3 quietest hours) within
	// 20%.
	rel("weights' diurnal peak/trough", peakTrough(got), peakTrough(truth), 0.20)
}

func peakTrough(s *spec.Spec) float64 {
	hours := make([]float64, 24)
	for _, row := range s.Messages.InterArrival.WeekdayHourWeights {
		for h, v := range row {
			hours[h] += v
		}
	}
	sort.Float64s(hours)
	return (hours[21] + hours[22] + hours[23]) / (hours[0] + hours[1] + hours[2])
}
