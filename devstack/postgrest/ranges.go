package postgrest

import (
	"math"
	"regexp"
	"strconv"
)

// rng is a non-negative row range [lo, hi], or [lo, ∞) when inf is set.
type rng struct {
	lo, hi int64
	inf    bool
}

var allRows = rng{inf: true}

func (r rng) empty() bool { return !r.inf && r.hi < r.lo }

// size is the number of rows in the range, or -1 when unbounded.
func (r rng) size() int64 {
	if r.inf {
		return -1
	}
	return r.hi - r.lo + 1
}

func (r rng) intersect(o rng) rng {
	out := rng{lo: max(r.lo, o.lo)}
	switch {
	case r.inf && o.inf:
		out.inf = true
	case r.inf:
		out.hi = o.hi
	case o.inf:
		out.hi = r.hi
	default:
		out.hi = min(r.hi, o.hi)
	}
	return out
}

var rangeHeaderRE = regexp.MustCompile(`^([0-9]+)-([0-9]*)$`)

// parseRangeHeader reads "Range: a-b" or "a-"; anything else means all rows.
func parseRangeHeader(h string) rng {
	m := rangeHeaderRE.FindStringSubmatch(h)
	if m == nil {
		return allRows
	}
	lo, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return allRows
	}
	if m[2] == "" {
		return rng{lo: lo, inf: true}
	}
	hi, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return allRows
	}
	return rng{lo: lo, hi: hi}
}

// topRange combines limit/offset with the Range header (GET only) like
// PostgREST's getRanges, then applies the max-rows cap.
func topRange(isGet bool, limit, offset *int64, rangeHeader string, maxRows int) (rng, *apiError) {
	limitRange := allRows
	switch {
	case limit != nil && offset != nil && *limit > 0 && *offset > math.MaxInt64-*limit:
		limitRange = rng{lo: *offset, inf: true} // beyond any table
	case limit != nil && offset != nil:
		limitRange = rng{lo: *offset, hi: *offset + *limit - 1}
	case limit != nil:
		limitRange = rng{lo: 0, hi: *limit - 1}
	case offset != nil:
		limitRange = rng{lo: *offset, inf: true}
	}
	header := allRows
	if isGet && rangeHeader != "" {
		header = parseRangeHeader(rangeHeader)
	}
	top := header.intersect(limitRange)
	if limitRange.size() == 0 {
		top = rng{lo: 0, hi: -1}
	} else if top.empty() {
		if header.empty() {
			return top, rangeError("The lower boundary must be lower than or equal to the upper boundary in the Range header.")
		}
		return top, rangeError("Limit should be greater than or equal to zero.")
	}
	if maxRows > 0 && top.lo <= math.MaxInt64-int64(maxRows) {
		top = top.intersect(rng{lo: 0, hi: top.lo + int64(maxRows) - 1})
	}
	return top, nil
}

// contentRange renders Content-Range like PostgREST's contentRangeH.
func contentRange(lower, upper int64, total *int64) string {
	tot := "*"
	if total != nil {
		tot = strconv.FormatInt(*total, 10)
	}
	if (total == nil || *total != 0) && lower <= upper {
		return strconv.FormatInt(lower, 10) + "-" + strconv.FormatInt(upper, 10) + "/" + tot
	}
	return "*/" + tot
}

// readStatus is PostgREST's rangeStatusHeader: 416 when the offset is past
// the counted total, 206 for a partial counted page, else 200.
func readStatus(r rng, pageTotal int64, total *int64) (int, string) {
	lower := r.lo
	upper := lower + pageTotal - 1
	cr := contentRange(lower, upper, total)
	if total == nil {
		return 200, cr
	}
	switch {
	case lower > *total:
		return 416, cr
	case 1+upper-lower < *total:
		return 206, cr
	}
	return 200, cr
}
