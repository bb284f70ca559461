package supabase

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// Each PostgREST request costs a JWT check, a transaction and a role switch
// whatever it writes, so a batch of GPU node events is recorded with as few
// requests as its events allow: one read resolving the models named by
// provider id, one bulk insert of the new (model, node) pairs, one read of
// the pairs that already existed, then one guarded update per event that
// changes an existing pair.

// batchUpdaters bounds the guarded updates of one batch in flight at once;
// the events of one pair are applied one after the other.
const batchUpdaters = 4

// filterBudget bounds the percent-encoded length of one or=(…) filter. The
// proxies in front of PostgREST limit the request line (nginx, and so Kong,
// to 8 KB by default), so a read for a large batch is split.
const filterBudget = 4000

// RecordDeployments records what GPU nodes announced: event i registers
// regs[i] as observed at observed[i]. The model is regs[i].ModelID (a UUID)
// or regs[i].ProviderType + ProviderModelID. It implements events.Store.
//
// For each event it returns the deployment as it is now (the table row,
// without the view's model fields), whether the event was applied, and an
// error: registry.ErrNotFound for an unknown model, registry.ErrConflict when
// several models match, or a failure of the store. A deployment whose state
// was observed later than the event is left alone (not applied), so
// reordered or redelivered events cannot flip a state back; the guard is
// part of each update's filter, so replicas applying events for one pair at
// once cannot interleave into an older state either. last_seen_at only moves
// forward. The events of one pair take effect in slice order.
//
// When the bulk insert fails for a reason other than an unavailable store
// (say one model was deleted meanwhile), each pair is recorded on its own,
// so that only the events at fault fail.
//
// A batch is many requests, one per updated event: each has the client's
// deadline, and only ctx bounds the whole batch, so that a slow database
// does not fail the end of every large batch.
func (c *Client) RecordDeployments(ctx context.Context, regs []registry.DeploymentRegistration, observed []time.Time) ([]registry.Deployment, []bool, []error) {
	n := len(regs)
	b := &eventBatch{c: c, regs: regs, observed: make([]time.Time, n), models: make([]string, n),
		states: make([]deploymentState, n), applied: make([]bool, n), errs: make([]error, n)}
	for i := range regs {
		if i >= len(observed) {
			b.errs[i] = fmt.Errorf("supabase: no observation time for event %d", i)
			continue
		}
		b.observed[i] = observed[i].UTC()
		if err := regs[i].Validate(); err != nil {
			b.errs[i] = err
		}
	}
	b.resolve(ctx)
	groups := b.group()
	b.insert(ctx, groups)
	b.update(ctx, groups)
	ds := make([]registry.Deployment, n)
	for i := range ds {
		ds[i] = b.states[i].Deployment
	}
	return ds, b.applied, b.errs
}

// eventBatch is one RecordDeployments call: its events and, per event, the
// resolved model and the result.
type eventBatch struct {
	c        *Client
	regs     []registry.DeploymentRegistration
	observed []time.Time
	models   []string // model id of each event, once resolved
	states   []deploymentState
	applied  []bool
	errs     []error
}

// pairEvents are the events of a batch for one (model, node), in order.
type pairEvents struct {
	key    pairKey
	events []int
	next   int              // events[:next] are settled
	state  *deploymentState // the row as last seen; nil: not known
	alone  bool             // record the rest on its own (recordOne)
}

type pairKey struct{ model, node string }

// modelKey names a model by its provider's type and the provider's model id.
type modelKey struct {
	pt registry.ProviderType
	id string
}

// resolve finds the models of the events that name one by provider id.
func (b *eventBatch) resolve(ctx context.Context) {
	var keys []modelKey
	byKey := map[modelKey][]int{}
	for i, r := range b.regs {
		switch {
		case b.errs[i] != nil:
		case r.ModelID != "":
			b.models[i] = strings.ToLower(r.ModelID)
		default:
			k := modelKey{deploymentProviders[r.ProviderType], r.ProviderModelID}
			if byKey[k] == nil {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], i)
		}
	}
	if len(keys) == 0 {
		return
	}
	for k, res := range b.c.resolveProviderModels(ctx, keys) {
		for _, i := range byKey[k] {
			b.models[i], b.errs[i] = res.id, res.err
		}
	}
}

type resolution struct {
	id  string
	err error
}

// resolveProviderModels resolves several models as resolveProviderModel
// does, with one read per filterBudget of keys.
func (c *Client) resolveProviderModels(ctx context.Context, keys []modelKey) map[modelKey]resolution {
	out := make(map[modelKey]resolution, len(keys))
	conds := make([]string, len(keys))
	for i, k := range keys {
		conds[i] = "and(" + condEq("provider_type", string(k.pt)) + "," + condEq("model_id", k.id) + ")"
	}
	for _, span := range splitConds(conds) {
		chunk := keys[span[0]:span[1]]
		q := newQuery(candidateColumns).or(conds[span[0]:span[1]]...).order("provider_name.asc,id.asc").
			set("limit", strconv.Itoa(maxRows))
		var rows []modelCandidate
		resp, err := c.do(ctx, http.MethodGet, viewModels, q.encode(), "", nil)
		if err == nil {
			rows, err = decodeRows[modelCandidate](c, resp.status, resp.body)
		}
		if err == nil && len(rows) >= maxRows { // perhaps cut short: one read per model
			for _, k := range chunk {
				id, err := c.resolveProviderModel(ctx, k.pt, k.id)
				out[k] = resolution{id, err}
			}
			continue
		}
		found := map[modelKey][]modelCandidate{}
		for _, r := range rows {
			k := modelKey{r.ProviderType, r.ModelID}
			found[k] = append(found[k], r)
		}
		for _, k := range chunk {
			if err != nil {
				out[k] = resolution{err: err}
				continue
			}
			id, perr := pickModel(k.pt, k.id, found[k])
			out[k] = resolution{id, perr}
		}
	}
	return out
}

