package plot

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/validate"
)

// Picture is one PNG written by Write.
type Picture struct {
	// File is the PNG's name inside the output directory.
	File    string
	Title   string
	Caption string
}

// The two sides' colours (colour-blind safe: blue and orange) and dash styles, so the
// pictures also read in grey.
var (
	baselineColor  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	candidateColor = color.RGBA{R: 0xe6, G: 0x6c, B: 0x00, A: 0xff}
	candidateDash  = []vg.Length{vg.Points(6), vg.Points(3)}
)

// family is one histogram family of the shape document.
type family struct {
	id, title, x string
	log          bool
	get          func(*shape.Document) shape.Histogram
}

var families = []family{
	{"member_count", "Conversation size", "members", true,
		func(d *shape.Document) shape.Histogram { return d.Conversations.MemberCountHistogram }},
	{"activity", "Messages per active conversation", "messages in the window", true,
		func(d *shape.Document) shape.Histogram { return d.Conversations.ActivityHistogram }},
	{"content_length", "Content length", "characters", true,
		func(d *shape.Document) shape.Histogram { return d.Messages.ContentLengthHistogram }},
	{"inter_arrival", "Gap between consecutive messages of a conversation", "seconds", true,
		func(d *shape.Document) shape.Histogram { return d.Messages.InterArrivalHistogramSeconds }},
	{"read_delay", "Read delay", "minutes", true,
		func(d *shape.Document) shape.Histogram { return d.ReadReceipts.DelayHistogramMinutes }},
	{"attachment_size", "Attachment size", "bytes", true,
		func(d *shape.Document) shape.Histogram { return d.Attachments.SizeHistogramBytes }},
	{"account_age", "Account age", "days", true,
		func(d *shape.Document) shape.Histogram { return d.Users.AccountAgeDaysHistogram }},
	{"username_length", "Username length", "characters", false,
		func(d *shape.Document) shape.Histogram { return d.Users.UsernameLengthHistogram }},
}

// Pictures draws every picture into dir (created if needed) and returns them in page
// order: one histogram-and-CDF picture per histogram family both sides publish, the
// hourly profile, the two 7×24 heat maps, the two size × activity tables and the
// readers by room size.
func Pictures(dir string, baseline, candidate *shape.Document) ([]Picture, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("error creating the plots directory %s: %w", dir, err)
	}
	var out []Picture
	for _, f := range families {
		b, c := f.get(baseline), f.get(candidate)
		if b.Total() == 0 || c.Total() == 0 {
			continue
		}
		pic := Picture{File: "hist_" + f.id + ".png", Title: f.title,
			Caption: "Left: share of rows per " + map[bool]string{true: "decade", false: "unit"}[f.log] +
				" on the buckets both sides publish (k-anonymity merges re-binned onto common edges). Right: cumulative share at those edges; the KS distance D is the largest vertical gap."}
		if f.log && len(b) > 0 && (b[0].Lo <= 0 || c[0].Lo <= 0) {
			pic.Caption += " The bucket starting at 0 is drawn from half its upper edge (a log axis has no 0)."
		}
		if err := save(filepath.Join(dir, pic.File), 10*vg.Inch, 3.6*vg.Inch, histogramAndCDF(f, b, c)); err != nil {
			return nil, err
		}
		out = append(out, pic)
	}
	if hb, hc := baseline.Messages.HourlyDistribution, candidate.Messages.HourlyDistribution; len(hb) == 24 && len(hc) == 24 {
		pic := Picture{File: "hourly.png", Title: "Hourly profile (UTC)",
			Caption: "Share of the window's messages by hour of day; hours under k are drawn as 0."}
		if err := save(filepath.Join(dir, pic.File), 8*vg.Inch, 3.6*vg.Inch, hourly(hb, hc)); err != nil {
			return nil, err
		}
		out = append(out, pic)
	}
	if len(baseline.Messages.WeekdayHourDistribution) == 7 && len(candidate.Messages.WeekdayHourDistribution) == 7 {
		pic := Picture{File: "weekday_hour.png", Title: "Weekday × hour (UTC)",
			Caption: "Share of the window's messages per weekday and hour, on one colour scale for both sides; grey cells are under k (suppressed)."}
		if err := save(filepath.Join(dir, pic.File), 12*vg.Inch, 4.2*vg.Inch,
			heatMaps(baseline.Messages.WeekdayHourDistribution, candidate.Messages.WeekdayHourDistribution)); err != nil {
			return nil, err
		}
		out = append(out, pic)
	}
	tb, errB := baseline.Conversations.SizeActivityTable()
	tc, errC := candidate.Conversations.SizeActivityTable()
	if errB == nil && errC == nil && len(baseline.Conversations.SizeActivityHistogram) > 0 && len(candidate.Conversations.SizeActivityHistogram) > 0 {
		pic := Picture{File: "size_activity.png", Title: "Size × activity",
			Caption: "Conversations by member count (rows) and messages in the window (columns, 0 = inactive), as log10 of each cell's share of all published conversations: do big rooms talk more? A tilt up and to the right is a positive correlation. One colour scale for both sides; grey cells are empty or under k (suppressed). The check compares the tables' polychoric correlations."}
		if err := save(filepath.Join(dir, pic.File), 12*vg.Inch, 4.6*vg.Inch, sizeActivityMaps(tb, tc)); err != nil {
			return nil, err
		}
		out = append(out, pic)
	}
	rb, errB := baseline.ReadReceipts.ReaderTable()
	rc, errC := candidate.ReadReceipts.ReaderTable()
	if errB == nil && errC == nil && rb != nil && rc != nil {
		pic := Picture{File: "readers.png", Title: "Readers by room size",
			Caption: "Left: share of the window's messages read, by the member count of their conversation. Right: receipts per read message, the same way: do big rooms fan out to more readers? Buckets under k on a side are left out of its line."}
		if err := save(filepath.Join(dir, pic.File), 10*vg.Inch, 3.6*vg.Inch, readers(rb, rc)); err != nil {
			return nil, err
		}
		out = append(out, pic)
	}
	return out, nil
}

