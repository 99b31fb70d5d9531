package migrations_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/shape"
)

// The DBA's split of ρ over the vectors (shape.policy.dp_weights): with
// conversations.activity weighing 6, conversations.member_count 3 and the other 13
// vectors 1 (W = 22), a release at ε = 1, δ = 10⁻⁶ gives activity σ² = ⌈Δ²·22/(2ρ·6)⌉,
// member count ⌈Δ²·22/(2ρ·3)⌉ and every other vector ⌈Δ²·22/(2ρ)⌉, worked here from
// the declared Δ²; the vectors' ρ add up to the release's (never more). Weights that
// name no vector, are not positive numbers, or pass 1000 are refused by the policy's
// CHECK (23514), and shape_reader cannot set them.
func TestDPWeights(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, heavyTailedSQL,
		`UPDATE shape.policy SET mode = 'differential_privacy', dp_epsilon = 10, dp_delta = 1e-6,
		 dp_cap_conversations = 8, dp_cap_messages = 100,
		 dp_weights = '{"conversations.activity": 6, "conversations.member_count": 3}'`)
	ctx := context.Background()
	raw, err := exportDP(ctx, db, 30, 1, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := shape.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	p := doc.Privacy
	weight := map[string]float64{"conversations.activity": 6, "conversations.member_count": 3}
	var sumRho float64
	for _, s := range sensitivities(t, db, dpCaps{C: 8, M: 100, R: 8, A: 2, B: 50, Bq: 100}) {
		v, ok := p.Vectors[s.Name]
		if !ok {
			t.Fatalf("no vector %s", s.Name)
		}
		w := weight[s.Name]
		if w == 0 {
			w = 1
		}
		want := int64(math.Ceil(float64(s.L2s) * 22 / (2 * p.Rho * w)))
		if v.L2SquaredSensitivity != s.L2s || v.Sigma2 != want {
			t.Errorf("%s: L2² %d, σ² %d; want %d, %d (weight %g of 22)", s.Name, v.L2SquaredSensitivity, v.Sigma2, s.L2s, want, w)
		}
		sumRho += v.Rho
	}
	if sumRho > p.Rho*(1+1e-12) || sumRho < p.Rho*(1-1e-3) { // σ² is rounded up: the small ones lose up to 0.1 %
		t.Errorf("the vectors cost ρ %.8g, want the release's %.8g", sumRho, p.Rho)
	}
	// the activity vector gets 6/22 of ρ: σ √(22/6) = 1.91 times the even split's √15
	if a, m := p.Vectors["conversations.activity"].Sigma2, p.Vectors["conversations.member_count"].Sigma2; a*2 > m+2 || a*2 < m-2 {
		t.Errorf("σ² activity %d, member count %d: weights 6 and 3 should halve it", a, m)
	}

	for _, bad := range []string{`'{"conversations.activty": 2}'`, `'{"users.username_length": 0}'`,
		`'{"users.username_length": -1}'`, `'{"users.username_length": 1001}'`, `'{"users.username_length": "2"}'`, `'[1, 2]'`} {
		_, err := db.ExecContext(ctx, `UPDATE shape.policy SET dp_weights = `+bad)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23514" {
			t.Errorf("dp_weights = %s: %v, want a check violation (23514)", bad, err)
		}
	}
	conn := readerConn(t, db)
	if _, err := conn.ExecContext(ctx, `UPDATE shape.policy SET dp_weights = '{}'`); err == nil {
		t.Errorf("shape_reader changed the policy's weights")
	}
}
