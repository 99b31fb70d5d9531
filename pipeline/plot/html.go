package plot

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/validate"
)

// PageFile is the name of the HTML page Write produces.
const PageFile = "index.html"

//go:embed page.html.tmpl
var pageSource string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"value": func(ch validate.Check, v *float64) string {
		if v == nil {
			return "–"
		}
		return ch.FormatValue(*v)
	},
	"delta": func(ch validate.Check) string {
		if ch.Kind == validate.Distance {
			if ch.Delta == nil {
				return "–"
			}
			return fmt.Sprintf("%.4f", *ch.Delta)
		}
		if ch.Kind == validate.Absolute && ch.Delta != nil {
			return fmt.Sprintf("%+.1f pts", *ch.Delta*100)
		}
		return ch.FormatDelta()
	},
	"tolerance": func(ch validate.Check) string {
		if ch.Kind == validate.Distance {
			return fmt.Sprintf("≤ %.2f", ch.Tolerance)
		}
		if ch.Kind == validate.Absolute {
			return fmt.Sprintf("±%g pts", ch.Tolerance*100)
		}
		return ch.FormatTolerance()
	},
	"p": func(v float64) string {
		switch {
		case math.IsNaN(v):
			return "–"
		case v != 0 && v < 1e-4:
			return fmt.Sprintf("%.1e", v)
		}
		return fmt.Sprintf("%.4f", v)
	},
	"mulPct": func(v float64) float64 { return v * 100 },
	"f4":     func(v float64) string { return fmt.Sprintf("%.4f", v) },
	"n":      func(v float64) string { return fmt.Sprintf("%.0f", v) },
}).Parse(pageSource))

// Write draws the pictures into dir and writes the HTML page (PageFile) that shows them
// with the check table and the decision. The page is self-contained (inline CSS) and
// refers to the PNGs by relative names, so the directory can be moved or archived as
// a whole. It returns the page's path.
func Write(dir string, baseline, candidate *shape.Document, res *validate.Result) (string, error) {
	pics, err := Pictures(dir, baseline, candidate)
	if err != nil {
		return "", err
	}
	var tests []validate.Check
	for _, ch := range res.Checks {
		if ch.Test != nil {
			tests = append(tests, ch)
		}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, struct {
		R        *validate.Result
		Tests    []validate.Check
		Pictures []Picture
	}{res, tests, pics}); err != nil {
		return "", fmt.Errorf("error rendering the validation page: %w", err)
	}
	path := filepath.Join(dir, PageFile)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("error writing the validation page %s: %w", path, err)
	}
	return path, nil
}
