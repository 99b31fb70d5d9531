package generate

import (
	"context"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/pgshape/pgshape/fit"
	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
)

// The people model through a whole load: the same tables at 1 and 4 workers and as two
// shards; every sender a member who had joined; and the target's own shape export
// (shape.people_v2) shows what the model was asked for: the membership law recovered
// from conversations_histogram, single-sender threads, busier top senders than a
// uniform load.
func TestPeopleLoad(t *testing.T) {
	t.Parallel()
	withPeople := func(s *spec.Spec) {
		s.Users.Membership = &spec.Membership{WeightSigma: 1.2, ZeroShare: 0.2}
		s.Users.Activity = &spec.Activity{Sigma: 1, Theta: 0.1}
	}
	sums, docs, _ := loadEach(t, []loadRun{
		{"1 worker", withPeople, oneWorker},
		{"4 workers", withPeople, fourWorkers},
		{"shards 1/2 then 0/2", withPeople, twoShards},
		{"uniform", nil, oneWorker},
	}, 3)
	if sums[0]["conversation_members"] == sums[3]["conversation_members"] || sums[0]["messages"] == sums[3]["messages"] {
		t.Errorf("the people model left members or senders as the uniform load's")
	}
	d, u := docs[0], docs[3]
	if d == nil || u == nil {
		t.Fatal("the load exported no shape document of the target")
	}
	if d.Users.Memberships == nil || d.Users.Senders == nil || d.Conversations.Threads == nil || d.Conversations.Threads.SingleSenderShare == nil {
		t.Fatalf("the target's export has no people families: %+v", d.Users)
	}
	mf, err := fit.FitMembership(d.Users.Memberships.ConversationsPerUserHistogram)
	if err != nil {
		t.Fatal(err)
	}
	// 2000 users: looser than the in-memory test's.
	if math.Abs(mf.Sigma-1.2) > 0.2 || math.Abs(mf.ZeroShare-0.2) > 0.05 {
		t.Errorf("membership from the export: σ %.3f, zero share %.3f; want 1.2, 0.2", mf.Sigma, mf.ZeroShare)
	}
	single, uSingle := *d.Conversations.Threads.SingleSenderShare, *u.Conversations.Threads.SingleSenderShare
	if single < 0.3 || single < 2*uSingle {
		t.Errorf("single-sender share %.3f, uniform %.3f: want at least 0.3 and twice", single, uSingle)
	}
	if top, uTop := d.Users.Senders.TopShare.Top1Pct, u.Users.Senders.TopShare.Top1Pct; top == nil || uTop == nil || *top < 1.5**uTop {
		t.Errorf("top 1%% senders' share %v, uniform %v: want at least 1.5 times", top, uTop)
	}
}

// loadRun is one way to load a target: edit, when set, changes the spec, and run loads
// with the options, returning the target's shape export when it asks for one.
type loadRun struct {
	name string
	edit func(*spec.Spec)
	run  func(Options) (*shape.Document, error)
}

// oneWorker loads with one worker and the target's export; fourWorkers with four;
// twoShards as shard 1/2 then 0/2. Every load keyed by the seed gives the same tables.
var (
	oneWorker = func(o Options) (*shape.Document, error) {
		o.Workers, o.NoShape = 1, false
		res, err := Run(context.Background(), o, io.Discard)
		if err != nil {
			return nil, err
		}
		return res.Shape, nil
	}
	fourWorkers = func(o Options) (*shape.Document, error) {
		o.Workers = 4
		_, err := Run(context.Background(), o, io.Discard)
		return nil, err
	}
	twoShards = func(o Options) (*shape.Document, error) {
		for _, i := range []int{1, 0} {
			o.Shard = Shard{Index: i, Count: 2}
			if _, err := Run(context.Background(), o, io.Discard); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
)

// loadEach runs each load on a target database of its own, all in parallel, at 100k
// messages and without the export unless the run asks, and returns the tables'
// checksums, the exports and the databases' urls. Runs 1…same−1 must load the very
// tables run 0 did.
func loadEach(t *testing.T, runs []loadRun, same int) (sums []map[string]string, docs []*shape.Document, urls []string) {
	t.Helper()
	sums, docs, urls = make([]map[string]string, len(runs)), make([]*shape.Document, len(runs)), make([]string, len(runs))
	errs := make([]error, len(runs))
	done := make(chan int)
	for i, r := range runs {
		urls[i] = testdb.New(t, testdb.Target)
		conn := testdb.Conn(t, urls[i])
		go func() {
			defer func() { done <- i }()
			o := options(t, urls[i])
			o.Messages, o.NoShape = 100_000, true
			if r.edit != nil {
				s := *o.Spec
				r.edit(&s)
				o.Spec = &s
			}
			if docs[i], errs[i] = r.run(o); errs[i] == nil {
				sums[i] = checksums(t, conn)
			}
		}()
	}
	for range runs {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, tb := range Tables {
		for i := 1; i < same; i++ {
			if sums[0][tb] != sums[i][tb] {
				t.Errorf("%s: %s differs from %s", runs[i].name, tb, runs[0].name)
			}
		}
	}
	return sums, docs, urls
}

// Lurkers, new voices and conversations of no member or one through whole loads: the
// same tables at 1 and 4 workers and as two shards (each is keyed by the seed and the
// conversation or user), the keys and foreign keys built over them, and the target's
// own export showing the empty and one-member conversations: exactly round(0.05·C)
// with no member, and a one-member share near 0.1.
func TestRostersLoad(t *testing.T) {
	t.Parallel()
	rosters := func(s *spec.Spec) {
		s.Users.Membership = &spec.Membership{WeightSigma: 1.2, ZeroShare: 0.2}
		s.Users.Activity = &spec.Activity{Sigma: 0.8, Theta: 1, Reply: 0.2, Lurk: 0.3, Breadth: 0.5}
		s.Conversations.InactiveRatio = 0.2
		s.Conversations.FewMembers = &spec.FewMembers{None: 0.05, One: 0.1}
	}
	_, _, urls := loadEach(t, []loadRun{
		{"1 worker", rosters, oneWorker},
		{"4 workers", rosters, fourWorkers},
		{"shards 1/2 then 0/2", rosters, twoShards},
	}, 3)
	conn := testdb.Conn(t, urls[0])
	var convs, none, one int64
	if err := conn.QueryRow(context.Background(), `SELECT count(*),
	        count(*) FILTER (WHERE NOT EXISTS (SELECT FROM conversation_members m WHERE m.conversation_id = c.id)),
	        count(*) FILTER (WHERE (SELECT count(*) FROM conversation_members m WHERE m.conversation_id = c.id) = 1)
	      FROM conversations c`).Scan(&convs, &none, &one); err != nil {
		t.Fatal(err)
	}
	if want := int64(math.Round(0.05 * float64(convs))); none != want {
		t.Errorf("%d of %d conversations without members, want %d", none, convs, want)
	}
	if p, se := float64(one)/float64(convs), math.Sqrt(0.09/float64(convs)); math.Abs(p-0.1) > 4*se {
		t.Errorf("one member: %.4f of %d conversations, want 0.1 ± %.4f", p, convs, 4*se)
	}
}