// readers draws the read rate and the receipts per read message of each member-count
// bucket, baseline against synthetic, one panel each; a bucket a side does not
// publish (NaN) is left out of that side's line.
func readers(b, c []shape.ReaderRow) func(draw.Canvas) {
	return func(dc draw.Canvas) {
		pts := func(rows []shape.ReaderRow, v func(shape.ReaderRow) float64) plotter.XYs {
			var out plotter.XYs
			for i, r := range rows {
				if y := v(r); !math.IsNaN(y) && !math.IsInf(y, 0) {
					out = append(out, plotter.XY{X: float64(i), Y: y})
				}
			}
			return out
		}
		panel := func(title, y string, v func(shape.ReaderRow) float64) *gplot.Plot {
			p := newPlot(title, "members", y, false)
			p.NominalX(bucketLabels(shape.JointMemberBuckets)...)
			addPoints(p, pts(b, v), pts(c, v))
			return p
		}
		left := panel("Read rate", "share of messages read", func(r shape.ReaderRow) float64 { return r.ReadRate })
		left.Y.Min, left.Y.Max = 0, 1
		left.Legend.Top, left.Legend.Left = false, true
		right := panel("Receipts per read message", "receipts", func(r shape.ReaderRow) float64 { return r.ReceiptsPerReadMessage })
		right.Y.Min = 0
		right.Legend.Left = true
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 6, PadTop: vg.Millimeter * 2,
			PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
		cs := gplot.Align([][]*gplot.Plot{{left, right}}, tiles, dc)
		left.Draw(cs[0][0])
		right.Draw(cs[0][1])
	}
}

// save renders draw onto a PNG canvas of the given size and writes it.
func save(path string, w, h vg.Length, drawFn func(draw.Canvas)) error {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))
	drawFn(draw.New(img))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("error writing plot %s: %w", path, err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("error writing plot %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("error writing plot %s: %w", path, err)
	}
	return nil
}

// displayBounds returns each common bucket's drawn interval: the first bucket starting
// at 0 on a log axis starts at half its upper edge; the open last bucket is as wide as
// the one before it (in log or linear terms).
func displayBounds(edges []float64, log bool) (lo, hi []float64) {
	n := len(edges)
	lo, hi = make([]float64, n), make([]float64, n)
	copy(lo, edges)
	for i := 0; i+1 < n; i++ {
		hi[i] = edges[i+1]
	}
	switch {
	case n == 1 && log:
		hi[0] = math.Max(lo[0], 1) * 10
	case n == 1:
		hi[0] = lo[0] + 1
	case log && lo[n-1] > 0 && lo[n-2] > 0:
		hi[n-1] = lo[n-1] * lo[n-1] / lo[n-2]
	case log:
		hi[n-1] = lo[n-1] * 10
	default:
		hi[n-1] = lo[n-1] + (lo[n-1] - lo[n-2])
	}
	if log && lo[0] <= 0 {
		lo[0] = hi[0] / 2
	}
	return lo, hi
}

