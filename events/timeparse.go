package events

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// earliest is the oldest event time believed; anything before is taken as a
// unit mistake and ignored.
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// layouts are the textual times accepted besides numbers.
var layouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	time.RFC1123Z,
	time.RFC1123,
}

// parseTime reads a JSON time liberally: an RFC 3339 (or similar) string,
// or unix seconds, milliseconds, microseconds or nanoseconds as a number or
// numeric string; the unit follows from the magnitude. Zone-less text is UTC.
func parseTime(raw json.RawMessage) (time.Time, bool) {
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" {
		return time.Time{}, false
	}
	if s, err := strconv.Unquote(t); err == nil {
		t = strings.TrimSpace(s)
		for _, l := range layouts {
			if v, err := time.Parse(l, t); err == nil {
				return sane(v.UTC())
			}
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return time.Time{}, false
	}
	whole, frac, _ := strings.Cut(t, ".")
	if n, err := strconv.ParseUint(whole, 10, 63); err == nil && digitsOnly(frac) { // exact
		unit := unitOf(float64(n))
		if unit > 1 && n > math.MaxInt64/uint64(unit) {
			return time.Time{}, false
		}
		ns := int64(n) * unit
		if frac != "" && unit > 1 {
			frac = (frac + "000000000")[:9] // billionths of a unit
			f, _ := strconv.ParseInt(frac, 10, 64)
			ns += f * unit / 1e9
		}
		return sane(time.Unix(0, ns).UTC())
	}
	ns := f * float64(unitOf(f)) // exponent notation: microsecond precision
	if ns > math.MaxInt64 {
		return time.Time{}, false
	}
	return sane(time.Unix(0, int64(math.Round(ns/1e3))*1e3).UTC())
}

// unitOf guesses the unit of a unix time from its magnitude, in nanoseconds:
// seconds up to the year 5138, then milliseconds, microseconds, nanoseconds.
func unitOf(v float64) int64 {
	switch {
	case v < 1e11:
		return 1e9
	case v < 1e14:
		return 1e6
	case v < 1e17:
		return 1e3
	}
	return 1
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func sane(t time.Time) (time.Time, bool) {
	if t.Before(earliest) {
		return time.Time{}, false
	}
	return t, true
}

// observedAt is when an event happened: its own time, capped by the time
// the message reached the stream (or arrived); an event cannot have happened
// after it was stored, and a node clock running ahead must not pin a
// deployment in the future. received is never zero.
func observedAt(ts, received time.Time) time.Time {
	if ts.IsZero() || ts.After(received) {
		return received
	}
	return ts
}
