package tzsync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"
)

// Mode is what a Syncer writes.
type Mode int

const (
	// Whole writes the whole rendered configuration.
	Whole Mode = iota
	// Spliced rewrites only the marker region of an existing file.
	Spliced
)

// Options configure a Syncer.
type Options struct {
	File   string
	Mode   Mode
	Source *Source
	// Keep is how many generations are kept (default 20, at least 2).
	Keep int
	// Apply runs after each write; its gateway check decides a rollback.
	Apply Applier
	// Logger gets one line per outcome (default: discarded).
	Logger *slog.Logger
	// Observe, if set, is called with every outcome, e.g. for metrics.
	Observe func(Outcome)
	// Coalesce is the quiet time that ends a burst of change events
	// (default 50 ms); a burst waits at most ten times as long.
	Coalesce time.Duration
	// Now is the clock of the generations (default time.Now).
	Now func() time.Time
}

// Results of a pass.
const (
	Written     = "written"      // the file was replaced (and the gateway, if checked, is healthy)
	Unchanged   = "unchanged"    // the registry's configuration is what the file holds
	NotModified = "not_modified" // the registry's input did not change since the last pass
	Rejected    = "rejected"     // the candidate does not parse or fails the lint; nothing written
	Skipped     = "skipped"      // the candidate failed at the gateway before; nothing written
	Failed      = "failed"       // the registry, the file or the markers failed; nothing written
	ApplyFailed = "apply_failed" // written, but the on-change command failed (no gateway check)
	RolledBack  = "rolled_back"  // written, the gateway did not come back, the previous generation restored
)

// Outcome is the result of one pass.
type Outcome struct {
	Result     string
	Generation int    // the file's generation after the pass; 0 when unknown or none
	Previous   int    // the generation a write replaced
	FailedGen  int    // the generation the gateway did not come back with (rolled_back, skipped)
	Hash       string // HashPrefix of the file's content after the pass
	Recovered  bool   // rolled_back: the gateway answered 200 after the rollback
	Err        error
	Findings   []string // lint or lane findings worth a look
	Elapsed    time.Duration
}

// OK reports whether the file is as the registry wants it.
func (o Outcome) OK() bool {
	return o.Result == Written || o.Result == Unchanged || o.Result == NotModified
}

// Syncer keeps one file in step with the registry. It is not safe for
// concurrent use: Watch runs one pass at a time.
type Syncer struct {
	opts    Options
	history History
	log     *slog.Logger

	etag          string // of the last whole configuration acted on
	input         string // fingerprint of the last input acted on
	gen           int    // the file's generation after the last pass
	failedChanges int
	last          string // result and error of the last outcome, to quiet repeats
}

