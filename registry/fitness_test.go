package registry_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pmoves/model-registry/registry"
)

// The expected values in this file were produced by the platform's Python
// (normalize_model_fitness, json.dumps, repr) and pasted here; the tests do
// not run Python.

func metrics(t *testing.T, raw string) map[string]any {
	t.Helper()
	m, err := registry.DecodeMetrics(json.RawMessage(raw))
	if err != nil {
		t.Fatalf("DecodeMetrics(%s): %v", raw, err)
	}
	return m
}

// norm builds the nine components from the values that differ from the
// all-defaults case (every component 0.5, fallback_score 1.0).
func norm(changes map[string]float64) map[string]float64 {
	m := map[string]float64{
		"success_rate": 0.5, "task_score": 0.5, "tool_success_rate": 0.5,
		"structured_output_valid_rate": 0.5, "latency_score": 0.5, "throughput_score": 0.5,
		"cost_score": 0.5, "fallback_score": 1.0, "training_score": 0.5,
	}
	for k, v := range changes {
		m[k] = v
	}
	return m
}

func TestScore(t *testing.T) {
	cases := []struct {
		name  string
		t, r  string
		score float64
		norm  map[string]float64
	}{
		{"empty metrics", `{}`, `{}`, 0.525, norm(nil)},
		{"vector", `{"success_rate":0.9,"task_score":0.8}`, `{"eval_score":0.8,"publish_eligible":true}`, 0.78485,
			norm(map[string]float64{"success_rate": 0.9, "task_score": 0.8, "tool_success_rate": 0.9,
				"structured_output_valid_rate": 0.9, "training_score": 0.755})},
		{"tps 0 counts as missing", `{"tokens_per_second":0}`, `{}`, 0.525, norm(nil)},
		{"tps 8", `{"tokens_per_second":8}`, `{}`, 0.497, norm(map[string]float64{"throughput_score": 0.1})},
		{"tps above 80", `{"tokens_per_second":160.5}`, `{}`, 0.56, norm(map[string]float64{"throughput_score": 1.0})},
		{"negative tps is 0", `{"tokens_per_second":-4}`, `{}`, 0.525, norm(nil)},
		{`"false" is truthy`, `{}`, `{"publish_eligible":"false"}`, 0.53025, norm(map[string]float64{"training_score": 0.575})},
		{"publish false", `{}`, `{"publish_eligible":false}`, 0.525, norm(nil)},
		{"publish 0.0", `{}`, `{"publish_eligible":0.0}`, 0.525, norm(nil)},
		{"publish non-empty list", `{}`, `{"publish_eligible":[0]}`, 0.53025, norm(map[string]float64{"training_score": 0.575})},
		{"latency 2500", `{"latency_ms":2500}`, `{}`, 0.541667, norm(map[string]float64{"latency_score": 0.6666666666666666})},
		{"latency 0", `{"latency_ms":0}`, `{}`, 0.575, norm(map[string]float64{"latency_score": 1.0})},
		{"negative latency is 0", `{"latency_ms":-10}`, `{}`, 0.575, norm(map[string]float64{"latency_score": 1.0})},
		{"latency null", `{"latency_ms":null}`, `{}`, 0.525, norm(nil)},
		{"latency nan", `{"latency_ms":"nan"}`, `{}`, 0.525, norm(nil)},
		{"latency numeric string", `{"latency_ms":" 1_250.5 "}`, `{}`, 0.554994, norm(map[string]float64{"latency_score": 0.7999360051195904})},
		{"latency true", `{"latency_ms":true}`, `{}`, 0.57498, norm(map[string]float64{"latency_score": 0.9998000399920016})},
		{"non-finite gives the default", `{"success_rate":"-Infinity","task_score":"inf"}`, `{}`, 0.525, norm(nil)},
		{"overflowing literal", `{"success_rate":1e400}`, `{}`, 0.525, norm(nil)},
		{"clamp", `{"success_rate":1.7,"task_score":-0.3,"fallback_rate":2}`, `{}`, 0.564,
			norm(map[string]float64{"success_rate": 1.0, "task_score": 0.0, "tool_success_rate": 1.0,
				"structured_output_valid_rate": 1.0, "fallback_score": 0.0, "training_score": 0.2})},
		{"strings float() refuses", `{"success_rate":"0x1","task_score":"","tool_success_rate":"1__0"}`, `{}`, 0.525, norm(nil)},
		{"booleans", `{"success_rate":true,"task_score":false}`, `{}`, 0.614,
			norm(map[string]float64{"success_rate": 1.0, "task_score": 0.0, "tool_success_rate": 1.0,
				"structured_output_valid_rate": 1.0, "training_score": 0.2})},
		{"cost", `{"cost_per_1k_tokens":0.25}`, `{}`, 0.54, norm(map[string]float64{"cost_score": 0.8})},
		{"cost null", `{"cost_per_1k_tokens":null}`, `{}`, 0.525, norm(nil)},
		{"loss", `{}`, `{"loss":3,"eval_score":0.1}`, 0.503825, norm(map[string]float64{"training_score": 0.1975})},
		{"loss unusable", `{}`, `{"loss":"x"}`, 0.525, norm(nil)},
		{"objects are unusable", `{"success_rate":{"v":1},"latency_ms":[1]}`, `{"eval_score":[0.9]}`, 0.525, norm(nil)},
		{"collector", `{"success_rate":0.97,"task_score":0.97,"tool_success_rate":0.5,"structured_output_valid_rate":0.5,"latency_ms":1234.5,"tokens_per_second":42.25,"cost_per_1k_tokens":null,"fallback_rate":0.01}`,
			`{"publish_eligible":false}`, 0.783208, norm(map[string]float64{"success_rate": 0.97, "task_score": 0.97,
				"latency_score": 0.8019889325527307, "throughput_score": 0.528125, "fallback_score": 0.99,
				"training_score": 0.7819999999999999})},
		{"bridge", `{"throughput_tps":31.5,"latency_ms":850.0,"errors":2,"total_requests":40}`, `{}`, 0.56047,
			norm(map[string]float64{"latency_score": 0.8547008547008548})},
		{"everything", `{"success_rate":0.93,"task_score":"0.71","tool_success_rate":0.66,"structured_output_valid_rate":0.99,"latency_ms":3333,"tokens_per_second":77.7,"cost_per_1k_tokens":0.003,"fallback_rate":0.125}`,
			`{"eval_score":0.81,"loss":0.42,"publish_eligible":1}`, 0.817434, map[string]float64{
				"success_rate": 0.93, "task_score": 0.71, "tool_success_rate": 0.66, "structured_output_valid_rate": 0.99,
				"latency_score": 0.6000240009600385, "throughput_score": 0.9712500000000001, "cost_score": 0.9970089730807579,
				"fallback_score": 0.875, "training_score": 0.812056338028169}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			score, n := registry.Score(metrics(t, c.t), metrics(t, c.r))
			if score != c.score {
				t.Errorf("score = %v, want %v", score, c.score)
			}
			if diff := cmp.Diff(c.norm, n); diff != "" {
				t.Errorf("normalized (-want +got):\n%s", diff)
			}
			// encoding/json's float64 values score the same as json.Number.
			var pt, pr map[string]any
			if json.Unmarshal([]byte(c.t), &pt) == nil && json.Unmarshal([]byte(c.r), &pr) == nil {
				if s, _ := registry.Score(pt, pr); s != score {
					t.Errorf("score from float64 maps = %v, from json.Number %v", s, score)
				}
			}
		})
	}
}

