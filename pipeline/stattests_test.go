package pipeline

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/validate"
)

// stat-tests prints the binned KS tests of people and of time after the guide's three.
// On the version-1 example the families of version 2 are named in a notice and their
// tests skipped. Moving the gaps of 0–5 s (2 311 393 + 2 221 238 + 2 134 537 + 2 047 233
// + 3 862 798 = 12 577 199 of 95 107 218) to the last bucket lowers the gaps' CDF at
// every inner edge by D = 0.132242: a failure when gated, printed but not deciding when
// reported.
func TestStatTestsPeople(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const example = "../testdata/shape-example.json"
	d, err := shape.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var moved int64
	h := d.Messages.InterArrivalHistogramSeconds
	for i := range h {
		if h[i].Lo < 6 {
			moved += h[i].Count
			h[i].Count = 0
		}
	}
	h[len(h)-1].Count += moved
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		t.Fatal(err)
	}
	pilot := filepath.Join(t.TempDir(), "pilot.json")
	writeFile(t, pilot, buf.String())

	for _, c := range []struct {
		gate    validate.PeopleGate
		pass    bool
		verdict string
	}{
		{validate.PeopleGated, false, "Gaps between messages of a conversation (KS): FAIL\n"},
		{validate.PeopleReported, true, "Gaps between messages of a conversation (KS): FAIL (not gated)\n"},
	} {
		var out bytes.Buffer
		pass, err := StatTests(ctx, StatTestsOptions{Report: pilot, Shape: example,
			Options: validate.Options{PeopleChecks: c.gate}}, &out)
		if err != nil {
			t.Fatal(err)
		}
		if pass != c.pass {
			t.Errorf("%s: pass %v, want %v:\n%s", c.gate, pass, c.pass, out.String())
		}
		for _, want := range []string{
			"[StatTests] ⚠ the baseline (shape_version 1) has no users.senders, users.memberships, conversations.threads: their checks are skipped\n",
			"[StatTests] Running KS-test on the gaps between messages of a conversation...\n",
			"  ✗ D = 0.1322 > 0.10: the distributions differ\n",
			"[StatTests] Running KS-test on conversation lifetimes...\n",
			"Conversation sizes (KS): PASS\n",
			"Lifetime, first to last message (KS): SKIPPED (the baseline and the candidate have no conversations.threads",
			c.verdict,
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: the output lacks %q:\n%s", c.gate, want, out.String())
			}
		}
	}
}
