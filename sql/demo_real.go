package refschema

import (
	_ "embed"
	"fmt"
	"time"
)

// DemoRealData is sql/demo_real_data.sql: it defines pg_temp.pgshape_real_fill, which
// fills the reference schema with a year of team chat drawn from RealKnown: heavy
// senders, single-sender threads, lifetimes from minutes to weeks, bursty sessions and
// bimodal content lengths.
//
//go:embed demo_real_data.sql
var DemoRealData string

// DemoRealWindowDays is the export window that covers the real-looking fixture.
const DemoRealWindowDays = 365

// DemoRealFillSQL returns the statements that fill the reference schema (in the
// current search_path) with the real-looking fixture in the 365 days before asOf. seed
// in [−1, 1] makes it reproducible (setseed). Run it in one session, as one
// multi-statement Exec without arguments.
func DemoRealFillSQL(asOf time.Time, seed float64) string {
	if seed < -1 || seed > 1 {
		panic("refschema: DemoRealFillSQL: seed must be in [-1, 1]")
	}
	return DemoRealData + fmt.Sprintf("\nSELECT pg_temp.pgshape_real_fill('%s', %g);\n",
		asOf.UTC().Format(time.RFC3339), seed)
}

// LogNormalPart is one component of a log-normal mixture: weight, median exp(μ), σ.
type LogNormalPart struct {
	Weight, Median, Sigma float64
}

// RealParams are the known parameters of sql/demo_real_data.sql (its header says what
// each one does). The SQL is the definition; this struct mirrors it for the tests that
// recover the parameters from the fixture's shape export.
type RealParams struct {
	WindowDays    int
	Users         int // users 1…Users exist
	Senders       int // users 1…Senders may send, by propensity (ZipfShift + r)^(−ZipfExponent)
	ZipfShift     float64
	ZipfExponent  float64
	Conversations int
	InactiveShare float64 // conversations without a window message
	// Messages per active conversation: 1 with SingleMessageShare, else
	// 2 + floor(exp(N(CountMu, CountSigma²))), at most CountMax.
	SingleMessageShare float64
	CountMu            float64
	CountSigma         float64
	CountMax           int
	MonologueShare     float64 // threads with ≥ 2 messages written by their starter alone
	CopyProb           float64 // message j ≥ 3 by the starter or the replier
	// Lifetime of a thread with ≥ 2 messages: log-normal with this median and σ, ρ with
	// the count's normal, at most LifetimeMaxSeconds.
	LifetimeMedianSeconds float64
	LifetimeSigma         float64
	LifetimeRho           float64
	LifetimeMaxSeconds    float64
	BreakProb             float64 // a gap is a session break
	GapMedianSeconds      float64 // in-session gap: log-normal median and σ
	GapSigma              float64
	Lengths               [2]LogNormalPart // content length mixture, short then long
	LengthMax             int
	ReadProb              float64
}

// RealKnown is what sql/demo_real_data.sql draws from.
var RealKnown = RealParams{
	WindowDays:            DemoRealWindowDays,
	Users:                 3750,
	Senders:               3000,
	ZipfShift:             5,
	ZipfExponent:          1.5,
	Conversations:         8000,
	InactiveShare:         0.10,
	SingleMessageShare:    0.06,
	CountMu:               1.9,
	CountSigma:            1.5,
	CountMax:              10000,
	MonologueShare:        0.06,
	CopyProb:              0.6,
	LifetimeMedianSeconds: 43200,
	LifetimeSigma:         2.6,
	LifetimeRho:           0.5,
	LifetimeMaxSeconds:    360 * 86400,
	BreakProb:             0.25,
	GapMedianSeconds:      30,
	GapSigma:              1.0,
	Lengths:               [2]LogNormalPart{{0.55, 20, 0.6}, {0.45, 400, 0.7}},
	LengthMax:             5000,
	ReadProb:              0.7,
}
