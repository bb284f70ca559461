package postgrest

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

type mediaType int

const (
	mediaJSON     mediaType = iota // application/json
	mediaSingular                  // application/vnd.pgrst.object+json
)

func (m mediaType) contentType() string {
	if m == mediaSingular {
		return "application/vnd.pgrst.object+json; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// negotiate picks the response media type from the first Accept header
// (postgrest-go's Single() sends a second one, which PostgREST ignores).
func negotiate(accept string) (mediaType, *apiError) {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON, nil
	}
	type entry struct {
		mime string
		q    float64
	}
	var entries []entry
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mime := strings.ToLower(strings.TrimSpace(fields[0]))
		if mime == "" {
			continue
		}
		q := 1.0
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = n
				}
			}
		}
		entries = append(entries, entry{mime, q})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].q > entries[j].q })
	var names []string
	for _, e := range entries {
		names = append(names, e.mime)
		if e.q <= 0 {
			continue
		}
		switch e.mime {
		case "application/json", "application/*", "*/*":
			return mediaJSON, nil
		case "application/vnd.pgrst.object+json", "application/vnd.pgrst.object":
			return mediaSingular, nil
		}
	}
	return mediaJSON, newErr(http.StatusNotAcceptable, "PGRST107",
		"None of these media types are available: "+strings.Join(names, ", "))
}

// checkContentType accepts JSON request bodies (and a missing Content-Type).
func checkContentType(ct string) *apiError {
	mime := strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	switch mime {
	case "", "application/json", "*/*":
		return nil
	}
	return newErr(http.StatusUnsupportedMediaType, "PGRST107", "None of these media types are available: "+mime)
}
