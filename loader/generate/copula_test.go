package generate

import (
	"math"
	"testing"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/stats"
)

// The size–activity copula: the polychoric correlation of the generated conversations'
// member-count × activity table (the export's grid) recovers the spec's ρ, and ρ = 0
// leaves them independent. Sizes and activity come from loadConversation and
// messageCount, exactly what the load writes.
func TestSizeActivityCopula(t *testing.T) {
	t.Parallel()
	for _, rho := range []float64{0, 0.6, -0.4} {
		s := spec.Default()
		s.Conversations.SizeActivityCorrelation = rho
		m, err := newModel(s, "copula", 400_000)
		if err != nil {
			t.Fatal(err)
		}
		g := newGen(m)
		table := make([][]float64, len(shape.JointMemberBuckets))
		for i := range table {
			table[i] = make([]float64, len(shape.JointActivityBuckets))
		}
		var typeCount [3]float64
		for idx := range m.convs {
			c := g.loadConversation(idx)
			size := float64(len(c.members))
			table[shape.BucketIndex(shape.JointMemberBuckets, size)][shape.BucketIndex(shape.JointActivityBuckets, float64(m.messageCount(idx)))]++
			switch c.kind {
			case kindDirect:
				typeCount[0]++
			case kindGroup:
				typeCount[1]++
			default:
				typeCount[2]++
			}
		}
		got, err := stats.Polychoric(table)
		if err != nil {
			t.Fatal(err)
		}
		// ρ̂ over a few thousand conversations: standard error about 0.02
		if math.Abs(got-rho) > 0.06 {
			t.Errorf("ρ = %g: polychoric correlation of %d generated conversations is %.3f", rho, m.convs, got)
		}
		// the type mix does not depend on ρ (the copula keeps the margins)
		td := s.Conversations.TypeDistribution
		for k, want := range []float64{td.OneToOne, td.SmallGroup, td.LargeGroup} {
			share := typeCount[k] / float64(m.convs)
			if se := math.Sqrt(want * (1 - want) / float64(m.convs)); math.Abs(share-want) > 4*se+1e-9 {
				t.Errorf("ρ = %g: type %d share %.4f, want %.4f ± %.4f", rho, k, share, want, 4*se)
			}
		}
	}
}
