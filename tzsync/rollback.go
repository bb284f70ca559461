package tzsync

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// RollbackResult is what Rollback did: it restored To over the file's
// content, From. Adopted says From was not a generation yet and was kept as
// a new one first, so that nothing is lost.
type RollbackResult struct {
	From, To Generation
	Adopted  bool
	HadFile  bool
}

// Rollback restores a generation of h.File atomically, keeping the file's
// mode: generation to, or with to 0 the newest one before the file's current
// generation whose content differs from it and which did not fail. A file
// that is no generation yet (edited by hand) is first kept as a new one.
// Rolling back again steps further back.
func Rollback(h History, to int, now time.Time) (RollbackResult, error) {
	var res RollbackResult
	data, err := os.ReadFile(h.File)
	switch {
	case err == nil:
		res.HadFile = true
		cur, found, err := h.Current(data)
		if err != nil {
			return res, err
		}
		if !found {
			if cur, err = h.Record(data, now); err != nil {
				return res, fmt.Errorf("keep the current file as a generation: %w", err)
			}
			res.Adopted = true
		}
		res.From = cur
	case !errors.Is(err, fs.ErrNotExist) || to == 0:
		return res, err
	}
	if to > 0 {
		if res.To, err = h.Find(to); err != nil {
			return res, err
		}
	} else if res.To, err = previous(h, res.From); err != nil {
		return res, err
	}
	content, err := h.Read(res.To)
	if err != nil {
		return res, err
	}
	if err := WriteFile(h.File, content, 0o644); err != nil {
		return res, err
	}
	return res, h.SetCurrent(res.To)
}

// previous is the newest generation before cur that did not fail and whose
// content differs from cur's.
func previous(h History, cur Generation) (Generation, error) {
	gens, err := h.List()
	if err != nil {
		return Generation{}, err
	}
	for i := len(gens) - 1; i >= 0; i-- {
		if g := gens[i]; g.Number < cur.Number && !g.Failed && g.Hash != cur.Hash {
			return g, nil
		}
	}
	return Generation{}, fmt.Errorf("no generation before %d to roll back to (kept: %s)", cur.Number, numbers(gens))
}
