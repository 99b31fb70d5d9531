package watch

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/validate"
)

// Verdicts of a drift report and of each family.
const (
	OK     = "OK"
	DRIFT  = "DRIFT"
	NoData = "NO DATA" // a family the stream has not shown enough of (under k) to judge
)

// FamilyResult is the verdict on one family: DRIFT when one of its checks is out of
// validate's tolerance, NO DATA when none could be judged.
type FamilyResult struct {
	Name   string           `json:"name"`
	Status string           `json:"status"`
	Moved  []string         `json:"moved,omitempty"` // the checks out of tolerance
	Checks []validate.Check `json:"checks"`
}

// DriftReport compares a watch snapshot with the baseline staging was generated from.
type DriftReport struct {
	Status   string         `json:"status"`
	Moved    []string       `json:"moved_families"`
	Families []FamilyResult `json:"families"`
}

// Drift compares snapshot with baseline through validate.Compare (its checks and
// tolerances) and keeps the checks of the families the watch covers.
func Drift(baseline, snapshot *shape.Document, opts validate.Options) DriftReport {
	res := validate.Compare(baseline, snapshot, opts)
	rep := DriftReport{Status: OK, Moved: []string{}}
	judged := 0
	for _, f := range Families {
		fr := FamilyResult{Name: f.Name, Status: NoData}
		for _, id := range f.Checks {
			ch := res.Check(id)
			if ch == nil {
				continue
			}
			fr.Checks = append(fr.Checks, *ch)
			switch {
			case outOfTolerance(*ch):
				fr.Status = DRIFT
				fr.Moved = append(fr.Moved, ch.ID)
			case ch.Status == validate.Pass || ch.Status == validate.Warning && ch.Delta != nil:
				if fr.Status == NoData {
					fr.Status = OK
				}
			}
		}
		if fr.Status == DRIFT {
			rep.Status = DRIFT
			rep.Moved = append(rep.Moved, f.Name)
		}
		if fr.Status != NoData {
			judged++
		}
		rep.Families = append(rep.Families, fr)
	}
	if judged == 0 {
		rep.Status = NoData
	}
	return rep
}

// outOfTolerance: a failed check, or a non-critical one whose |Δ| is over its
// tolerance (validate calls it a warning), or one whose Δ is infinite (a baseline of 0).
func outOfTolerance(ch validate.Check) bool {
	if ch.Status == validate.Fail {
		return true
	}
	if ch.Status != validate.Warning {
		return false
	}
	if ch.Delta != nil {
		return math.Abs(*ch.Delta) > ch.Tolerance
	}
	return ch.Note == "the baseline is 0"
}

// WriteText writes one line for the report and one per family, for ops scripts:
//
//	watch: DRIFT (room_sizes)
//	room_sizes DRIFT conversation_sizes.ks=0.31>0.10 type_mix.large_group=+0.22>0.10
func (r DriftReport) WriteText(w io.Writer) {
	if r.Status == DRIFT {
		fmt.Fprintf(w, "watch: %s (%s)\n", r.Status, strings.Join(r.Moved, ", "))
	} else {
		fmt.Fprintf(w, "watch: %s\n", r.Status)
	}
	for _, f := range r.Families {
		var parts []string
		for _, ch := range f.Checks {
			parts = append(parts, checkText(ch))
		}
		fmt.Fprintf(w, "%s %s %s\n", f.Name, f.Status, strings.Join(parts, " "))
	}
}

func checkText(ch validate.Check) string {
	if ch.Delta == nil {
		return ch.ID + "=n/a"
	}
	op := "<="
	if outOfTolerance(ch) {
		op = ">"
	}
	if ch.Kind == validate.Distance {
		return fmt.Sprintf("%s=%.3f%s%.2f", ch.ID, *ch.Delta, op, ch.Tolerance)
	}
	return fmt.Sprintf("%s=%+.3f%s%.2f", ch.ID, *ch.Delta, op, ch.Tolerance)
}
