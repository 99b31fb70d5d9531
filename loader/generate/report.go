package generate

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pgshape/pgshape/internal/outdir"
	"github.com/pgshape/pgshape/shape"
)

// report is report_<band>_<seed>.json: the run, per-table counts and timings, the
// shape document of what landed and the guide's `distributions` object.
type report struct {
	*Result
	Distributions *distributions `json:"distributions,omitempty"`
}

// distributions keeps the guide's plotting snippet working
// (pilot['distributions']['conversation_size_histogram']); both are copies from the
// shape document.
type distributions struct {
	ConversationSizeHistogram shape.Histogram `json:"conversation_size_histogram"`
	ContentLengthHistogram    shape.Histogram `json:"content_length_histogram"`
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// ReportName is the report's file name for band and seed (characters outside
// [A-Za-z0-9._-] become "_").
func ReportName(band, seed string) string {
	return fmt.Sprintf("report_%s_%s.json", unsafeName.ReplaceAllString(band, "_"), unsafeName.ReplaceAllString(seed, "_"))
}

// reportPath is where a run's report goes in dir: ReportName, with the shard in the
// name when the run loads one (shards of one run into one folder then keep apart).
func reportPath(dir string, opts Options) string {
	name := ReportName(opts.Band, opts.Seed)
	if opts.Shard.sharded() {
		name = strings.TrimSuffix(name, ".json") + fmt.Sprintf("_shard_%d_of_%d.json", opts.Shard.Index, opts.Shard.Count)
	}
	return filepath.Join(dir, name)
}

// writeReport writes the report to path with outdir.WriteFile: atomically, never over
// an existing file unless overwrite.
func writeReport(path string, res *Result, overwrite bool) error {
	rep := report{Result: res}
	if res.Shape != nil {
		rep.Distributions = &distributions{
			ConversationSizeHistogram: res.Shape.Conversations.MemberCountHistogram,
			ContentLengthHistogram:    res.Shape.Messages.ContentLengthHistogram,
		}
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("error encoding the report: %w", err)
	}
	return outdir.WriteFile(path, append(data, '\n'), 0o644, overwrite)
}

// summarize writes the end-of-run summary.
func summarize(out io.Writer, res *Result) {
	for _, t := range res.Tables {
		rate := 0.0
		if t.Seconds > 0 {
			rate = float64(t.Rows) / t.Seconds
		}
		fmt.Fprintf(out, "[Generate]   %-21s %12d rows  %8.1f MB  %7.1fs  %s rows/s\n",
			t.Name, t.Rows, float64(t.Bytes)/1e6, t.Seconds, count(int64(rate)))
	}
	fmt.Fprintf(out, "[Generate] ✓ loaded in %.1fs (plan %.1fs, copy %.1fs, keys %.1fs, swap %.1fs)\n",
		res.TotalSeconds, res.Phases["plan"], res.Phases["copy"], res.Phases["post_load"], res.Phases["swap"])
	if t, ok := res.Phases["shape_export"]; ok {
		if res.Shape == nil {
			fmt.Fprintln(out, "[Generate] shape of the target not exported: its shape layer has no shape.export yet (run `loader migrate`)")
		} else {
			fmt.Fprintf(out, "[Generate] shape of the target exported in %.1fs\n", t)
		}
	}
}
