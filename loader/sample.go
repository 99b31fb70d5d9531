package loader

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgshape/pgshape/internal/status"
	"github.com/pgshape/pgshape/option"
	"github.com/pgshape/pgshape/shape"
)

// DefaultStatementTimeout bounds each statement of `loader sample`.
const DefaultStatementTimeout = 15 * time.Minute

// DefaultSaltEnv is the environment variable the salt is read from.
const DefaultSaltEnv = "ANONYMIZATION_SALT"

// SampleOptions is `loader sample`.
type SampleOptions struct {
	// DatabaseURL is the production replica. Default: ResolveURL("") ($DATABASE_URL,
	// the libpq PG* variables, else DefaultURL).
	DatabaseURL string
	// Output is the shape document's path. Required. The mapping manifest goes beside
	// it (ManifestPath).
	Output string
	// WindowDays, K and AsOf select the window and the threshold (ExportOptions:
	// WindowDays required; K default 10; AsOf default the database's now()).
	WindowDays int
	K          int
	AsOf       time.Time
	// Privacy, Epsilon and Delta choose the export's mode (ExportOptions): default
	// k-anonymity; PrivacyDP samples in a read-write transaction, since the database
	// records the release in its privacy ledger.
	Privacy string
	Epsilon float64
	Delta   float64
	// StatementTimeout is set with SET LOCAL for the sampling transaction. Default
	// (0): DefaultStatementTimeout, 15 minutes.
	StatementTimeout time.Duration
	// Salt is the anonymization salt, used only in this process for the manifest's
	// tokens and fingerprint: never printed, written or sent to the database.
	// Required.
	Salt string
	// SaltEnv names the variable Salt came from, for messages. Default
	// ANONYMIZATION_SALT.
	SaltEnv string
}

// WithDefaults returns a copy with the defaults filled: StatementTimeout, SaltEnv and K.
func (o SampleOptions) WithDefaults() SampleOptions {
	if o.StatementTimeout == 0 {
		o.StatementTimeout = DefaultStatementTimeout
	}
	if o.SaltEnv == "" {
		o.SaltEnv = DefaultSaltEnv
	}
	o.K = o.export().WithDefaults().K
	return o
}

// Validate checks the options without touching the database or the file system; it
// changes nothing.
func (o SampleOptions) Validate() error {
	if o.Salt == "" {
		env := o.WithDefaults().SaltEnv
		return fmt.Errorf("%s environment variable required: export it from your secrets manager "+
			"(e.g. export %s=\"$(aws secretsmanager get-secret-value --secret-id prod/shape-sampler/salt --query SecretString --output text)\"), "+
			"check it with [ -n \"$%s\" ] without echoing it, and rerun", env, env, env)
	}
	if o.Output == "" {
		return option.Errorf("Output", "error checking the output: {} is required: pass the shape document's path, e.g. {} shape-metrics-prod-20251022.json")
	}
	if err := o.export().Validate(); err != nil {
		return err
	}
	if o.StatementTimeout < 0 {
		return option.Errorf("StatementTimeout", "error checking the statement timeout: %s is negative: pass e.g. {} 15m", o.StatementTimeout)
	}
	return nil
}

func (o SampleOptions) export() ExportOptions {
	return ExportOptions{WindowDays: o.WindowDays, K: o.K, AsOf: o.AsOf, Privacy: o.Privacy, Epsilon: o.Epsilon, Delta: o.Delta}
}

// family is one metric family of the shape document, with the guide's progress words.
type family struct {
	label, doing, noun string
	total              func(*shape.Document) int64
}

var families = []family{
	{"Users", "Sampling user metrics", "users", func(d *shape.Document) int64 { return d.Users.TotalCount }},
	{"Conversations", "Sampling conversation metrics", "conversations", func(d *shape.Document) int64 { return d.Conversations.TotalCount }},
	{"Messages", "Sampling message metrics", "messages", func(d *shape.Document) int64 { return d.Messages.TotalCount }},
	{"ReadReceipts", "Sampling read timing", "read receipts", func(d *shape.Document) int64 { return d.ReadReceipts.TotalCount }},
	{"Attachments", "Sampling attachment distribution", "attachments", func(d *shape.Document) int64 { return d.Attachments.TotalCount }},
}