func histogramAndCDF(f family, b, c shape.Histogram) func(draw.Canvas) {
	return func(dc draw.Canvas) {
		g := validate.CommonGrid(b, c)
		lo, hi := displayBounds(g.Edges, f.log)
		sb, sc := g.Shares()
		fb, fc := g.CDFs()
		width := func(i int) float64 {
			if f.log {
				return math.Log10(hi[i] / lo[i])
			}
			return hi[i] - lo[i]
		}
		density := func(s []float64) plotter.XYs {
			var pts plotter.XYs
			for i := range s {
				d := s[i] / width(i)
				pts = append(pts, plotter.XY{X: lo[i], Y: d}, plotter.XY{X: hi[i], Y: d})
			}
			return pts
		}
		ogive := func(F []float64) plotter.XYs {
			pts := plotter.XYs{{X: lo[0], Y: 0}}
			for i := range F {
				pts = append(pts, plotter.XY{X: hi[i], Y: F[i]})
			}
			return pts
		}
		unit := map[bool]string{true: "share per decade", false: "share per unit"}[f.log]
		left := newPlot(f.title, f.x, unit, f.log)
		addLines(left, density(sb), density(sc))
		right := newPlot(f.title+" (CDF)", f.x, "cumulative share", f.log)
		right.Y.Min, right.Y.Max = 0, 1
		addLines(right, ogive(fb), ogive(fc))
		right.Legend.Top, right.Legend.Left = false, false
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 6, PadTop: vg.Millimeter * 2,
			PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
		cs := gplot.Align([][]*gplot.Plot{{left, right}}, tiles, dc)
		left.Draw(cs[0][0])
		right.Draw(cs[0][1])
	}
}

func newPlot(title, x, y string, log bool) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	if log {
		p.X.Scale = gplot.LogScale{}
		p.X.Tick.Marker = gplot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	return p
}

// addLines draws the baseline solid blue and the candidate dashed orange.
func addLines(p *gplot.Plot, b, c plotter.XYs) { addSides(p, b, c, false) }

// addPoints is addLines with a marker on every point (a side may have one point
// only); a side without points is left out.
func addPoints(p *gplot.Plot, b, c plotter.XYs) { addSides(p, b, c, true) }

func addSides(p *gplot.Plot, b, c plotter.XYs, points bool) {
	for i, side := range []plotter.XYs{b, c} {
		if points && len(side) == 0 {
			continue
		}
		var l *plotter.Line
		var s *plotter.Scatter
		var err error
		if points {
			l, s, err = plotter.NewLinePoints(side)
		} else {
			l, err = plotter.NewLine(side)
		}
		if err != nil {
			panic("plot: " + err.Error()) // the points are finite by construction
		}
		col, name := baselineColor, "production baseline"
		if i == 1 {
			col, name = candidateColor, "synthetic"
			l.Dashes = candidateDash
		}
		l.Color, l.Width = col, vg.Points(1.8)
		if s == nil {
			p.Add(l)
			p.Legend.Add(name, l)
			continue
		}
		s.Color, s.Shape = col, draw.CircleGlyph{}
		p.Add(l, s)
		p.Legend.Add(name, l, s)
	}
}

func hourly(b, c []*int64) func(draw.Canvas) {
	return func(dc draw.Canvas) {
		pts := func(h []*int64) plotter.XYs {
			var total float64
			for _, v := range h {
				if v != nil {
					total += float64(*v)
				}
			}
			out := make(plotter.XYs, 24)
			for i, v := range h {
				out[i].X = float64(i)
				if v != nil && total > 0 {
					out[i].Y = float64(*v) / total
				}
			}
			return out
		}
		p := newPlot("Hourly profile", "hour of day (UTC)", "share of messages", false)
		p.Y.Min = 0
		p.X.Min, p.X.Max = 0, 23
		p.X.Tick.Marker = gplot.ConstantTicks(hourTicks())
		addLines(p, pts(b), pts(c))
		p.Draw(draw.Crop(dc, vg.Millimeter*2, -vg.Millimeter*4, vg.Millimeter*2, -vg.Millimeter*2))
	}
}

func hourTicks() []gplot.Tick {
	var t []gplot.Tick
	for h := 0; h < 24; h++ {
		label := ""
		if h%3 == 0 {
			label = fmt.Sprint(h)
		}
		t = append(t, gplot.Tick{Value: float64(h), Label: label})
	}
	return t
}

// weekGrid is a 7×24 share grid for plotter.HeatMap: columns are hours, rows
// weekdays with Monday on top; a suppressed cell is NaN.
type weekGrid [7][24]float64

func (g *weekGrid) Dims() (c, r int)   { return 24, 7 }
func (g *weekGrid) Z(c, r int) float64 { return g[6-r][c] }
func (g *weekGrid) X(c int) float64    { return float64(c) }
func (g *weekGrid) Y(r int) float64    { return float64(r) }

func toWeekGrid(m [][]*int64) *weekGrid {
	var g weekGrid
	var total float64
	for _, row := range m {
		for _, v := range row {
			if v != nil {
				total += float64(*v)
			}
		}
	}
	for d, row := range m {
		for h, v := range row {
			switch {
			case v == nil:
				g[d][h] = math.NaN()
			case total > 0:
				g[d][h] = float64(*v) / total
			}
		}
	}
	return &g
}

