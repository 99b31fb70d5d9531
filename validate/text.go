package validate

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// tags are the bracketed prefixes of the text report, by group.
var tags = map[string]string{
	"Conversation type mix":     "Distribution",
	"Media":                     "Distribution",
	"Messages per conversation": "Distribution",
	"Content length":            "Distribution",
	"Read receipts":             "Distribution",
	"Attachments":               "Distribution",
	"Timing":                    "Temporal",
	"Heavy rooms":               "Hot path",
	"Size × activity":           "Hot path",
	"Distribution tests":        "Tests",
	"Conversation sizes":        "Distribution",
	"Senders":                   "People",
	"Memberships":               "People",
	"Threads":                   "Temporal",
}

// WriteText prints the report in the guide's format: one block per group, then the
// summary and the decision.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString("[Validation] Comparing against production baseline...\n")
	fmt.Fprintf(&b, "[Validation] baseline: %d messages, %d conversations, %d-day window; candidate: %d messages, %d conversations, %d-day window\n",
		r.Baseline.Messages, r.Baseline.Conversations, r.Baseline.SampleWindowDays,
		r.Candidate.Messages, r.Candidate.Conversations, r.Candidate.SampleWindowDays)
	for _, n := range r.Notices {
		fmt.Fprintf(&b, "[Validation] ⚠ %s\n", n)
	}
	r.writeChecks(&b, r.Checks)
	if len(r.Informational) > 0 {
		fmt.Fprintf(&b, "[People] The shape of people and of time, reported and not gated (Options.PeopleChecks = %q; validate.DefaultPeopleChecks turns them on once the generator models senders, memberships and lifetimes):\n",
			r.Options.PeopleChecks)
		r.writeChecks(&b, r.Informational)
	}
	b.WriteString("\n=== VALIDATION SUMMARY ===\n")
	fmt.Fprintf(&b, "Total checks: %d\n", r.Total)
	fmt.Fprintf(&b, "Passed: %d\n", r.Passed)
	fmt.Fprintf(&b, "Warnings: %d%s\n", r.Warnings, r.list(Warning))
	fmt.Fprintf(&b, "Failed: %d%s\n", r.Failed, r.list(Fail))
	if r.Skipped > 0 {
		fmt.Fprintf(&b, "Skipped: %d%s\n", r.Skipped, r.list(Skipped))
	}
	if len(r.Informational) > 0 {
		var miss []string
		for _, ch := range r.Informational {
			if ch.Status == Fail || ch.Status == Warning {
				miss = append(miss, fmt.Sprintf("%s %s: %s", ch.Name, ch.Status, ch.Summary()))
			}
		}
		fmt.Fprintf(&b, "Not gated: %d", len(r.Informational))
		if len(miss) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(miss, "; "))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Decision: %s (%s)\n", r.Decision, r.Reason)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeChecks prints checks one line each, under a header per group.
func (r *Result) writeChecks(b *strings.Builder, checks []Check) {
	group := ""
	for _, ch := range checks {
		if ch.Group != group {
			group = ch.Group
			title := group
			if group == "Distribution tests" {
				title = fmt.Sprintf("Distribution tests (gate: KS D and TV distance ≤ %.2f; p-values at n_eff = min(n·m/(n+m), %g) are information)",
					r.Options.DistanceTolerance, r.Options.NEffCap)
			}
			fmt.Fprintf(b, "[%s] %s:\n", tags[group], title)
		}
		fmt.Fprintf(b, "  %s: %s\n", ch.Label, ch.describe())
	}
}