// Sample exports the shape document of the database at opts.DatabaseURL with one
// shape.export, in a read-only repeatable-read transaction (one snapshot), and writes it
// to opts.Output with its mapping manifest, each atomically and with mode 0600.
// Progress goes to out in the guide's form. On any error no output file is left.
func Sample(ctx context.Context, opts SampleOptions, out io.Writer) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	opts = opts.WithDefaults()
	docFile, err := createPending(opts.Output)
	if err != nil {
		return err
	}
	defer docFile.discard()
	manifestFile, err := createPending(ManifestPath(opts.Output))
	if err != nil {
		return err
	}
	defer manifestFile.discard()
	fmt.Fprintln(out, "[ShapeSampler] Initialized with production salt")

	pool, err := Connect(ctx, ResolveURL(opts.DatabaseURL))
	if err != nil {
		return err
	}
	defer pool.Close()
	cc := pool.Config().ConnConfig
	where := fmt.Sprintf("%s:%d database %q", cc.Host, cc.Port, cc.Database)

	res, err := sampleSnapshot(ctx, pool, opts, out)
	if err != nil {
		return fmt.Errorf("error sampling %s: %w", where, err)
	}
	if res.counts == (RowCounts{}) {
		return fmt.Errorf("error sampling %s: %w", where, ErrEmptyContract)
	}

	var doc bytes.Buffer
	if err := res.doc.Write(&doc); err != nil {
		return fmt.Errorf("error encoding the shape document: %w", err)
	}
	sum := sha256.Sum256(doc.Bytes())
	m := Manifest{
		ManifestVersion: ManifestVersion,
		ShapeVersion:    res.doc.ShapeVersion,
		LoaderVersion:   BuildVersion(),
		ExtractedAt:     res.doc.ExtractedAt,
		AsOf:            res.asOf,
		WindowDays:      res.doc.SampleWindowDays,
		K:               manifestK(opts.export()),
		ShapeFile:       filepath.Base(opts.Output),
		ShapeSHA256:     hex.EncodeToString(sum[:]),
		RowCounts:       res.counts,
		SourceMapping:   res.mapping,
		SaltFingerprint: SaltFingerprint(opts.Salt),
		FingerprintKDF:  fingerprintKDF(),
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("error encoding the mapping manifest: %w", err)
	}
	if err := docFile.write(doc.Bytes()); err != nil {
		return err
	}
	if err := manifestFile.write(append(manifest, '\n')); err != nil {
		return err
	}
	if err := docFile.commit(); err != nil {
		return err
	}
	if err := manifestFile.commit(); err != nil {
		os.Remove(docFile.final) // no shape document without its manifest
		return err
	}
	fmt.Fprintf(out, "\n[Output] ✓ Written to %s\n", opts.Output)
	fmt.Fprintf(out, "[Manifest] ✓ Written to %s\n", manifestFile.final)
	return nil
}

// manifestK is the manifest's k: the threshold of a k-anonymous export, 0 for a
// differential-privacy release (its parameters are in the document's privacy object).
func manifestK(o ExportOptions) int {
	if o.DP() {
		return 0
	}
	return o.WithDefaults().K
}

// ErrEmptyContract means every source view read no row: the contract still reads the
// empty placeholders (or tables that are empty), and a document of zeros would describe
// nothing.
var ErrEmptyContract = errors.New("every source view is empty (shape_source.users, conversations, conversation_members, messages, read_receipts, attachments): re-point them at your tables (README, \"The source contract\"; an example is testdata/repointed-contract.sql), then sample again")

type sampled struct {
	doc     *shape.Document
	asOf    time.Time
	counts  RowCounts
	mapping SourceMapping
}

