package tomlgen

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/pmoves/model-registry/registry"
)

// The functions in this file derive configuration from registry fields. Render
// uses them to build the output; Import uses the same functions to find what
// a file has beyond what they derive, and stores only that difference as
// pass-through. That is what makes render(import(F)) equal F.

// deriveBlock builds a model's provider block from its provider and model_id.
// effType is the gateway type the block ends up with (the provider's, or the
// one a model overrides it with); it chooses the keys. The "type" key is
// always the provider's own gateway type gw, so an override shows up as a
// difference. The provider's extra keys are added where the type accepts
// them.
func deriveBlock(p registry.Provider, pm ProviderMeta, extras map[string]any, modelID, gw, effType string, embedding bool) map[string]any {
	spec, _ := specFor(effType)
	block := map[string]any{"type": gw}
	for k, v := range extras {
		if spec.accepts(k, embedding) {
			block[k] = deepCopy(v)
		}
	}
	if spec.idKey != "" {
		block[spec.idKey] = modelID
	}
	if spec.urlKey != "" && p.APIBase != nil && *p.APIBase != "" {
		block[spec.urlKey] = apiBase(p.Type, effType, *p.APIBase)
	}
	if spec.credKey != "" {
		switch {
		case p.APIKeyEnvVar != nil && *p.APIKeyEnvVar != "":
			block[spec.credKey] = "env::" + *p.APIKeyEnvVar
		case credentialMode(p.Type, pm) == "none":
			block[spec.credKey] = "none"
		}
	}
	return block
}

// credentialMode is what a provider without api_key_env_var renders: "none"
// or "default" (no credential key).
func credentialMode(t registry.ProviderType, pm ProviderMeta) string {
	if pm.Credential == "none" || pm.Credential == "default" {
		return pm.Credential
	}
	if t == registry.ProviderCustom {
		return "default"
	}
	return "none"
}

// apiBase returns the api_base a provider renders with. The gateway's openai
// type wants the OpenAI-compatible root, which ends in /v1: an Ollama api_base
// gets /v1 appended unless its path already ends so; an openai_compatible one
// gets /v1 only when it has no path at all (hosted APIs put the root at
// various paths, e.g. /api/v1 or /ai/run/openai). Other types keep the value.
func apiBase(t registry.ProviderType, effType, base string) string {
	if effType != "openai" {
		return base
	}
	switch t {
	case registry.ProviderOllama:
		trimmed := strings.TrimRight(base, "/")
		if strings.HasSuffix(trimmed, "/v1") {
			return base
		}
		return trimmed + "/v1"
	case registry.ProviderOpenAICompatible:
		u, err := url.Parse(base)
		if err != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return base
		}
		return strings.TrimRight(base, "/") + "/v1"
	}
	return base
}

// deriveVariant builds a mapping's variant: a chat_completion of the model,
// with json_mode "strict" in a json function (the gateway requires one there).
func deriveVariant(modelName, fnType string) map[string]any {
	v := map[string]any{"type": "chat_completion", "model": modelName}
	if fnType == "json" {
		v["json_mode"] = "strict"
	}
	return v
}

// fpEntry is one variant's part in a function's fingerprint.
type fpEntry struct {
	name     string
	mapping  bool
	role     *Role
	fallback string // fallback model name of a mapping
}

// fingerprint digests a function's variants, their roles and fallback models.
func fingerprint(entries []fpEntry) string {
	lines := make([]string, 0, len(entries))
	for _, e := range entries {
		kind := "p"
		if e.mapping {
			kind = "m"
		}
		role := "-"
		if e.role != nil {
			role = strconv.Itoa(e.role.Priority) + "/" + strconv.FormatFloat(e.role.Weight, 'g', -1, 64)
		}
		lines = append(lines, strconv.Quote(e.name)+" "+kind+" "+role+" "+strconv.Quote(e.fallback))
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// participant is a variant in derived experimentation.
type participant struct {
	name      string
	role      Role
	fallbacks []string // generated fallback variants tried after this one's tier
}

// deriveExperimentation turns roles into candidate and fallback variants: the
// lowest priority among variants with weight > 0 gives the candidates
// (weighted), the higher priorities give the fallbacks in (priority, name)
// order, each tier followed by its generated fallback variants. Weight 0
// leaves a variant out, unless every weight is 0, when weights are ignored.
// It returns nil when no variant takes part.
func deriveExperimentation(parts []participant) (candidates []participant, fallbacks []string) {
	anyWeight := false
	for _, p := range parts {
		if p.role.Weight > 0 {
			anyWeight = true
		}
	}
	var active []participant
	for _, p := range parts {
		if !anyWeight {
			p.role.Weight = 1
		}
		if p.role.Weight > 0 {
			active = append(active, p)
		}
	}
	if len(active) == 0 {
		return nil, nil
	}
	sort.Slice(active, func(i, j int) bool {
		if active[i].role.Priority != active[j].role.Priority {
			return active[i].role.Priority < active[j].role.Priority
		}
		return active[i].name < active[j].name
	})
	for i := 0; i < len(active); {
		j := i
		for j < len(active) && active[j].role.Priority == active[i].role.Priority {
			j++
		}
		tier := active[i:j]
		if i == 0 {
			candidates = tier
		} else {
			for _, p := range tier {
				fallbacks = append(fallbacks, p.name)
			}
		}
		for _, p := range tier {
			fallbacks = append(fallbacks, p.fallbacks...)
		}
		i = j
	}
	return candidates, fallbacks
}

// experimentationTable renders derived candidates and fallbacks. A stored
// adaptive (or legacy track_and_stop) table keeps its type and settings with
// the new lists; otherwise the result is static, keeping stored namespaces.
func experimentationTable(candidates []participant, fallbacks []string, stored map[string]any) map[string]any {
	names := make([]any, len(candidates))
	equal := true
	for i, c := range candidates {
		names[i] = c.name
		if c.role.Weight != candidates[0].role.Weight {
			equal = false
		}
	}
	exp := map[string]any{"type": "static"}
	if t, _ := stored["type"].(string); t == "adaptive" || t == "track_and_stop" {
		exp = copyTable(stored)
		delete(exp, "fallback_variants")
	} else if ns, ok := stored["namespaces"]; ok {
		exp["namespaces"] = deepCopy(ns)
	}
	exp["candidate_variants"] = names
	if !equal && exp["type"] == "static" {
		weights := map[string]any{}
		for _, c := range candidates {
			weights[c.name] = c.role.Weight
		}
		exp["candidate_variants"] = weights
	}
	if len(fallbacks) > 0 {
		fb := make([]any, len(fallbacks))
		for i, f := range fallbacks {
			fb[i] = f
		}
		exp["fallback_variants"] = fb
	}
	return exp
}