// WriteJSON writes the result as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *Result) list(s Status) string {
	var parts []string
	for _, ch := range r.Checks {
		if ch.Status == s {
			parts = append(parts, ch.Name+": "+ch.Summary())
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// Summary is the check's values in a few words: "13.2% vs 16.3%, Δ=-19%", or the
// distance, or why it was not compared.
func (ch Check) Summary() string {
	switch {
	case ch.Status == Skipped:
		return ch.Note
	case ch.Kind == Distance && ch.Delta != nil:
		return fmt.Sprintf("%s=%.4f, limit %.2f", ch.distanceName(), *ch.Delta, ch.Tolerance)
	case ch.Baseline != nil && ch.Candidate != nil:
		return fmt.Sprintf("%s vs %s, %s", ch.FormatValue(*ch.Candidate), ch.FormatValue(*ch.Baseline), ch.FormatDelta())
	}
	return ch.Note
}

func (ch Check) distanceName() string {
	if ch.Test != nil && ch.Test.Method == "ks" {
		return "D"
	}
	return "TV"
}

// describe is the rest of the check's report line, after its label, with how its
// tolerance was widened for differential-privacy noise.
func (ch Check) describe() string {
	if ch.Noise != nil {
		return ch.describeValue() + "; " + ch.Noise.Line()
	}
	return ch.describeValue()
}

// describeValue is the check's value, Δ and verdict.
func (ch Check) describeValue() string {
	mark := ch.mark()
	if ch.Status == Skipped || (ch.Delta == nil && ch.Kind == Distance) {
		return fmt.Sprintf("%s (%s)", mark, ch.Note)
	}
	if ch.Kind == Distance {
		cmp := "≤"
		if *ch.Delta > ch.Tolerance {
			cmp = ">"
		}
		s := fmt.Sprintf("%s=%.4f (%s %s %.2f)", ch.distanceName(), *ch.Delta, mark, cmp, ch.Tolerance)
		if ch.Sampling != nil && ch.Sampling.Decided {
			s = fmt.Sprintf("%s=%.4f (%s within its sampling error: ≤ D_crit(1%%; n=%.0f, m=%.0f) = %.4f; gate %.2f)", ch.distanceName(), *ch.Delta, mark, ch.Sampling.N, ch.Sampling.M, ch.Sampling.Error, ch.Tolerance)
		}
		if t := ch.Test; t != nil {
			if t.Method == "chi_squared" {
				s += fmt.Sprintf(", χ²=%.2f, df=%g, p=%s at n_eff=%.0f (full n: p=%s)",
					t.Statistic, t.DF, formatP(t.PValue), t.NEff, formatP(t.PValueFull))
			} else {
				s += fmt.Sprintf(", p=%s at n_eff=%.0f (full n: p=%s)", formatP(t.PValue), t.NEff, formatP(t.PValueFull))
			}
		}
		if ch.Status == Warning && ch.Note != "" {
			s += " — " + ch.Note
		}
		return s
	}
	if ch.Candidate == nil {
		return fmt.Sprintf("n/a (baseline: %s, %s %s)", ch.FormatValue(*ch.Baseline), mark, ch.Note)
	}
	var verdict string
	tol := ch.FormatTolerance()
	switch ch.Status {
	case Pass:
		verdict = "✓ within " + tol
		if ch.Sampling != nil && ch.Sampling.Decided {
			verdict = "✓ " + ch.Note
		}
	case Fail:
		verdict = "✗ outside " + tol
	case Warning:
		if ch.Delta != nil && math.Abs(*ch.Delta) <= ch.Tolerance {
			verdict = "⚠ within " + tol + " but near the limit"
		} else {
			verdict = "⚠ outside " + tol + " (non-critical)"
		}
	}
	return fmt.Sprintf("%s (baseline: %s, %s, %s)", ch.FormatValue(*ch.Candidate), ch.FormatValue(*ch.Baseline), ch.FormatDelta(), verdict)
}

func (ch Check) mark() string {
	switch ch.Status {
	case Pass:
		return "✓"
	case Warning:
		return "⚠"
	case Fail:
		return "✗"
	}
	return "–"
}

// FormatValue prints a value in the check's unit.
func (ch Check) FormatValue(v float64) string {
	switch ch.Unit {
	case UnitShare:
		return fmt.Sprintf("%.1f%%", v*100)
	case UnitCount:
		if v == math.Trunc(v) || math.Abs(v) >= 100 {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.1f", v)
	case UnitSeconds:
		return fmt.Sprintf("%.0fs", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// FormatDelta prints Δ: percentage points for Absolute (written "%" as in the guide,
// whose Δ=+1.6% is 69.8% − 68.2%), a signed percentage for Relative.
func (ch Check) FormatDelta() string {
	if ch.Delta == nil {
		if ch.Note != "" {
			return "Δ=∞ (" + ch.Note + ")"
		}
		return "Δ=n/a"
	}
	if ch.Unit == UnitCorrelation {
		return fmt.Sprintf("Δ=%+.2f", math.Round(*ch.Delta*100)/100+0) // +0: no "−0.00"
	}
	d := *ch.Delta * 100
	if math.Abs(d) < 10 && ch.Kind == Absolute || math.Abs(d) < 1 {
		return fmt.Sprintf("Δ=%+.1f%%", d)
	}
	return fmt.Sprintf("Δ=%+.0f%%", d)
}

// FormatTolerance prints the tolerance as "±20%".
func (ch Check) FormatTolerance() string {
	if ch.Unit == UnitCorrelation {
		return "±" + trimFloat(ch.Tolerance)
	}
	return "±" + trimFloat(ch.Tolerance*100) + "%"
}

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
}

// formatP prints a p-value with four decimals, or in exponent form when tiny.
func formatP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p != 0 && p < 1e-4:
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.4f", p)
}

// MarshalJSON writes a NaN or infinite number of the test (an empty side) as null.
func (t Test) MarshalJSON() ([]byte, error) {
	type plain Test
	f := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		plain
		Statistic      *float64 `json:"statistic"`
		PValueFull     *float64 `json:"p_value_full"`
		PValue         *float64 `json:"p_value"`
		TotalVariation *float64 `json:"total_variation"`
		JensenShannon  *float64 `json:"jensen_shannon"`
	}{plain(t), f(t.Statistic), f(t.PValueFull), f(t.PValue), f(t.TotalVariation), f(t.JensenShannon)})
}