// group gathers the resolved events by (model, node), in order of first
// appearance.
func (b *eventBatch) group() []*pairEvents {
	byKey := map[pairKey]*pairEvents{}
	var groups []*pairEvents
	for i := range b.regs {
		if b.errs[i] != nil {
			continue
		}
		k := pairKey{b.models[i], b.regs[i].NodeID}
		g := byKey[k]
		if g == nil {
			g = &pairEvents{key: k}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.events = append(g.events, i)
	}
	return groups
}

// insert inserts the first event of every pair in one request. ON CONFLICT
// DO NOTHING returns only the rows it inserted: those events are applied,
// and the pairs' rows are known for the events that follow.
func (b *eventBatch) insert(ctx context.Context, groups []*pairEvents) {
	if len(groups) == 0 {
		return
	}
	rows := make([]deploymentRow, len(groups))
	for j, g := range groups {
		i := g.events[0]
		rows[j] = newDeploymentRow(b.regs[i], g.key.model, b.observed[i])
	}
	inserted, err := b.c.insertDeployments(ctx, rows)
	if err != nil {
		if errors.Is(err, registry.ErrUnavailable) || ctx.Err() != nil ||
			(len(groups) == 1 && len(groups[0].events) == 1) {
			for _, g := range groups {
				b.fail(g, insertError(err, g.key.model))
			}
			return
		}
		for _, g := range groups {
			g.alone = true
		}
		return
	}
	byKey := make(map[pairKey]deploymentState, len(inserted))
	for _, st := range inserted {
		byKey[pairKey{st.ModelID, st.NodeID}] = st
	}
	for _, g := range groups {
		if st, ok := byKey[g.key]; ok {
			i := g.events[0]
			b.states[i], b.applied[i] = st, true
			g.state, g.next = &st, 1
		}
	}
}

// update applies the events not settled by the insert: it reads the rows of
// the pairs that existed before, in one request, then updates pairs in
// parallel and the events of each pair in order.
func (b *eventBatch) update(ctx context.Context, groups []*pairEvents) {
	var todo, unknown []*pairEvents
	for _, g := range groups {
		if g.next < len(g.events) {
			todo = append(todo, g)
			if g.state == nil && !g.alone {
				unknown = append(unknown, g)
			}
		}
	}
	if len(unknown) > 0 {
		keys := make([]pairKey, len(unknown))
		for j, g := range unknown {
			keys[j] = g.key
		}
		states, err := b.c.deploymentStates(ctx, keys)
		for _, g := range unknown {
			switch st, ok := states[g.key]; {
			case err != nil:
				b.fail(g, err)
			case ok:
				g.state = &st
			default: // deleted since the insert: start over
				g.alone = true
			}
		}
	}
	eachPair(todo, func(g *pairEvents) {
		for ; g.next < len(g.events); g.next++ {
			i := g.events[g.next]
			var st deploymentState
			var err error
			if g.alone {
				st, b.applied[i], err = b.c.recordOne(ctx, b.regs[i], g.key.model, b.observed[i])
			} else {
				st, b.applied[i], err = b.c.applyGuarded(ctx, *g.state, b.regs[i], b.observed[i])
			}
			b.states[i], b.errs[i] = st, err
			if err != nil {
				g.alone = true // the row is not known any more
			} else {
				g.state = &st
			}
		}
	})
}

// fail settles the pair's remaining events with err.
func (b *eventBatch) fail(g *pairEvents, err error) {
	for ; g.next < len(g.events); g.next++ {
		b.errs[g.events[g.next]] = err
	}
}

// eachPair runs f for every pair, batchUpdaters at once.
func eachPair(groups []*pairEvents, f func(*pairEvents)) {
	if len(groups) == 1 {
		f(groups[0])
		return
	}
	sem := make(chan struct{}, batchUpdaters)
	var wg sync.WaitGroup
	for _, g := range groups {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(g)
		}()
	}
	wg.Wait()
}

// deploymentStates reads the deployments of several (model, node) pairs;
// a pair without one is missing from the map.
func (c *Client) deploymentStates(ctx context.Context, keys []pairKey) (map[pairKey]deploymentState, error) {
	conds := make([]string, len(keys))
	for i, k := range keys {
		conds[i] = "and(" + condEq("model_id", k.model) + "," + condEq("node_id", k.node) + ")"
	}
	out := make(map[pairKey]deploymentState, len(keys))
	for _, span := range splitConds(conds) {
		q := newQuery("*").or(conds[span[0]:span[1]]...)
		resp, err := c.do(ctx, http.MethodGet, tableDeployments, q.encode(), "", nil)
		if err != nil {
			return nil, err
		}
		rows, err := decodeRows[deploymentState](c, resp.status, resp.body)
		if err != nil {
			return nil, err
		}
		for _, st := range rows {
			out[pairKey{st.ModelID, st.NodeID}] = st
		}
	}
	return out, nil
}

// splitConds cuts conditions of an or=(…) filter into spans [from, to)
// whose encoded filter stays within filterBudget (a single longer condition
// makes a span of its own).
func splitConds(conds []string) [][2]int {
	var spans [][2]int
	from, size := 0, 0
	for i, c := range conds {
		n := len(url.QueryEscape(c)) + 3 // and the encoded comma
		if i > from && size+n > filterBudget {
			spans = append(spans, [2]int{from, i})
			from, size = i, 0
		}
		size += n
	}
	if from < len(conds) {
		spans = append(spans, [2]int{from, len(conds)})
	}
	return spans
}
