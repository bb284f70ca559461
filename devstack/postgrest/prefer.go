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
	missing    string // default, null (accepted, not applied)
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

// applied renders Preference-Applied in PostgREST's order. withResolution
// and withReturn select the parts the action honours.
func (p *preferences) applied(withResolution, withReturn bool) string {
	var parts []string
	if withResolution && p.resolution != "" {
		parts = append(parts, "resolution="+p.resolution)
	}
	if withReturn && p.ret != "" {
		parts = append(parts, "return="+p.ret)
	}
	if p.count != "" {
		parts = append(parts, "count="+p.count)
	}
	if p.handling != "" {
		parts = append(parts, "handling="+p.handling)
	}
	return strings.Join(parts, ", ")
}
