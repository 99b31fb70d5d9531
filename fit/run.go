package fit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pgshape/pgshape/internal/outdir"
	"github.com/pgshape/pgshape/option"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
)

// Default output file names of `loader fit`, in the run's dated output folder.
const (
	DefaultReportPath = "calibration-report.json"
	DefaultSpecPath   = "distribution-spec.json"
)

// RunOptions configures Run (`loader fit`).
type RunOptions struct {
	// ShapePath is the shape document to fit. Required.
	ShapePath string
	// ReportPath is where the calibration report goes. Default: DefaultReportPath in
	// the dated folder outdir.Dated(now) (pgshape-out/<UTC date-time>/).
	ReportPath string
	// SpecPath is where the distribution spec goes. Default: DefaultSpecPath in the
	// same folder as the default report.
	SpecPath string
	// Overwrite allows replacing an existing report or spec. Default false: an
	// existing file is refused before the fit starts.
	Overwrite bool
	// Fit holds the estimator options; Fit.Source defaults to the shape file's name.
	Fit Options
}

// WithDefaults returns a copy with the defaults filled: the output paths, Fit.Source
// and Fit's own defaults.
func (o RunOptions) WithDefaults() RunOptions {
	dir := outdir.Dated(time.Now())
	if o.ReportPath == "" {
		o.ReportPath = filepath.Join(dir, DefaultReportPath)
	}
	if o.SpecPath == "" {
		o.SpecPath = filepath.Join(dir, DefaultSpecPath)
	}
	if o.Fit.Source == "" && o.ShapePath != "" {
		o.Fit.Source = filepath.Base(o.ShapePath)
	}
	o.Fit = o.Fit.WithDefaults()
	return o
}

// Validate checks the options without reading or writing a file; it changes nothing.
func (o RunOptions) Validate() error {
	if o.ShapePath == "" {
		return option.Errorf("ShapePath", "error checking the options: no shape document given: pass {}, the file written by `loader sample`")
	}
	return option.Nest("Fit", o.Fit.Validate())
}

// Run reads the shape document, fits it, writes the calibration report and the spec,
// and prints the guide's progress lines and CALIBRATION SUMMARY to out. Errors name
// the file and, for bad input, the JSON path.
func Run(ctx context.Context, opts RunOptions, out io.Writer) (*Report, *spec.Spec, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	opts = opts.WithDefaults()
	for _, path := range []string{opts.ReportPath, opts.SpecPath} {
		if err := outdir.Check(path, opts.Overwrite); err != nil {
			return nil, nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(out, "[Calibration] Loading shape metrics...")
	doc, err := readShape(opts.ShapePath)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(out, "[Calibration] Fitting distributions...")
	rep, sp, err := Fit(doc, opts.Fit)
	if err != nil {
		return nil, nil, fmt.Errorf("error fitting %s: %w", opts.ShapePath, err)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(out, "[Calibration] ⚠ %s\n", w)
	}
	if len(rep.Fallbacks) == 0 {
		fmt.Fprintln(out, "[Calibration] ✓ Fitted all distributions")
	} else {
		fmt.Fprintf(out, "[Calibration] ✓ Fitted the distributions; %s took the default spec's values\n", strings.Join(rep.Fallbacks, ", "))
	}
	fmt.Fprintln(out, "[Calibration] Writing calibration report...")
	if err := writeJSON(opts.ReportPath, rep, opts.Overwrite); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "[Calibration] ✓ Written to %s\n", opts.ReportPath)
	fmt.Fprintln(out, "[Calibration] Writing distribution spec...")
	if err := writeJSON(opts.SpecPath, sp, opts.Overwrite); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "[Calibration] ✓ Written to %s\n", opts.SpecPath)
	rep.WriteSummary(out)
	return rep, sp, nil
}

// readShape reads a shape document; shape.ReadFile's errors name the JSON path.
func readShape(path string) (*shape.Document, error) {
	doc, err := shape.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("error reading the shape document: %w", err)
	}
	return doc, nil
}

// writeJSON writes v as indented JSON with outdir.WriteFile: atomically, never over an
// existing file unless overwrite.
func writeJSON(path string, v any, overwrite bool) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("error encoding %s: %w", path, err)
	}
	return outdir.WriteFile(path, append(data, '\n'), 0o644, overwrite)
}

