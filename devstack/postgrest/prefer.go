package postgrest

import (
	"net/http"
	"strings"
)

// preferences are the Prefer header values PostgREST recognises. The first
// occurrence of each kind wins; unknown ones are kept for handling=strict.
type preferences struct {
	resolution string // merge-duplicates, ignore-duplicates
	ret        string // representation, minimal, headers-only
	count      string // exact, planned, estimated
	missing    string // default, null (insert and update)
	params     string // single-object (function calls)
	handling   string // strict, lenient
	invalid    []string
}

var acceptedPrefs = map[string]bool{
	"resolution=merge-duplicates": true, "resolution=ignore-duplicates": true,
	"return=representation": true, "return=minimal": true, "return=headers-only": true,
	"params=single-object": true,
	"count=exact":          true, "count=planned": true, "count=estimated": true,
	"tx=commit": true, "tx=rollback": true,
	"missing=default": true, "missing=null": true,
	"handling=strict": true, "handling=lenient": true,
}

func parsePrefer(h http.Header) preferences {
	var p preferences
	for _, line := range h.Values("Prefer") {
		for _, raw := range strings.Split(line, ",") {
			v := strings.TrimSpace(raw)
			if !acceptedPrefs[v] {
				if !strings.HasPrefix(v, "max-affected=") {
					p.invalid = append(p.invalid, v)
				}
				continue
			}
			k, val, _ := strings.Cut(v, "=")
			switch k {
			case "resolution":
				setOnce(&p.resolution, val)
			case "return":
				setOnce(&p.ret, val)
			case "count":
				setOnce(&p.count, val)
			case "missing":
				setOnce(&p.missing, val)
			case "params":
				setOnce(&p.params, val)
			case "handling":
				setOnce(&p.handling, val)
			}
		}
	}
	return p
}

func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func (p *preferences) strictError() *apiError {
	if p.handling != "strict" || len(p.invalid) == 0 {
		return nil
	}
	return newErr(http.StatusBadRequest, "PGRST122", "Invalid preferences given with handling=strict").
		withDetails("Invalid preferences: " + strings.Join(p.invalid, ", "))
}

// shouldCount reports whether a total is wanted. count=planned and
// count=estimated are answered with an exact count here.
func (p *preferences) shouldCount() bool { return p.count != "" }

// applyDefaults reports whether columns missing from a body object take
// their DEFAULT (Prefer: missing=default) instead of NULL.
func (p *preferences) applyDefaults() bool { return p.missing == "default" }

// Parts of Preference-Applied an action honours, besides count and handling.
const (
	withResolution = 1 << iota
	withMissing
	withReturn
)

// applied renders Preference-Applied in PostgREST's order (resolution,
// missing, return, count, handling); parts selects what the action honours.
func (p *preferences) applied(parts int) string {
	var out []string
	if parts&withResolution != 0 && p.resolution != "" {
		out = append(out, "resolution="+p.resolution)
	}
	if parts&withMissing != 0 && p.missing != "" {
		out = append(out, "missing="+p.missing)
	}
	if parts&withReturn != 0 && p.ret != "" {
		out = append(out, "return="+p.ret)
	}
	if p.count != "" {
		out = append(out, "count="+p.count)
	}
	if p.handling != "" {
		out = append(out, "handling="+p.handling)
	}
	return strings.Join(out, ", ")
}
