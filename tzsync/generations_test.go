package tzsync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func numbersOf(t *testing.T, h History) string {
	t.Helper()
	gens, err := h.List()
	if err != nil {
		t.Fatal(err)
	}
	return numbers(gens)
}

// TestHistoryRecordsAndPrunes keeps the newest Keep generations, named with
// number, time and hash, and finds the one a content belongs to.
func TestHistoryRecordsAndPrunes(t *testing.T) {
	h := History{File: filepath.Join(t.TempDir(), "tensorzero.toml"), Keep: 3}
	for i := range 5 {
		g, err := h.Record([]byte("v"+string(rune('1'+i))+"\n"), t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if g.Number != i+1 {
			t.Errorf("generation %d numbered %d", i+1, g.Number)
		}
	}
	if got := numbersOf(t, h); got != "3, 4, 5" {
		t.Errorf("kept %s, want 3, 4, 5", got)
	}
	g, err := h.Find(4)
	if err != nil {
		t.Fatal(err)
	}
	if want := "000004-20260501T120300Z-" + HashPrefix([]byte("v4\n")) + ".toml.gen"; filepath.Base(g.Path) != want || !g.Time.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("generation 4: %s at %s, want %s", filepath.Base(g.Path), g.Time, want)
	}
	if cur, ok, _ := h.Current([]byte("v4\n")); !ok || cur.Number != 4 {
		t.Errorf("current of v4 = %+v %v", cur, ok)
	}
	if _, ok, _ := h.Current([]byte("v1\n")); ok {
		t.Error("a pruned generation is current")
	}
	if _, err := h.Find(1); err == nil || !strings.Contains(err.Error(), "kept: 3, 4, 5") {
		t.Errorf("find a pruned generation: %v", err)
	}
	// A changed generation file is refused.
	os.WriteFile(g.Path, []byte("tampered\n"), 0o644)
	if _, err := h.Read(g); err == nil {
		t.Error("a tampered generation was read")
	}
	// Other files in the folder are ignored.
	os.WriteFile(filepath.Join(h.Dir(), "notes.txt"), []byte("x"), 0o644)
	if got := numbersOf(t, h); got != "3, 4, 5" {
		t.Errorf("with a foreign file: %s", got)
	}
}

// TestRollback steps back through the generations, skipping failed ones and
// ones with the current content, keeps a hand-edited file first, and
// restores a named generation.
func TestRollback(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tensorzero.toml")
	h := History{File: file, Keep: 10}
	for _, v := range []string{"a\n", "b\n", "a\n", "bad\n", "c\n"} {
		if _, err := h.Record([]byte(v), t0); err != nil {
			t.Fatal(err)
		}
	}
	bad, _ := h.Find(4)
	if _, err := h.MarkFailed(bad); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("c\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	step := func(to int, want string, wantGen int) {
		t.Helper()
		res, err := Rollback(h, to, t0)
		if err != nil {
			t.Fatalf("rollback to %d: %v", to, err)
		}
		got, _ := os.ReadFile(file)
		if string(got) != want || res.To.Number != wantGen {
			t.Errorf("rollback to %d: file %q from generation %d, want %q from %d", to, got, res.To.Number, want, wantGen)
		}
	}
	step(0, "a\n", 3) // 4 failed
	step(0, "b\n", 2)
	step(0, "a\n", 1)
	if _, err := Rollback(h, 0, t0); err == nil || !strings.Contains(err.Error(), "no generation before 1") {
		t.Errorf("rollback past the oldest: %v", err)
	}
	step(5, "c\n", 5)
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after rollbacks %v, want 0640", fi.Mode().Perm())
	}
	// A hand edit is kept as generation 6 before going back to 5.
	os.WriteFile(file, []byte("edited by hand\n"), 0o640)
	res, err := Rollback(h, 0, t0)
	if err != nil || !res.Adopted || res.From.Number != 6 || res.To.Number != 5 {
		t.Fatalf("rollback of a hand edit: %+v %v", res, err)
	}
	if g, _ := h.Find(6); g.Failed {
		t.Error("the hand edit is marked failed")
	}
}

// TestWriteFileKeepsModeAndLink replaces a file atomically, keeping its
// mode, leaving no temporary file, and replacing a link's target.
func TestWriteFileKeepsModeAndLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.toml")
	os.WriteFile(real, []byte("old\n"), 0o600)
	link := filepath.Join(dir, "tensorzero.toml")
	if err := os.Symlink("real.toml", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new\n" {
		t.Errorf("target = %q", b)
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	fresh := filepath.Join(dir, "fresh.toml")
	if err := WriteFile(fresh, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want real.toml, tensorzero.toml, fresh.toml", names)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x.toml"), []byte("x"), 0o644); err == nil {
		t.Error("a write into a missing folder succeeded")
	}
}

// TestPruneKeepsTheCurrentGeneration: after a rollback to an old
// generation, new writes do not prune it, as a failed write goes back to it.
func TestPruneKeepsTheCurrentGeneration(t *testing.T) {
	h := History{File: filepath.Join(t.TempDir(), "tensorzero.toml"), Keep: 2}
	for _, v := range []string{"a\n", "b\n"} {
		if _, err := h.Record([]byte(v), t0); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := h.Find(1)
	if err := h.SetCurrent(first); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"c\n", "d\n"} {
		if _, err := h.Record([]byte(v), t0); err != nil {
			t.Fatal(err)
		}
	}
	if got := numbersOf(t, h); got != "1, 3, 4" {
		t.Errorf("kept %s, want 1 (current), 3 and 4", got)
	}
	missing := History{File: filepath.Join(t.TempDir(), "no", "such", "folder", "tensorzero.toml"), Keep: 2}
	if _, err := missing.Record([]byte("x"), t0); err == nil {
		t.Error("a generation was kept for a file in a missing folder")
	}
}
