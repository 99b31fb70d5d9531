package refschema

import (
	_ "embed"
	"fmt"
	"time"
)

// DemoData is sql/demo_data.sql: it defines pg_temp.pgshape_demo_fill, which fills the
// reference schema with a production-like dataset drawn from known parameters.
//
//go:embed demo_data.sql
var DemoData string

// DemoFillSQL returns the statements that fill the reference schema (in the current
// search_path) with about messages window messages in the 30 days before asOf. seed in
// [−1, 1] makes the data reproducible (setseed). Run it in one session, as one
// multi-statement Exec without arguments.
func DemoFillSQL(messages int64, asOf time.Time, seed float64) string {
	if messages < 1 || seed < -1 || seed > 1 {
		panic("refschema: DemoFillSQL: messages must be ≥ 1 and seed in [-1, 1]")
	}
	return DemoData + fmt.Sprintf("\nSELECT pg_temp.pgshape_demo_fill(%d, '%s', %g);\n",
		messages, asOf.UTC().Format(time.RFC3339), seed)
}
