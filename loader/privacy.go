package loader

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Budget is the database's differential-privacy budget (the view
// shape.v1_privacy_budget): what shape.policy allows, what the releases have spent.
type Budget struct {
	Mode          string
	BudgetEpsilon float64
	BudgetDelta   float64
	BudgetRho     float64
	SpentRho      float64
	SpentEpsilon  float64
	RemainingRho  float64
	Releases      int64
}

// Release is one row of the ledger shape.dp_ledger, without its document.
type Release struct {
	ID         int64
	ReleasedAt time.Time
	ReleasedBy string
	WindowDays int
	AsOf       string
	Epsilon    float64
	Delta      float64
	Rho        float64
	// Caps are the contribution bounds the release applied (docs/privacy.md):
	// conversations_per_user, messages_per_user, delay_receipts_per_conversation,
	// attachments_per_message, messages_per_conversation, receipts_per_conversation.
	Caps map[string]int64
	// Weights is the policy's split of ρ over the vectors when the release was made
	// (shape.policy.dp_weights): a vector it does not name weighs 1; empty is the even
	// split.
	Weights map[string]float64
}

// ReadBudget reads the budget and the ledger's releases, oldest first. shape_reader
// may read both.
func ReadBudget(ctx context.Context, q interface {
	Querier
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}) (Budget, []Release, error) {
	var b Budget
	err := q.QueryRow(ctx, `SELECT mode, budget_epsilon, budget_delta, budget_rho, spent_rho, spent_epsilon,
		remaining_rho, releases FROM shape.v1_privacy_budget`).
		Scan(&b.Mode, &b.BudgetEpsilon, &b.BudgetDelta, &b.BudgetRho, &b.SpentRho, &b.SpentEpsilon, &b.RemainingRho, &b.Releases)
	if err != nil {
		return Budget{}, nil, explainShapeError("reading shape.v1_privacy_budget", err)
	}
	rows, err := q.Query(ctx, `SELECT release_id, released_at, released_by::text, (request ->> 'window_days')::int,
		request ->> 'as_of', epsilon, delta, rho, coalesce(request -> 'caps', '{}')::text,
		coalesce(request -> 'weights', '{}')::text FROM shape.dp_ledger ORDER BY release_id`)
	if err != nil {
		return Budget{}, nil, explainShapeError("reading shape.dp_ledger", err)
	}
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Release, error) {
		var x Release
		var caps, weights string
		if err := r.Scan(&x.ID, &x.ReleasedAt, &x.ReleasedBy, &x.WindowDays, &x.AsOf, &x.Epsilon, &x.Delta, &x.Rho, &caps, &weights); err != nil {
			return x, err
		}
		if err := json.Unmarshal([]byte(caps), &x.Caps); err != nil {
			return x, fmt.Errorf("release %d: its caps are not a JSON object of integers: %w", x.ID, err)
		}
		if err := json.Unmarshal([]byte(weights), &x.Weights); err != nil {
			return x, fmt.Errorf("release %d: its weights are not a JSON object of numbers: %w", x.ID, err)
		}
		return x, nil
	})
	if err != nil {
		return Budget{}, nil, fmt.Errorf("error reading shape.dp_ledger: %w", err)
	}
	return b, rs, nil
}

// PrivacyBudgetOptions is `loader privacy-budget`.
type PrivacyBudgetOptions struct {
	// DatabaseURL is the production replica. Default: ResolveURL("").
	DatabaseURL string
}

// PrivacyBudget prints the database's differential-privacy budget and its ledger.
func PrivacyBudget(ctx context.Context, opts PrivacyBudgetOptions, out io.Writer) error {
	pool, err := Connect(ctx, ResolveURL(opts.DatabaseURL))
	if err != nil {
		return err
	}
	defer pool.Close()
	b, rs, err := ReadBudget(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "[Privacy] policy mode %s; budget ε = %g at δ = %g (zCDP ρ = %.6g)\n", b.Mode, b.BudgetEpsilon, b.BudgetDelta, b.BudgetRho)
	fmt.Fprintf(out, "[Privacy] spent ρ = %.6g (ε = %.4g at δ = %g) in %d release(s); remaining ρ = %.6g\n",
		b.SpentRho, b.SpentEpsilon, b.BudgetDelta, b.Releases, b.RemainingRho)
	for _, r := range rs {
		fmt.Fprintf(out, "  #%d %s by %s: %d days to %s, ε = %g, δ = %g, ρ = %.6g", r.ID,
			r.ReleasedAt.UTC().Format(time.RFC3339), r.ReleasedBy, r.WindowDays, r.AsOf, r.Epsilon, r.Delta, r.Rho)
		fmt.Fprint(out, namedValues("; caps ", r.Caps))
		if len(r.Weights) == 0 {
			fmt.Fprint(out, "; ρ split evenly")
		} else {
			fmt.Fprint(out, namedValues("; ρ weights ", r.Weights), " (every other vector 1)")
		}
		fmt.Fprintln(out)
	}
	return nil
}

// namedValues is "lead name value, name value, …" in name order ("" for an empty map).
func namedValues[V int64 | float64](lead string, m map[string]V) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i == 0 {
			b.WriteString(lead)
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %v", k, m[k])
	}
	return b.String()
}