func heatMaps(b, c [][]*int64) func(draw.Canvas) {
	return pairedHeatMaps(toWeekGrid(b), toWeekGrid(c), "share of the week's messages per cell",
		func(p *gplot.Plot) {
			p.NominalY("Sun", "Sat", "Fri", "Thu", "Wed", "Tue", "Mon")
			p.X.Label.Text = "hour of day (UTC)"
			p.X.Tick.Marker = gplot.ConstantTicks(hourTicks())
		})
}

// jointGrid is the size × activity table for plotter.HeatMap as log10 of each cell's
// share of all the table's published conversations (shares span four decades, and a
// share within a row would mislead where the row's other cells are suppressed):
// columns are activity buckets, rows member-count buckets with the largest rooms on
// top; a suppressed or empty cell is NaN.
type jointGrid [][]float64

func (g jointGrid) Dims() (c, r int)   { return len(g[0]), len(g) }
func (g jointGrid) Z(c, r int) float64 { return g[r][c] }
func (g jointGrid) X(c int) float64    { return float64(c) }
func (g jointGrid) Y(r int) float64    { return float64(r) }

func toJointGrid(t [][]float64) jointGrid {
	var total float64
	for _, row := range t {
		for _, v := range row {
			if !math.IsNaN(v) {
				total += v
			}
		}
	}
	g := make(jointGrid, len(t))
	for i, row := range t {
		g[i] = make([]float64, len(row))
		for j, v := range row {
			if math.IsNaN(v) || v == 0 || total == 0 {
				g[i][j] = math.NaN()
			} else {
				g[i][j] = math.Log10(v / total)
			}
		}
	}
	return g
}

// bucketLabels names integer buckets by their lower bounds: "2", "3–5", …, "101+".
func bucketLabels(lower []float64) []string {
	out := make([]string, len(lower))
	for i, lo := range lower {
		switch {
		case i == len(lower)-1:
			out[i] = shape.FormatKey(lo) + "+"
		case lower[i+1]-lo == 1:
			out[i] = shape.FormatKey(lo)
		default:
			out[i] = shape.FormatKey(lo) + "–" + shape.FormatKey(lower[i+1]-1)
		}
	}
	return out
}

func sizeActivityMaps(b, c [][]float64) func(draw.Canvas) {
	return pairedHeatMaps(toJointGrid(b), toJointGrid(c), "log10 share of all conversations",
		func(p *gplot.Plot) {
			p.NominalY(bucketLabels(shape.JointMemberBuckets)...)
			p.Y.Label.Text = "members"
			p.NominalX(bucketLabels(shape.JointActivityBuckets)...)
			p.X.Label.Text = "messages in the window"
		})
}

// pairedHeatMaps draws the baseline's and the synthetic side's grids side by side on
// one colour scale, with a colour bar below; style sets the axes of both.
func pairedHeatMaps(gb, gc plotter.GridXYZ, barLabel string, style func(*gplot.Plot)) func(draw.Canvas) {
	return func(dc draw.Canvas) {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, g := range []plotter.GridXYZ{gb, gc} {
			cols, rows := g.Dims()
			for r := range rows {
				for c := range cols {
					if v := g.Z(c, r); !math.IsNaN(v) {
						lo, hi = math.Min(lo, v), math.Max(hi, v)
					}
				}
			}
		}
		if !(hi > lo) {
			lo, hi = 0, math.Max(hi, 1e-9)
		}
		cmap := moreland.ExtendedBlackBody()
		cmap.SetMin(lo)
		cmap.SetMax(hi)
		pal := cmap.Palette(255)
		mk := func(title string, g plotter.GridXYZ) *gplot.Plot {
			p := gplot.New()
			p.Title.Text = title
			h := plotter.NewHeatMap(g, pal)
			h.Min, h.Max = lo, hi
			h.NaN = color.Gray{Y: 0xc8}
			p.Add(h)
			style(p)
			return p
		}
		pb, pc := mk("Production baseline", gb), mk("Synthetic", gc)
		// The maps share the upper 80% of the picture; the colour bar the rest.
		top := draw.Crop(dc, 0, 0, (dc.Max.Y-dc.Min.Y)*0.2, 0)
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 8, PadTop: vg.Millimeter * 2,
			PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
		cs := gplot.Align([][]*gplot.Plot{{pb, pc}}, tiles, top)
		pb.Draw(cs[0][0])
		pc.Draw(cs[0][1])

		bar := gplot.New()
		bar.HideY()
		bar.X.Label.Text = barLabel
		bar.Add(&plotter.ColorBar{ColorMap: cmap})
		bottom := draw.Crop(dc, (dc.Max.X-dc.Min.X)*0.25, -(dc.Max.X-dc.Min.X)*0.25, vg.Millimeter*2, -(dc.Max.Y-dc.Min.Y)*0.8)
		bar.Draw(bottom)
	}
}