// sampleSnapshot reads every family and the source mapping in one read-only,
// repeatable-read transaction, so that they describe the same snapshot (a
// differential-privacy release: read-write, for the database's ledger).
func sampleSnapshot(ctx context.Context, pool *pgxpool.Pool, opts SampleOptions, out io.Writer) (*sampled, error) {
	mode := pgx.ReadOnly
	if opts.export().DP() {
		mode = pgx.ReadWrite
	}
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: mode})
	if err != nil {
		return nil, fmt.Errorf("error starting the sampling transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	timeout := strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10) + "ms"
	if opts.StatementTimeout > 0 && opts.StatementTimeout < time.Millisecond {
		timeout = "1ms"
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('statement_timeout', $1, true)`, timeout); err != nil {
		return nil, fmt.Errorf("error setting the statement timeout: %w", err)
	}
	// before any progress line, so that a replica without the layer gets its one line
	// alone
	if err := checkShapeSchema(ctx, tx, opts.export().DP()); err != nil {
		return nil, err
	}
	var asOfArg *time.Time
	if !opts.AsOf.IsZero() {
		asOfArg = &opts.AsOf
	}
	res := &sampled{}
	// The database's own reading of as_of (microseconds; now() when none was given), so
	// that the document and the manifest agree.
	if err := tx.QueryRow(ctx, `SELECT coalesce($1::timestamptz, now())`, asOfArg).Scan(&res.asOf); err != nil {
		return nil, fmt.Errorf("error reading the as-of time: %w", err)
	}
	res.asOf = res.asOf.UTC()

	// One shape.export for the five families: they share the passes over the window
	// (the message totals and id range, the conversations pass), which the family
	// functions would each run again: five calls cost the replica about 40% more (the
	// sum of the family times against the export's in BenchmarkExport). The progress
	// lines keep the guide's form and order; the first family's waits for the whole.
	fmt.Fprintf(out, "[%s] %s...\n", families[0].label, families[0].doing)
	eo := opts.export()
	eo.AsOf = res.asOf
	// one statement reports no rows while it runs: elapsed time is all there is to show
	line := status.Start(out, 30*time.Second, func(el time.Duration, tty bool) string {
		if tty {
			return fmt.Sprintf("[ShapeSampler] exporting the shape (one statement)… %s", el.Round(time.Second))
		}
		return fmt.Sprintf("[ShapeSampler] exporting the shape (one statement): still running after %s", el.Round(time.Second))
	})
	// Sample validated opts, sampleSnapshot checked the layer. A k-anonymous export
	// runs its two halves on two connections in this snapshot (ExportSnapshot); a
	// differential-privacy release is one statement, for its ledger.
	doc, err := exportSplit(ctx, tx, pool, eo.WithDefaults())
	line.Stop(false)
	if err != nil {
		return nil, err
	}
	for i, f := range families {
		if i > 0 {
			fmt.Fprintf(out, "[%s] %s...\n", f.label, f.doing)
		}
		suffix := ""
		if f.label == "Messages" {
			suffix = fmt.Sprintf(" (%d-day window)", opts.WindowDays)
		}
		fmt.Fprintf(out, "[%s] ✓ Sampled %s %s%s\n", f.label, Thousands(f.total(doc)), f.noun, suffix)
	}
	mapping, err := sourceMapping(ctx, tx, opts.Salt)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("error ending the sampling transaction: %w", err)
	}
	res.doc = doc
	res.mapping = mapping
	res.counts = RowCounts{Users: doc.Users.TotalCount, Conversations: doc.Conversations.TotalCount,
		Messages: doc.Messages.TotalCount, ReadReceipts: doc.ReadReceipts.TotalCount, Attachments: doc.Attachments.TotalCount}
	return res, nil
}

// Thousands formats n with comma thousands separators: 95324871 → "95,324,871".
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// pendingFile is an output written atomically: a temporary file in the destination's
// directory (mode 0600), fsynced, then renamed over the destination. The temporary file
// exists only from write to commit, so a process killed while it exports leaves none.
type pendingFile struct {
	final string
	tmp   string
	done  bool
}

// createPending checks now that the destination's directory takes a file, so an
// unwritable destination is reported before any work is done.
func createPending(path string) (*pendingFile, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, option.Errorf("Output", "error preparing the output %s: it is a directory: pass a file path with {}", path)
	}
	p := &pendingFile{final: path}
	f, err := p.create()
	if err != nil {
		return nil, err
	}
	f.Close()
	os.Remove(f.Name())
	return p, nil
}

func (p *pendingFile) create() (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(p.final), "."+filepath.Base(p.final)+".tmp-*")
	if err != nil {
		return nil, option.Errorf("Output", "error preparing the output %s: %v: pass a {} path in a writable directory", p.final, unwrapPath(err))
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("error preparing the output %s: %v", p.final, unwrapPath(err))
	}
	return f, nil
}

func (p *pendingFile) write(data []byte) error {
	f, err := p.create()
	if err != nil {
		return err
	}
	p.tmp = f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("error writing %s: %v", p.final, unwrapPath(err))
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("error writing %s: %v", p.final, unwrapPath(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("error writing %s: %v", p.final, unwrapPath(err))
	}
	return nil
}

func (p *pendingFile) commit() error {
	if err := os.Rename(p.tmp, p.final); err != nil {
		return fmt.Errorf("error writing %s: %v", p.final, unwrapPath(err))
	}
	p.done = true
	if d, err := os.Open(filepath.Dir(p.final)); err == nil {
		_ = d.Sync() // make the rename durable; best effort on file systems without it
		d.Close()
	}
	return nil
}

// discard removes the temporary file unless it was committed.
func (p *pendingFile) discard() {
	if !p.done && p.tmp != "" {
		os.Remove(p.tmp)
	}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
