package postgrest

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// fuzzyBest returns the candidate closest to query with a score of at least
// minScore, or "" when none is. It follows the fuzzyset package behind
// PostgREST's "Perhaps you meant…" hints: candidates sharing a 3-gram (else
// a 2-gram) of the normalised strings with the query are ranked by the
// grams' cosine similarity, and the best 50 are scored by the normalised
// Levenshtein similarity of the lower-cased strings. An exact (case
// insensitive) match wins outright.
func fuzzyBest(candidates []string, query string, minScore float64) string {
	q := strings.ToLower(query)
	for _, c := range candidates {
		if strings.ToLower(c) == q {
			return c
		}
	}
	for _, size := range []int{3, 2} {
		qv := gramVector(query, size)
		qmag := gramNorm(qv)
		type match struct {
			cand  string
			score float64
		}
		var ms []match
		for _, c := range candidates {
			cv := gramVector(c, size)
			dot := 0
			for g, n := range qv {
				dot += n * cv[g]
			}
			if dot > 0 {
				ms = append(ms, match{c, float64(dot) / (qmag * gramNorm(cv))})
			}
		}
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].score > ms[j].score })
		if len(ms) > 50 {
			ms = ms[:50]
		}
		for i := range ms {
			ms[i].score = similarity(q, strings.ToLower(ms[i].cand))
		}
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].score > ms[j].score })
		if len(ms) > 0 && ms[0].score >= minScore {
			return ms[0].cand
		}
	}
	return ""
}

// gramVector counts the n-grams of s lower-cased, stripped of everything but
// letters, digits, white space and commas, and enclosed in "-".
func gramVector(s string, n int) map[string]int {
	var b strings.Builder
	b.WriteByte('-')
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r) || r == ',' {
			b.WriteRune(r)
		}
	}
	b.WriteByte('-')
	rs := []rune(b.String())
	out := map[string]int{}
	for i := 0; i+n <= len(rs); i++ {
		out[string(rs[i:i+n])]++
	}
	return out
}

func gramNorm(v map[string]int) float64 {
	sum := 0
	for _, n := range v {
		sum += n * n
	}
	return math.Sqrt(float64(sum))
}