// WriteSummary prints the guide's CALIBRATION SUMMARY, with the lines pgshape adds.
func (r *Report) WriteSummary(w io.Writer) {
	fd := r.FittedDistributions
	cs, mc, cl, ia, rt, at := fd.ConversationSizes, fd.MessagesPerConversation, fd.ContentLength, fd.InterArrival, fd.ReadTiming, fd.Attachments
	pf := func(v *float64) string {
		if v == nil {
			return "null"
		}
		return strconv.FormatFloat(math.Round(*v*100)/100, 'f', -1, 64)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "=== CALIBRATION SUMMARY ===")
	fmt.Fprintf(w, "Conversation type mix: %.1f%% 1:1, %.1f%% small, %.1f%% large\n",
		cs.TypeMix.OneToOne*100, cs.TypeMix.SmallGroup*100, cs.TypeMix.LargeGroup*100)
	fmt.Fprintf(w, "Group sizes: small geometric p=%.3f (3–20), large power-law α=%.2f (x_min=%d, x_max=%d); %.1f%% inactive\n",
		cs.SmallGroupGeometricP, cs.LargeGroupPowerlawAlpha, cs.LargeGroupXMin, cs.LargeGroupXMax, cs.InactiveRatio*100)
	fmt.Fprintf(w, "Messages/conversation power-law: α=%.2f (p50=%s, p95=%s)\n", mc.Alpha, pf(mc.ObservedP50), pf(mc.ObservedP95))
	if len(mc.Models) > 0 {
		names := map[string]string{spec.DistPowerLaw: "power law", spec.DistDiscreteLogNormal: "discrete log-normal",
			spec.DistShiftedDiscreteLogNormal: "shifted discrete log-normal"}
		var bic []string
		for _, d := range []string{spec.DistPowerLaw, spec.DistDiscreteLogNormal, spec.DistShiftedDiscreteLogNormal} {
			if m := mc.Models[d]; m != nil {
				bic = append(bic, fmt.Sprintf("%s %.0f", names[d], m.BIC))
			}
		}
		fmt.Fprintf(w, "Messages/conversation model: %s won by BIC (%s)", names[mc.Distribution], strings.Join(bic, ", "))
		switch mc.Distribution {
		case spec.DistPowerLaw:
			fmt.Fprintf(w, ": α=%.2f", mc.Alpha)
		case spec.DistShiftedDiscreteLogNormal:
			fmt.Fprintf(w, ": μ=%.2f, σ=%.2f, shift=%.2f", mc.Mu, mc.Sigma, mc.Shift)
		default:
			fmt.Fprintf(w, ": μ=%.2f, σ=%.2f", mc.Mu, mc.Sigma)
		}
		if g := r.GoodnessOfFit[FamilyMessagesPerConversation]; g != nil {
			var parts []string
			for _, p := range g.Percentiles {
				parts = append(parts, fmt.Sprintf("p%g=%g", p.P*100, p.Model))
			}
			fmt.Fprintf(w, "; model %s", strings.Join(parts, ", "))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "Messages/conversation model: default spec's %s\n", mc.Distribution)
	}
	fmt.Fprintf(w, "Heavy rooms: top %g%% carry %.1f%% of messages (model alone %.1f%%), multiplier %.3f\n",
		mc.HeavyRooms.Percentage*100, mc.HeavyRooms.TrafficShare*100, mc.HeavyRooms.ModelShare*100, mc.HeavyRooms.Multiplier)
	if b := mc.HeavyRooms.SampledShare; b != nil {
		verdict := "outside it: the multiplier stands"
		if b.Contains(mc.HeavyRooms.TrafficShare) {
			verdict = "within it: sampling noise, multiplier 1"
		}
		fmt.Fprintf(w, "  the model's top %g%% share among %d conversations: %.1f%% (central 99%%: %.1f%%–%.1f%%, %d draws); the export's %.1f%% is %s (it alone would need %.3f)\n",
			mc.HeavyRooms.Percentage*100, b.N, b.Median*100, b.Low*100, b.High*100, b.Reps, mc.HeavyRooms.TrafficShare*100, verdict, mc.HeavyRooms.SolvedMultiplier)
	}
	fmt.Fprintf(w, "Size × activity: polychoric ρ=%.3f (Gaussian copula of member count and window activity)\n",
		r.FittedDistributions.ConversationSizes.SizeActivityCorrelation)
	mean, median := "null", "null"
	if cl.ObservedMean != nil {
		mean = fmt.Sprintf("%.0f", *cl.ObservedMean)
	}
	if cl.ObservedMedian != nil {
		median = fmt.Sprintf("%.0f", *cl.ObservedMedian)
	}
	if len(cl.Components) > 0 {
		parts := make([]string, len(cl.Components))
		for i, c := range cl.Components {
			parts[i] = fmt.Sprintf("%.0f%% μ=%.2f σ=%.2f", 100*c.Weight, c.Mu, c.Sigma)
		}
		fmt.Fprintf(w, "Content length log-normal mixture (%d components, by BIC): %s (mean=%s, median=%s)\n",
			len(cl.Components), strings.Join(parts, "; "), mean, median)
	} else {
		fmt.Fprintf(w, "Content length log-normal: μ=%.2f, σ=%.2f (mean=%s, median=%s)\n", cl.Mu, cl.Sigma, mean, median)
	}
	fmt.Fprintf(w, "Inter-arrival exponential: λ_peak=%.4f, λ_trough=%.4f\n", ia.MeanLambdaPeak, ia.MeanLambdaTrough)
	atBound := ""
	if ia.SpacingShapeAtBound {
		atBound = " at its bound"
	}
	renewal := "n/a"
	if ia.RenewalBurstCoefficient != nil {
		renewal = fmt.Sprintf("%.2f", *ia.RenewalBurstCoefficient)
	}
	inLaw := "exponential"
	if ia.InGapSigma > 0 {
		inLaw = fmt.Sprintf("log-normal σ_in=%.2f", ia.InGapSigma)
	}
	fmt.Fprintf(w, "Bursts: continue probability η=%.3f, in-burst gap %.1f s (%s); start model %s (window spacing κ=%.3g%s: gap CV %.2f; renewal log-normal μ=%.2f, σ=%.2f: gap CV %s); gap CV exported %.2f, mixture %.2f, generator chain %.2f\n",
		ia.ContinueProbability, ia.MeanGapSeconds, inLaw, ia.StartModel, ia.SpacingShape, atBound, ia.WindowSpacingBurstCoefficient,
		ia.BetweenBurstMu, ia.BetweenBurstSigma, renewal, ia.BurstCoefficient, ia.MixtureBurstCoefficient, ia.ChainBurstCoefficient)
	writeStartModels(w, ia)
	fmt.Fprintf(w, "Read timing: %.1f%% immediate (exponential mean %.1f s), %.1f%% near-term (mean %.0f s), %.1f%% delayed (log-normal μ=%.2f, σ=%.2f); read rate %.1f%%, extra-reader p=%.3f\n",
		rt.ImmediateShare*100, rt.ImmediateMeanSeconds, rt.NearTermShare*100, rt.NearTermExponentialMean,
		rt.DelayedShare*100, rt.DelayedLognormalMu, rt.DelayedLognormalSigma, rt.ReadRate*100, rt.ExtraReaderProbability)
	if len(rt.ByMemberCount) > 0 {
		cells := make([]string, 0, len(rt.ByMemberCount))
		for _, b := range rt.ByMemberCount {
			rate, per := "–", "–"
			if b.ReadRate != nil {
				rate = fmt.Sprintf("%.0f%%", *b.ReadRate*100)
			}
			if b.ReceiptsPerReadMessage != nil {
				per = fmt.Sprintf("%.2f", *b.ReceiptsPerReadMessage)
			}
			cells = append(cells, fmt.Sprintf("%d+: %s read, %s receipts/read", b.MinMembers, rate, per))
		}
		fmt.Fprintf(w, "Readers by member count: %s\n", strings.Join(cells, "; "))
	}
	types := make([]string, 0, len(at.TypeDistribution))
	for t := range at.TypeDistribution {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool { return at.TypeDistribution[types[i]] > at.TypeDistribution[types[j]] })
	var mix []string
	for _, t := range types {
		if at.TypeDistribution[t] > 0 {
			mix = append(mix, fmt.Sprintf("%s %.0f%%", t, at.TypeDistribution[t]*100))
		}
	}
	fmt.Fprintf(w, "Media: %.1f%% of messages; %s; size log-normal μ=%.2f, σ=%.2f; %.2f per media message\n",
		at.MediaRatio*100, strings.Join(mix, ", "), at.SizeMu, at.SizeSigma, at.PerMediaMessage)
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "Warnings: %d (listed above and in the report)\n", len(r.Warnings))
	}
}

// now is time.Now in UTC, truncated to the second for the report.
func now() time.Time { return time.Now().UTC().Truncate(time.Second) }
