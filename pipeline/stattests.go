package pipeline

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/pgshape/pgshape/option"
	"github.com/pgshape/pgshape/validate"
)

// StatTestsOptions configures StatTests.
type StatTestsOptions struct {
	// Report is the pilot dataset's generator report (or a shape document). Required.
	Report string
	// Shape is the production shape document. Required.
	Shape string
	// Options are the tolerances; the tests use DistanceTolerance and NEffCap.
	Options validate.Options
}

// WithDefaults returns a copy with the tolerances' defaults filled.
func (o StatTestsOptions) WithDefaults() StatTestsOptions {
	o.Options = o.Options.WithDefaults()
	return o
}

// Validate checks the options without reading a file; it changes nothing.
func (o StatTestsOptions) Validate() error {
	if o.Report == "" {
		return option.Errorf("Report", "error checking the arguments: no pilot report: pass {}, the pilot's report_<band>_<seed>.json")
	}
	if o.Shape == "" {
		return option.Errorf("Shape", "error checking the arguments: no production shape document: pass {}, the file `loader sample` wrote")
	}
	return option.Nest("Options", o.Options.Validate())
}

// StatTests runs the three distribution tests of the guide's Step 5 (KS on conversation
// sizes and on messages per conversation, chi-squared on content length) and the binned
// KS tests of the shape of people and of time (gaps, lifetimes, messages per sender,
// conversations per user; they count only when validate.Options.PeopleChecks gates
// them), prints them and their summary, and reports whether all passed. The gate is the effect size (KS
// D, total-variation distance); p-values are printed at n_eff = min(n·m/(n+m), cap)
// and at the full sizes, as information.
func StatTests(ctx context.Context, opts StatTestsOptions, out io.Writer) (pass bool, err error) {
	if err := opts.Validate(); err != nil {
		return false, err
	}
	opts = opts.WithDefaults()
	fmt.Fprintln(out, "[StatTests] Loading pilot dataset report...")
	pilot, err := ReadDataset(opts.Report)
	if err != nil {
		return false, err
	}
	fmt.Fprintln(out, "[StatTests] Loading production shape metrics...")
	prod, err := ReadBaseline(opts.Shape)
	if err != nil {
		return false, err
	}
	o := opts.Options
	checks := o.Tests(prod, pilot)
	titles := []string{"Running KS-test on conversation sizes...", "Running KS-test on messages per conversation...",
		"Running chi-squared on content length..."}
	gated := []bool{true, true, true}
	// The binned KS tests of the shape of people and of time: they decide only when
	// validate's PeopleChecks gate is on, and are printed either way.
	people := map[string]validate.Check{}
	for _, ch := range o.People(prod, pilot) {
		people[ch.ID] = ch
	}
	for _, x := range peopleTests {
		checks = append(checks, people[x.id])
		titles = append(titles, x.title)
		gated = append(gated, o.PeopleChecks == validate.PeopleGated)
	}
	for _, n := range validate.FamilyNotices(prod, pilot) {
		fmt.Fprintf(out, "[StatTests] ⚠ %s\n", n)
	}
	verdicts := make([]string, len(checks))
	pass = true
	for i, ch := range checks {
		fmt.Fprintf(out, "[StatTests] %s\n", titles[i])
		fail := func(v string) {
			if gated[i] {
				verdicts[i], pass = v, false
			} else {
				verdicts[i] = v + " (not gated)"
			}
		}
		t := ch.Test
		switch {
		case ch.Status == validate.Skipped || t == nil:
			fmt.Fprintf(out, "  – %s\n", ch.Note)
			verdicts[i] = "SKIPPED (" + ch.Note + ")"
			if ch.Status != validate.Skipped {
				fail("FAIL (" + ch.Note + ")")
			}
			continue
		case t.Method == "ks":
			fmt.Fprintf(out, "  KS statistic: %.4f, p-value: %s (at n_eff = %.0f; at the full n = %.0f, m = %.0f: %s)\n",
				t.Statistic, formatP(t.PValue), t.NEff, t.N, t.M, formatP(t.PValueFull))
		default:
			fmt.Fprintf(out, "  χ² statistic: %.2f, df: %g, p-value: %s (at n_eff = %.0f; at the full n = %.0f, m = %.0f: %s)\n",
				t.Statistic, t.DF, formatP(t.PValue), t.NEff, t.N, t.M, formatP(t.PValueFull))
			fmt.Fprintf(out, "  TV distance: %.4f, Jensen–Shannon distance: %.4f\n", t.TotalVariation, t.JensenShannon)
		}
		name := "D"
		if t.Method != "ks" {
			name = "TV"
		}
		switch {
		case ch.Status == validate.Fail, ch.Status == validate.Warning && *ch.Delta > ch.Tolerance:
			fmt.Fprintf(out, "  ✗ %s = %.4f > %.2f: the distributions differ\n", name, *ch.Delta, ch.Tolerance)
			fail("FAIL")
		case ch.Sampling != nil && ch.Sampling.Decided:
			fmt.Fprintf(out, "  ✓ %s = %.4f ≤ %.4f, its 1%% critical value at these sizes: the difference is within sampling error\n", name, *ch.Delta, ch.Sampling.Error)
			verdicts[i] = "PASS (within sampling error)"
		case ch.Status == validate.Warning:
			fmt.Fprintf(out, "  ⚠ %s = %.4f ≤ %.2f, near the limit: the distributions match within tolerance\n", name, *ch.Delta, ch.Tolerance)
			verdicts[i] = "PASS (near the limit)"
		default:
			fmt.Fprintf(out, "  ✓ %s = %.4f ≤ %.2f: the distributions match within tolerance\n", name, *ch.Delta, ch.Tolerance)
			verdicts[i] = "PASS"
		}
	}
	fmt.Fprintln(out, "\n=== STATISTICAL TEST SUMMARY ===")
	for i, ch := range checks {
		fmt.Fprintf(out, "%s: %s\n", ch.Label, verdicts[i])
	}
	fmt.Fprintf(out, "Decision rule: a test passes when its effect size is within tolerance (KS D ≤ %.2f, TV ≤ %.2f); "+
		"p-values at n_eff = min(n·m/(n+m), %.0f) are information: at full size every p-value rejects.\n",
		o.DistanceTolerance, o.DistanceTolerance, o.NEffCap)
	fmt.Fprintf(out, "The tests of people and of time also pass when D is within its 1%% critical value at their sizes (few senders or conversations), and decide only when gated (PeopleChecks = %q).\n",
		o.PeopleChecks)
	return pass, nil
}

// peopleTests are the binned KS tests of the shape of people and of time that
// StatTests prints after the guide's three.
var peopleTests = []struct{ id, title string }{
	{"gaps.ks", "Running KS-test on the gaps between messages of a conversation..."},
	{"lifetimes.ks", "Running KS-test on conversation lifetimes..."},
	{"senders.ks", "Running KS-test on messages per sender..."},
	{"memberships.ks", "Running KS-test on conversations per user..."},
}

func formatP(p float64) string {
	s := fmt.Sprintf("%.4f", p)
	if p != 0 && p < 1e-4 {
		s = fmt.Sprintf("%.1e", p)
	}
	return strings.Replace(s, "NaN", "n/a", 1)
}
