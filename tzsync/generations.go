package tzsync

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Generation is one written version of a file, kept in its History folder
// as NNNNNN-<UTC time>-<first 12 hex digits of its SHA-256>.toml.gen, with
// "-failed" before the extension once the gateway did not come back healthy
// with it. The extension is not .toml, so that a gateway started with a
// glob (--config-file 'config/**/*.toml') does not load the generations too.
type Generation struct {
	Number int       `json:"generation"`
	Time   time.Time `json:"time"`
	Hash   string    `json:"sha256_prefix"`
	Failed bool      `json:"failed"`
	Size   int64     `json:"size"`
	Path   string    `json:"path"`
}

// HashPrefix is the part of a content's SHA-256 that names its generation.
func HashPrefix(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:6])
}

const (
	genExt      = ".toml.gen"
	genFailed   = "-failed"
	genTimeForm = "20060102T150405Z"
)

var genName = regexp.MustCompile(`^([0-9]{6,})-([0-9]{8}T[0-9]{6}Z)-([0-9a-f]{12})(` + genFailed + `)?\.toml\.gen$`)

// History is the generations of one file, in the folder <File>.generations
// beside it. Record keeps the newest Keep of them, and the one the file
// holds.
type History struct {
	File string
	Keep int
}

// Dir is the folder of the generations.
func (h History) Dir() string { return h.File + ".generations" }

// List returns the kept generations, oldest first; none when the folder does
// not exist. Files that are not generations are ignored.
func (h History) List() ([]Generation, error) {
	entries, err := os.ReadDir(h.Dir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var gens []Generation
	for _, e := range entries {
		m := genName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		t, _ := time.Parse(genTimeForm, m[2])
		g := Generation{Number: n, Time: t, Hash: m[3], Failed: m[4] != "", Path: filepath.Join(h.Dir(), e.Name())}
		if fi, err := e.Info(); err == nil {
			g.Size = fi.Size()
		}
		gens = append(gens, g)
	}
	sort.Slice(gens, func(i, j int) bool { return gens[i].Number < gens[j].Number })
	return gens, nil
}

// Find returns generation n.
func (h History) Find(n int) (Generation, error) {
	gens, err := h.List()
	if err != nil {
		return Generation{}, err
	}
	for _, g := range gens {
		if g.Number == n {
			return g, nil
		}
	}
	return Generation{}, fmt.Errorf("no generation %d in %s (kept: %s)", n, h.Dir(), numbers(gens))
}

func numbers(gens []Generation) string {
	if len(gens) == 0 {
		return "none"
	}
	var b []byte
	for i, g := range gens {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, int64(g.Number), 10)
	}
	return string(b)
}

// Read returns a generation's content, checked against its hash.
func (h History) Read(g Generation) ([]byte, error) {
	data, err := os.ReadFile(g.Path)
	if err != nil {
		return nil, err
	}
	if HashPrefix(data) != g.Hash {
		return nil, fmt.Errorf("generation %d (%s) does not match its hash: the file was changed", g.Number, g.Path)
	}
	return data, nil
}

// Current returns the generation the file holds, given its content data:
// the one sync or Rollback last put in place, if it still has that
// content, else the newest with that content.
func (h History) Current(data []byte) (Generation, bool, error) {
	gens, err := h.List()
	if err != nil {
		return Generation{}, false, err
	}
	hash := HashPrefix(data)
	holds := func(g Generation) bool {
		kept, err := os.ReadFile(g.Path)
		return g.Hash == hash && err == nil && bytes.Equal(kept, data)
	}
	if n := h.currentNumber(); n > 0 {
		for _, g := range gens {
			if g.Number == n && holds(g) {
				return g, true, nil
			}
		}
	}
	for i := len(gens) - 1; i >= 0; i-- {
		if holds(gens[i]) {
			return gens[i], true, nil
		}
	}
	return Generation{}, false, nil
}

// currentName is the file, beside the generations, that holds the number of
// the one last put in place.
const currentName = "current"

// SetCurrent records that the file now holds generation g.
func (h History) SetCurrent(g Generation) error {
	return WriteFile(filepath.Join(h.Dir(), currentName), []byte(strconv.Itoa(g.Number)+"\n"), 0o644)
}

// Record keeps data as the next generation, written at time at (atomically,
// like the file), and removes the oldest beyond Keep but the one the file
// holds (see SetCurrent).
func (h History) Record(data []byte, at time.Time) (Generation, error) {
	gens, err := h.List()
	if err != nil {
		return Generation{}, err
	}
	// Not MkdirAll: a file in a missing folder is a mistake to report.
	if err := os.Mkdir(h.Dir(), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return Generation{}, err
	}
	n := 1
	if len(gens) > 0 {
		n = gens[len(gens)-1].Number + 1
	}
	at = at.UTC().Truncate(time.Second)
	g := Generation{Number: n, Time: at, Hash: HashPrefix(data), Size: int64(len(data))}
	g.Path = filepath.Join(h.Dir(), fmt.Sprintf("%06d-%s-%s%s", n, at.Format(genTimeForm), g.Hash, genExt))
	if err := WriteFile(g.Path, data, 0o644); err != nil {
		return Generation{}, err
	}
	gens = append(gens, g)
	if h.Keep > 0 && len(gens) > h.Keep {
		// The generation the file holds stays, even when it is old (after a
		// rollback): it is what a failed write is rolled back to.
		cur := h.currentNumber()
		for _, old := range gens[:len(gens)-h.Keep] {
			if old.Number == cur {
				continue
			}
			if err := os.Remove(old.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return g, err
			}
		}
	}
	return g, nil
}

// currentNumber is the generation SetCurrent last recorded, or 0.
func (h History) currentNumber() int {
	raw, err := os.ReadFile(filepath.Join(h.Dir(), currentName))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(string(bytes.TrimSpace(raw)))
	return n
}

// MarkFailed renames a generation to say the gateway did not come back
// healthy with it; a Syncer does not write the same content again.
func (h History) MarkFailed(g Generation) (Generation, error) {
	if g.Failed {
		return g, nil
	}
	name := filepath.Base(g.Path)
	failed := filepath.Join(h.Dir(), name[:len(name)-len(genExt)]+genFailed+genExt)
	if err := os.Rename(g.Path, failed); err != nil {
		return g, err
	}
	g.Path, g.Failed = failed, true
	return g, syncDir(h.Dir())
}

// Failed returns the newest failed generation whose content is data.
func (h History) Failed(data []byte) (Generation, bool, error) {
	gens, err := h.List()
	if err != nil {
		return Generation{}, false, err
	}
	hash := HashPrefix(data)
	for i := len(gens) - 1; i >= 0; i-- {
		if g := gens[i]; g.Failed && g.Hash == hash {
			if kept, err := os.ReadFile(g.Path); err == nil && bytes.Equal(kept, data) {
				return g, true, nil
			}
		}
	}
	return Generation{}, false, nil
}