// New checks the options and makes a Syncer.
func New(opts Options) (*Syncer, error) {
	switch {
	case opts.File == "":
		return nil, errors.New("tzsync: no file")
	case opts.Source == nil || opts.Source.URL == "":
		return nil, errors.New("tzsync: no registry URL")
	case opts.Keep == 0:
		opts.Keep = 20
	}
	if opts.Keep < 2 {
		return nil, errors.New("tzsync: keep at least 2 generations, or a rollback has nothing to restore")
	}
	if opts.Coalesce <= 0 {
		opts.Coalesce = 50 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{opts: opts, history: History{File: opts.File, Keep: opts.Keep}, log: log}, nil
}

// History is the generations of the Syncer's file.
func (s *Syncer) History() History { return s.history }

// FailedChanges counts the writes the gateway did not come back with.
func (s *Syncer) FailedChanges() int { return s.failedChanges }

// Once makes the file what the registry wants and returns an error unless
// it is (see Outcome.OK).
func (s *Syncer) Once(ctx context.Context) error {
	o := s.Sync(ctx, true)
	if o.OK() {
		return nil
	}
	if o.Err != nil {
		return fmt.Errorf("%s: %w", o.Result, o.Err)
	}
	return errors.New(o.Result)
}

// Sync runs one pass and logs its outcome. With force it acts even when the
// registry's input did not change since the last pass (the first pass, or
// --once): a file changed by hand or rolled back is then brought back.
func (s *Syncer) Sync(ctx context.Context, force bool) Outcome {
	start := time.Now()
	o := s.pass(ctx, force)
	o.Elapsed = time.Since(start)
	if o.Generation > 0 {
		s.gen = o.Generation
	}
	if o.Result == RolledBack {
		s.failedChanges++
	}
	s.logOutcome(ctx, o)
	if s.opts.Observe != nil {
		s.opts.Observe(o)
	}
	return o
}

// input is what the registry wants the file to hold: the whole
// configuration, or the lanes of the marker region.
type input struct {
	body        []byte
	lanes       []Lane
	findings    []string
	etag        string
	fingerprint string
	notModified bool
}

func (s *Syncer) fetch(ctx context.Context, force bool) (input, error) {
	var in input
	if s.opts.Mode == Whole {
		etag := s.etag
		if force {
			etag = ""
		}
		a, err := s.opts.Source.Config(ctx, etag)
		if err != nil {
			return in, err
		}
		in.body, in.etag, in.notModified = a.Body, a.ETag, a.NotModified
		in.fingerprint = a.ETag
		if in.fingerprint == "" {
			in.fingerprint = digest(a.Body)
		}
		return in, nil
	}
	models, err := s.opts.Source.Models(ctx)
	if err != nil {
		return in, err
	}
	lanes, findings := RenderLanes(models)
	h := sha256.New()
	for _, l := range lanes {
		fmt.Fprintf(h, "%q\n%d\n", l.Name, len(l.TOML))
		h.Write(l.TOML)
	}
	in.lanes, in.fingerprint = lanes, hex.EncodeToString(h.Sum(nil))
	for _, f := range findings {
		in.findings = append(in.findings, f.String())
	}
	return in, nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (s *Syncer) pass(ctx context.Context, force bool) (o Outcome) {
	in, err := s.fetch(ctx, force)
	if err != nil {
		return Outcome{Result: Failed, Generation: s.gen, Err: err}
	}
	if in.notModified || !force && in.fingerprint == s.input {
		return Outcome{Result: NotModified, Generation: s.gen}
	}
	file := s.opts.File
	current, err := os.ReadFile(file)
	exists := err == nil
	if err != nil && (s.opts.Mode == Spliced || !errors.Is(err, fs.ErrNotExist)) {
		return Outcome{Result: Failed, Generation: s.gen, Err: err}
	}
	// What the file holds now, for the outcomes that leave it as it is.
	var hash string
	gen := s.gen
	if exists {
		hash = HashPrefix(current)
		if g, found, _ := s.history.Current(current); found {
			gen = g.Number
		} else {
			gen = 0
		}
	}
	candidate := in.body
	if s.opts.Mode == Spliced {
		if candidate, err = Splice(current, in.lanes); err != nil {
			return Outcome{Result: Failed, Generation: gen, Hash: hash, Err: fmt.Errorf("%s: %w", file, err)}
		}
	}
	// The same input is not acted on again until it changes, unless the
	// pass failed (the registry, the file system): that is tried again.
	defer func() {
		if o.Result != Failed {
			s.input, s.etag = in.fingerprint, in.etag
		}
	}()
	if g, failed, err := s.history.Failed(candidate); err != nil {
		return Outcome{Result: Failed, Generation: gen, Hash: hash, Err: err}
	} else if failed {
		return Outcome{Result: Skipped, Generation: gen, Hash: hash, FailedGen: g.Number, Findings: in.findings,
			Err: fmt.Errorf("the gateway did not come back with this configuration as generation %d; change the registry, or roll back to it by hand", g.Number)}
	}
	if exists && bytes.Equal(candidate, current) {
		return Outcome{Result: Unchanged, Generation: gen, Hash: hash, Findings: in.findings}
	}
	if err := Check(candidate); err != nil {
		o := Outcome{Result: Rejected, Generation: gen, Hash: hash, Err: err, Findings: in.findings}
		var rej *RejectedError
		if errors.As(err, &rej) {
			for _, f := range rej.errors() {
				o.Findings = append(o.Findings, f.String())
			}
		}
		return o
	}
	return s.write(ctx, current, exists, candidate, in.findings)
}

// write keeps the file's current content as a generation if it is none yet,
// records the candidate as the next one, replaces the file, and applies it.
func (s *Syncer) write(ctx context.Context, current []byte, exists bool, candidate []byte, findings []string) Outcome {
	now := s.opts.Now()
	var prev Generation
	if exists {
		g, found, err := s.history.Current(current)
		if err == nil && !found {
			g, err = s.history.Record(current, now)
		}
		if err != nil {
			return Outcome{Result: Failed, Generation: s.gen, Err: fmt.Errorf("keep the current file as a generation: %w", err)}
		}
		prev = g
	}
	gen, err := s.history.Record(candidate, now)
	if err != nil {
		return Outcome{Result: Failed, Generation: prev.Number, Err: fmt.Errorf("record the generation: %w", err)}
	}
	if err := WriteFile(s.opts.File, candidate, 0o644); err != nil {
		os.Remove(gen.Path)
		return Outcome{Result: Failed, Generation: prev.Number, Err: err}
	}
	if err := s.history.SetCurrent(gen); err != nil {
		return Outcome{Result: Failed, Generation: gen.Number, Err: err}
	}
	o := Outcome{Result: Written, Generation: gen.Number, Previous: prev.Number, Hash: gen.Hash, Findings: findings}
	a := s.opts.Apply
	cmdErr := a.Run(ctx, s.opts.File, gen.Number, "write")
	if a.GatewayURL == "" {
		if cmdErr != nil {
			o.Result, o.Err = ApplyFailed, cmdErr
		}
		return o
	}
	if cmdErr != nil {
		// The gateway was not restarted: its health says nothing of gen.
		return s.rollBack(ctx, gen, prev, exists, cmdErr)
	}
	if err := a.Healthy(ctx); err != nil {
		return s.rollBack(ctx, gen, prev, exists, errors.Join(cmdErr, err))
	}
	return o
}

// rollBack restores prev after gen failed at the gateway, runs the command
// again and waits for the gateway once more.
func (s *Syncer) rollBack(ctx context.Context, gen, prev Generation, hadPrev bool, cause error) Outcome {
	o := Outcome{Result: RolledBack, Generation: gen.Number, Previous: prev.Number, FailedGen: gen.Number, Hash: gen.Hash, Err: cause}
	if _, err := s.history.MarkFailed(gen); err != nil {
		cause = errors.Join(cause, fmt.Errorf("mark generation %d failed: %w", gen.Number, err))
	}
	if !hadPrev {
		// There was no file before: the failed one goes, so that it is not
		// taken for the current configuration.
		if err := os.Remove(s.opts.File); err != nil && !errors.Is(err, fs.ErrNotExist) {
			cause = errors.Join(cause, fmt.Errorf("remove the failed file: %w", err))
		}
		o.Result, o.Err = Failed, fmt.Errorf("%w; no earlier generation to restore", cause)
		return o
	}
	content, err := s.history.Read(prev)
	if err == nil {
		err = WriteFile(s.opts.File, content, 0o644)
	}
	if err == nil {
		err = s.history.SetCurrent(prev)
	}
	if err != nil {
		o.Result, o.Err = Failed, errors.Join(cause, fmt.Errorf("restore generation %d: %w", prev.Number, err))
		return o
	}
	o.Generation, o.Hash, o.Err = prev.Number, prev.Hash, cause
	a := s.opts.Apply
	if err := errors.Join(a.Run(ctx, s.opts.File, prev.Number, "rollback"), a.Healthy(ctx)); err != nil {
		o.Err = errors.Join(cause, fmt.Errorf("after the rollback: %w", err))
		return o
	}
	o.Recovered = true
	return o
}

// logOutcome writes the outcome's one line. A pass that found nothing to do
// logs at debug level, and so does a failure that repeats the last one.
func (s *Syncer) logOutcome(ctx context.Context, o Outcome) {
	level := slog.LevelInfo
	switch o.Result {
	case NotModified:
		level = slog.LevelDebug
	case Skipped:
		level = slog.LevelWarn
	case Rejected, Failed, ApplyFailed, RolledBack:
		level = slog.LevelError
	}
	key := o.Result
	if o.Err != nil {
		key += ": " + o.Err.Error()
	}
	if !o.OK() && key == s.last {
		level = slog.LevelDebug
	}
	s.last = key
	attrs := []slog.Attr{slog.String("outcome", o.Result), slog.String("file", s.opts.File), slog.Int("generation", o.Generation)}
	if o.Previous > 0 {
		attrs = append(attrs, slog.Int("previous", o.Previous))
	}
	if o.FailedGen > 0 {
		attrs = append(attrs, slog.Int("failed_generation", o.FailedGen))
	}
	if o.Hash != "" {
		attrs = append(attrs, slog.String("sha256", o.Hash))
	}
	if o.Result == RolledBack {
		attrs = append(attrs, slog.Bool("recovered", o.Recovered))
	}
	attrs = append(attrs, slog.Int("failed_changes", s.failedChanges),
		slog.Float64("elapsed_ms", float64(o.Elapsed.Microseconds())/1000))
	if len(o.Findings) > 0 {
		fs := o.Findings
		if len(fs) > 5 {
			fs = append(fs[:5:5], fmt.Sprintf("and %d more", len(o.Findings)-5))
		}
		attrs = append(attrs, slog.Any("findings", fs))
	}
	if o.Err != nil {
		attrs = append(attrs, slog.String("error", o.Err.Error()))
	}
	s.log.LogAttrs(ctx, level, "tensorzero sync", attrs...)
}
