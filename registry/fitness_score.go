package registry

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// The platform's fitness score, and the Python conversions it relies on.

// Score computes the platform's model fitness from TensorZero metrics t and
// training metrics r (values as DecodeMetrics or encoding/json give them):
// the score rounded to 6 decimals and the nine unrounded components, exactly
// as the platform's normalize_model_fitness does in Python.
func Score(t, r map[string]any) (float64, map[string]float64) {
	success := c01(t["success_rate"], 0.5)
	task := c01(t["task_score"], success)
	tool := c01(t["tool_success_rate"], success)
	structured := c01(t["structured_output_valid_rate"], success)
	fallback := 1.0 - c01(t["fallback_rate"], 0.0)

	latency := 0.5
	if ms, ok := nn(t["latency_ms"]); ok {
		latency = 1.0 / (1.0 + ms/5000.0)
	}
	throughput := 0.5
	if tps, ok := nn(t["tokens_per_second"]); ok && tps != 0 {
		throughput = 1.0
		if q := tps / 80.0; q < 1.0 {
			throughput = q
		}
	}
	cost := 0.5
	if c, ok := nn(t["cost_per_1k_tokens"]); ok {
		cost = 1.0 / (1.0 + c)
	}
	eval := c01(r["eval_score"], task)
	loss := 0.5
	if l, ok := nn(r["loss"]); ok {
		loss = 1.0 / (1.0 + l)
	}
	publish := 0.5
	if pyTruthy(r["publish_eligible"]) {
		publish = 1.0
	}
	// Each product is converted explicitly so that no compiler fuses it with
	// the addition (an FMA would round differently from Python).
	training := float64(eval * 0.6)
	training = training + float64(loss*0.25)
	training = training + float64(publish*0.15)

	s := float64(success * 0.22)
	s = s + float64(task*0.22)
	s = s + float64(tool*0.12)
	s = s + float64(structured*0.10)
	s = s + float64(latency*0.10)
	s = s + float64(throughput*0.07)
	s = s + float64(cost*0.05)
	s = s + float64(fallback*0.05)
	s = s + float64(training*0.07)

	rounded, _ := strconv.ParseFloat(strconv.FormatFloat(c01(s, 0.0), 'f', 6, 64), 64)
	return rounded, map[string]float64{
		"success_rate": success, "task_score": task, "tool_success_rate": tool,
		"structured_output_valid_rate": structured, "latency_score": latency,
		"throughput_score": throughput, "cost_score": cost, "fallback_score": fallback,
		"training_score": training,
	}
}

// c01 is the platform's clamp01: float(v), or d when that fails or is not
// finite, clamped as max(0.0, min(1.0, x)).
func c01(v any, d float64) float64 {
	n, ok := pyFloat(v)
	if !ok || math.IsNaN(n) || math.IsInf(n, 0) {
		n = d
	}
	if !(n < 1.0) {
		n = 1.0
	}
	if !(n > 0.0) {
		n = 0.0
	}
	return n
}

// nn is the platform's _safe_nonnegative_float: max(float(v), 0.0), or false
// when float fails or the value is not finite.
func nn(v any) (float64, bool) {
	n, ok := pyFloat(v)
	if !ok || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, false
	}
	if 0.0 > n {
		n = 0.0
	}
	return n, true
}

// pyFloat is Python's float(v) for a decoded JSON value: numbers, numeric
// strings, booleans (1 and 0). An integer beyond the float64 range gives
// ±Inf where Python raises OverflowError; both end as "unusable".
func pyFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case json.Number:
		n, err := strconv.ParseFloat(string(x), 64)
		return n, err == nil || errors.Is(err, strconv.ErrRange)
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		return parsePyFloat(x)
	}
	return 0, false
}

var pyFloatRE = regexp.MustCompile(`^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$`)

// parsePyFloat is Python 3.11's float(str) for ASCII digits: surrounding
// white space (Unicode's, but not \x1c-\x1f, which str.strip would drop),
// "_" between digits, and inf, infinity and nan in any case, signed. Python
// also maps non-ASCII decimal digits to ASCII; this does not.
func parsePyFloat(s string) (float64, bool) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) <= 1 {
		switch strings.ToLower(body) {
		case "inf", "infinity":
			if s[0] == '-' {
				return math.Inf(-1), true
			}
			return math.Inf(1), true
		case "nan":
			return math.NaN(), true
		}
	}
	if !pyFloatRE.MatchString(s) {
		return 0, false
	}
	n, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	return n, err == nil || errors.Is(err, strconv.ErrRange)
}

// pyTruthy is Python's bool(v) for a decoded JSON value: false, null, 0,
// 0.0, "", [] and {} are false; everything else, "false" included, is true.
func pyTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		if isIntLiteral(string(x)) {
			return strings.Trim(string(x), "-0") != ""
		}
		n, _ := strconv.ParseFloat(string(x), 64)
		return n != 0
	case float64:
		return x != 0
	case int:
		return x != 0
	case int64:
		return x != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}