// TestScoreParsesStringsLikePythonFloat reads tokens_per_second, whose
// throughput is v/80 when float(v) works and is not 0, else 0.5.
func TestScoreParsesStringsLikePythonFloat(t *testing.T) {
	for in, want := range map[string]float64{
		"8": 0.1, "  8\n": 0.1, "+8": 0.1, "8.": 0.1, ".8e1": 0.1, "8E0": 0.1, "0_8": 0.1, "1_6_0": 1,
		"1e1_0": 1, "\u00a08\u2003": 0.1, "\u00858\u3000": 0.1, "\x1c8\x1f": 0.5, "\u200b8": 0.5, "-8": 0.5, "8_": 0.5, "_8": 0.5, "8__0": 0.5,
		"0x8": 0.5, "8 0": 0.5, "": 0.5, ".": 0.5, "e8": 0.5, "inf": 0.5, "-Infinity": 0.5, "NaN": 0.5,
		"infinite": 0.5, "++8": 0.5, "8e": 0.5,
	} {
		_, n := registry.Score(map[string]any{"tokens_per_second": in}, nil)
		if got := n["throughput_score"]; got != want {
			t.Errorf("tokens_per_second %q: throughput_score = %v, want %v", in, got, want)
		}
	}
}

func TestCanonicalJSON(t *testing.T) {
	floats := []any{0.0, 1.0, -1.5, 0.1, 0.30000000000000004, 1e-05, 0.0001, 0.00012345, 1e16, 1e15,
		1.5e16, 123456789012345678.0, 9999999999999998.0, 5e-324, 1.7976931348623157e+308, 100.0, 1e22, 2.5e-7,
		1234.5678, 0.78485, -3.0e-10, 1e100, 0.6666666666666666}
	const wantFloats = `[0.0,1.0,-1.5,0.1,0.30000000000000004,1e-05,0.0001,0.00012345,1e+16,1000000000000000.0,` +
		`1.5e+16,1.2345678901234568e+17,9999999999999998.0,5e-324,1.7976931348623157e+308,100.0,1e+22,2.5e-07,` +
		`1234.5678,0.78485,-3e-10,1e+100,0.6666666666666666]`
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"python float repr", floats, wantFloats},
		{"caller JSON", json.RawMessage(`{"b":[1,2.0,1e-7,"é😀<>&/\u007f\u0001\t\"\\` + "\u2028" + `"],"a":{"z":null,"y":true,"x":false},` +
			`"c":-0,"d":1E2,"e":123456789012345678901234567890,"é":1,"Z":2,"_":3,"f":-0.0,"g":1e-400,"h":5.0e0,"😀":[],"ÿ":{}}`),
			`{"Z":2,"_":3,"a":{"x":false,"y":true,"z":null},"b":[1,2.0,1e-07,"\u00e9\ud83d\ude00<>&/\u007f\u0001\t\"\\\u2028"],` +
				`"c":0,"d":100.0,"e":123456789012345678901234567890,"f":-0.0,"g":0.0,"h":5.0,"\u00e9":1,"\u00ff":{},"\ud83d\ude00":[]}`},
		{"non-finite as Python writes them", []any{nanValue(), infValue(1), infValue(-1)}, `[NaN,Infinity,-Infinity]`},
		{"go values", map[string]any{"n": map[string]float64{"b": 1, "a": 0.5}, "l": []string{"x"}, "i": 7, "j": int64(-2)},
			`{"i":7,"j":-2,"l":["x"],"n":{"a":0.5,"b":1.0}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := registry.CanonicalJSON(c.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
	negative, _ := registry.CanonicalJSON(negZeroValue())
	if string(negative) != "-0.0" {
		t.Errorf("-0.0 is written %s", negative)
	}
	if _, err := registry.CanonicalJSON(struct{}{}); err == nil {
		t.Error("an unsupported type must be an error")
	}
}

func nanValue() float64         { return zero() / zero() }
func infValue(sign int) float64 { return float64(sign) / zero() }
func negZeroValue() float64     { return -zero() }
func zero() float64             { return 0 }

// vectorInput is the FITNESS.md signing vector as a request body.
const vectorInput = `{"model_id":"Qwen/Qwen2.5-Coder-7B-Instruct","source":"tensorzero","lane":"coding_agents",
	"tensorzero_metrics":{"success_rate":0.9,"task_score":0.8},
	"training_metrics":{"eval_score":0.8,"publish_eligible":true},
	"run_id":"run-1","agent_id":"agent-zero-codex"}`

var vectorTime = time.Date(2026, 5, 22, 1, 2, 3, 4000, time.UTC)

func decodeFitness(t *testing.T, body string) registry.FitnessInput {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	var in registry.FitnessInput
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return in
}

func vectorEvent(t *testing.T) registry.FitnessEvent {
	t.Helper()
	in := decodeFitness(t, vectorInput)
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	e, err := registry.NewFitnessEvent(in, vectorTime)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestSignVector(t *testing.T) {
	e := vectorEvent(t)
	const wantBytes = `{"agent_id":"agent-zero-codex","lane":"coding_agents","metrics":{"normalized":{"cost_score":0.5,` +
		`"fallback_score":1.0,"latency_score":0.5,"structured_output_valid_rate":0.9,"success_rate":0.9,"task_score":0.8,` +
		`"throughput_score":0.5,"tool_success_rate":0.9,"training_score":0.755},"tensorzero":{"success_rate":0.9,` +
		`"task_score":0.8},"training":{"eval_score":0.8,"publish_eligible":true}},"model_id":"Qwen/Qwen2.5-Coder-7B-Instruct",` +
		`"run_id":"run-1","score":0.78485,"source":"tensorzero","timestamp":"2026-05-22T01:02:03.000004+00:00"}`
	got, err := e.SigningBytes()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != wantBytes {
		t.Errorf("signing bytes\n got %s\nwant %s", got, wantBytes)
	}
	sig, err := registry.Sign(e, env(map[string]string{"CHIT_SIGNING_KEY": "test-model-fitness-secret"}))
	if err != nil {
		t.Fatal(err)
	}
	want := registry.Signature{Alg: "HMAC-SHA256", KID: "chit-signing-v01", HMAC: "7T8euCtsz2bUPcneRKB+F9h+/hECpA20zffWMiGtu58="}
	if sig != want {
		t.Errorf("signature = %+v, want %+v", sig, want)
	}
}

func TestSignKeySources(t *testing.T) {
	e := vectorEvent(t)
	msg, _ := e.SigningBytes()
	macOf := func(key string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write(msg)
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyFile := write("key", " \tfrom-file\r\n\n")
	passFile := write("pass", "pass-file\n")
	blank := write("blank", "\n \n")
	missing := filepath.Join(dir, "missing")

	cases := []struct {
		name    string
		vars    map[string]string
		kid     string
		wantKey string
	}{
		{"per-kid key first", map[string]string{"CHIT_SIGNING_KEY__CHIT_SIGNING_V01": "kid-key", "CHIT_SIGNING_KEY": "k"}, "chit-signing-v01", "kid-key"},
		{"per-kid file", map[string]string{"CHIT_SIGNING_KEY__CHIT_SIGNING_V01_FILE": keyFile, "CHIT_SIGNING_KEY": "k"}, "chit-signing-v01", "from-file"},
		{"configured kid", map[string]string{"CHIT_SIGNING_KEY_ID": "agent-b850-claude", "CHIT_SIGNING_KEY__AGENT_B850_CLAUDE": "agent-key",
			"CHIT_SIGNING_KEY__CHIT_SIGNING_V01": "other"}, "agent-b850-claude", "agent-key"},
		{"configured kid without its own key", map[string]string{"CHIT_SIGNING_KEY_ID": "k2", "CHIT_SIGNING_KEY": "deployment"}, "k2", "deployment"},
		{"key before its file", map[string]string{"CHIT_SIGNING_KEY": "k", "CHIT_SIGNING_KEY_FILE": keyFile}, "chit-signing-v01", "k"},
		{"key file trimmed", map[string]string{"CHIT_SIGNING_KEY_FILE": keyFile, "CHIT_PASSPHRASE": "p"}, "chit-signing-v01", "from-file"},
		{"missing file skipped", map[string]string{"CHIT_SIGNING_KEY_FILE": missing, "CHIT_PASSPHRASE": "p"}, "chit-signing-v01", "p"},
		{"blank file skipped", map[string]string{"CHIT_SIGNING_KEY_FILE": blank, "CHIT_PASSPHRASE_FILE": passFile}, "chit-signing-v01", "pass-file"},
		{"path through a file skipped", map[string]string{"CHIT_SIGNING_KEY_FILE": filepath.Join(keyFile, "x"), "CHIT_PASSPHRASE": "p"}, "chit-signing-v01", "p"},
		{"directory skipped", map[string]string{"CHIT_SIGNING_KEY_FILE": dir, "CHIT_PASSPHRASE": "p"}, "chit-signing-v01", "p"},
		{"passphrase before its file", map[string]string{"CHIT_PASSPHRASE": "p", "CHIT_PASSPHRASE_FILE": passFile}, "chit-signing-v01", "p"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sig, err := registry.Sign(e, env(c.vars))
			if err != nil {
				t.Fatal(err)
			}
			if sig.KID != c.kid || sig.HMAC != macOf(c.wantKey) || sig.Alg != "HMAC-SHA256" {
				t.Errorf("signature %+v, want kid %q and the key %q", sig, c.kid, c.wantKey)
			}
		})
	}

	for _, vars := range []map[string]string{{}, {"CHIT_SIGNING_KEY_FILE": missing, "CHIT_PASSPHRASE_FILE": blank, "CHIT_SIGNING_KEY_ID": "x"}} {
		_, err := registry.Sign(e, env(vars))
		if !errors.Is(err, registry.ErrNoSigningKey) || !errors.Is(err, registry.ErrUnavailable) {
			t.Errorf("%v: error %v, want ErrNoSigningKey matching ErrUnavailable", vars, err)
		}
	}
	if os.Geteuid() != 0 {
		unreadable := write("unreadable", "secret")
		if err := os.Chmod(unreadable, 0); err != nil {
			t.Fatal(err)
		}
		_, err := registry.Sign(e, env(map[string]string{"CHIT_SIGNING_KEY_FILE": unreadable, "CHIT_PASSPHRASE": "p"}))
		if err == nil || errors.Is(err, registry.ErrNoSigningKey) || strings.Contains(err.Error(), "secret") {
			t.Errorf("an unreadable key file gave %v, want a read error", err)
		}
	}
}

func TestSigningKeyEnvName(t *testing.T) {
	for kid, want := range map[string]string{
		"chit-signing-v01":  "CHIT_SIGNING_KEY__CHIT_SIGNING_V01",
		"agent-b850-claude": "CHIT_SIGNING_KEY__AGENT_B850_CLAUDE",
		"--a..b__c--":       "CHIT_SIGNING_KEY__A_B_C",
		"z890/5090 claude":  "CHIT_SIGNING_KEY__Z890_5090_CLAUDE",
		"ünï":               "CHIT_SIGNING_KEY__N",
		"Already_UPPER":     "CHIT_SIGNING_KEY__ALREADY_UPPER",
	} {
		if got := registry.SigningKeyEnvName(kid); got != want {
			t.Errorf("SigningKeyEnvName(%q) = %q, want %q", kid, got, want)
		}
	}
}

func TestPythonTimestamp(t *testing.T) {
	east := time.FixedZone("east", 2*3600)
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{vectorTime, "2026-05-22T01:02:03.000004+00:00"},
		{time.Date(2026, 5, 22, 1, 2, 3, 0, time.UTC), "2026-05-22T01:02:03+00:00"},
		{time.Date(2026, 5, 22, 1, 2, 3, 999, time.UTC), "2026-05-22T01:02:03+00:00"},
		{time.Date(2026, 5, 22, 1, 2, 3, 123456789, east), "2026-05-21T23:02:03.123456+00:00"},
	} {
		if got := registry.PythonTimestamp(c.t); got != c.want {
			t.Errorf("PythonTimestamp(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestFitnessInputValidate(t *testing.T) {
	ok := registry.FitnessInput{ModelID: "qwen3:8b", Source: "manual", Lane: "chat", AgentID: "codex"}
	with := func(change func(*registry.FitnessInput)) registry.FitnessInput {
		in := ok
		change(&in)
		return in
	}
	cases := []struct {
		name string
		in   registry.FitnessInput
		want []string
	}{
		{"ok", ok, nil},
		{"metrics null", with(func(in *registry.FitnessInput) { in.TensorZeroMetrics = json.RawMessage("null") }), nil},
		{"ignored score", with(func(in *registry.FitnessInput) { in.Score = json.RawMessage(`"anything"`) }), nil},
		{"missing everything", registry.FitnessInput{}, []string{"model_id", "source", "lane", "agent_id"}},
		{"unknown source", with(func(in *registry.FitnessInput) { in.Source = "huggingface" }), []string{"source"}},
		{"metrics not objects", with(func(in *registry.FitnessInput) {
			in.TensorZeroMetrics, in.TrainingMetrics = json.RawMessage(`[1]`), json.RawMessage(`"x"`)
		}), []string{"tensorzero_metrics", "training_metrics"}},
		{"overflowing number", with(func(in *registry.FitnessInput) { in.TrainingMetrics = json.RawMessage(`{"a":[{"b":-1e400}]}`) }), []string{"training_metrics"}},
		{"metrics too large", with(func(in *registry.FitnessInput) {
			in.TensorZeroMetrics = json.RawMessage(`{"a":"` + strings.Repeat("x", registry.MaxMetricsBytes) + `"}`)
		}), []string{"tensorzero_metrics"}},
		{"bad names", with(func(in *registry.FitnessInput) {
			in.ModelID, in.Lane, in.RunID, in.AgentID = " m", strings.Repeat("l", 201), "run\n1", "a\x00"
		}), []string{"model_id", "lane", "run_id", "agent_id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(fieldNames(c.want), invalidFields(t, c.in.Validate())); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFitnessCallersDecode(t *testing.T) {
	bridge := `{"model_id":"m","source":"pinokio","lane":"chat","score":0.42,"tensorzero_metrics":{"throughput_tps":31.5,` +
		`"latency_ms":850.0,"errors":2,"total_requests":40},"training_metrics":{},"agent_id":"model-fitness-bridge","run_id":"sweep-1"}`
	collector := `{"model_id":"qwen35_4b","source":"tensorzero","lane":"inference","tensorzero_metrics":{"success_rate":0.97,` +
		`"cost_per_1k_tokens":null},"training_metrics":{"publish_eligible":false},"run_id":"3f1c","score":0.7832}`
	if err := decodeFitness(t, bridge).Validate(); err != nil {
		t.Errorf("bridge body: %v", err)
	}
	in := decodeFitness(t, collector)
	if err := in.Validate(); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("collector body without agent_id validated: %v", err)
	}
	in = in.WithDefaultAgent("fitness-collector")
	if err := in.Validate(); err != nil || in.AgentID != "fitness-collector" {
		t.Errorf("collector body with the default agent: %v, %q", err, in.AgentID)
	}
	if got := in.WithDefaultAgent("other").AgentID; got != "fitness-collector" {
		t.Errorf("WithDefaultAgent replaced agent_id with %q", got)
	}
}

func TestFitnessEvent(t *testing.T) {
	e := vectorEvent(t)
	if e.Score != 0.78485 || e.RunID != "run-1" || e.Timestamp != "2026-05-22T01:02:03.000004+00:00" || e.AgentID != "agent-zero-codex" {
		t.Errorf("event = %+v", e)
	}
	unsigned, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(unsigned, []byte(`"signature":null`)) || !bytes.Contains(unsigned, []byte(`"fallback_score":1.0`)) {
		t.Errorf("unsigned event JSON: %s", unsigned)
	}
	e.Signature, err = registry.Sign(e, env(map[string]string{"CHIT_PASSPHRASE": "test-model-fitness-secret"}))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	const wantSig = `"signature":{"alg":"HMAC-SHA256","hmac":"7T8euCtsz2bUPcneRKB+F9h+/hECpA20zffWMiGtu58=","kid":"chit-signing-v01"}`
	if !bytes.Contains(signed, []byte(wantSig)) {
		t.Errorf("signed event JSON: %s", signed)
	}
	var back registry.FitnessEvent
	if err := json.Unmarshal(signed, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := back.SigningBytes()
	first, _ := e.SigningBytes()
	if !bytes.Equal(again, first) || back.Signature != e.Signature {
		t.Errorf("round trip changed the event:\n%s\n%s", first, again)
	}

	in := registry.FitnessInput{ModelID: "m", Source: "manual", Lane: "l", AgentID: "a", TrainingMetrics: json.RawMessage("null")}
	fresh, err := registry.NewFitnessEvent(in, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !registry.ValidUUID(fresh.RunID) || fresh.RunID[14] != '4' {
		t.Errorf("generated run_id %q is not a UUID v4", fresh.RunID)
	}
	if string(fresh.Metrics.TensorZero) != "{}" || string(fresh.Metrics.Training) != "{}" || fresh.Score != 0.525 {
		t.Errorf("absent and null metrics: %+v", fresh)
	}
	if _, err := registry.NewFitnessEvent(registry.FitnessInput{TensorZeroMetrics: json.RawMessage("[]")}, time.Now()); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("metrics that are not an object: %v", err)
	}
}

// invalidFields returns the field names of a *ValidationError, or nil.
func invalidFields(t *testing.T, err error) map[string]bool {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *registry.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("error %v is not a *ValidationError matching ErrInvalid", err)
	}
	m := map[string]bool{}
	for k := range ve.Fields {
		m[k] = true
	}
	return m
}

func fieldNames(names []string) map[string]bool {
	if names == nil {
		return nil
	}
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}
