package tzsync

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/tomlgen"
)

// LanePrefix starts the aliases that name the models of the marker region.
const LanePrefix = "registry_"

// RenderLanes renders the marker region's models from the registry's model
// list (GET /api/models): one [models.<alias>] for each alias that starts
// with LanePrefix, with tomlgen's rules for the provider block (its
// provider's api_base, gateway type and key location; ollama and
// openai_compatible become type "openai" with an api_base ending in /v1,
// api_key_env_var becomes api_key_location "env::VAR", none "none"). Several
// models with one alias on different providers become one model whose
// routing tries them in provider-name order.
//
// A model that cannot be a lane is left out with a finding: one of another
// type than chat or vl, an inactive one, one without a provider name, and
// whatever tomlgen leaves out (a custom provider, whose gateway type is
// stored only in its metadata, which the list does not carry). The lanes
// are sorted by name.
func RenderLanes(models []registry.Model) ([]Lane, []tomlgen.Finding) {
	var findings []tomlgen.Finding
	byAlias := map[string][]registry.Model{}
	seen := map[[2]string]bool{}
	for _, m := range models {
		for _, a := range m.Aliases {
			if !strings.HasPrefix(a.Alias, LanePrefix) || seen[[2]string{a.Alias, m.ID}] {
				continue
			}
			seen[[2]string{a.Alias, m.ID}] = true
			if why := notALane(m); why != "" {
				findings = append(findings, tomlgen.Finding{Severity: tomlgen.SeverityWarning,
					Path: laneKey(a.Alias), Message: fmt.Sprintf("left out model %q: %s", m.ModelID, why)})
				continue
			}
			byAlias[a.Alias] = append(byAlias[a.Alias], m)
		}
	}
	names := make([]string, 0, len(byAlias))
	for name := range byAlias {
		names = append(names, name)
	}
	sort.Strings(names)
	lanes := make([]Lane, 0, len(names))
	for _, name := range names {
		lane, fs := renderLane(name, byAlias[name])
		findings = append(findings, fs...)
		if lane != nil {
			lanes = append(lanes, Lane{Name: name, TOML: lane})
		}
	}
	return lanes, findings
}

// notALane says why a listed model cannot serve a lane, or "".
func notALane(m registry.Model) string {
	switch {
	case !m.Active:
		return "it is inactive"
	case m.ProviderActive != nil && !*m.ProviderActive:
		return "its provider is inactive"
	case m.ModelType != "" && m.ModelType != registry.ModelChat && m.ModelType != registry.ModelVL:
		return fmt.Sprintf("model type %s cannot be a [models] lane", m.ModelType)
	case m.ProviderName == "":
		return "the list gives no provider_name"
	case m.ModelID == "":
		return "the list gives no model_id"
	}
	return ""
}

// renderLane renders one lane through tomlgen.Render, as a catalogue of the
// lane's models named by the alias, and returns its [models.<alias>] block,
// or nil when tomlgen left every model out.
func renderLane(alias string, models []registry.Model) ([]byte, []tomlgen.Finding) {
	cat := tomlgen.Catalog{}
	providers := map[string]bool{}
	for _, m := range models {
		pid := m.ProviderID
		if pid == "" {
			pid = "provider:" + m.ProviderName
		}
		if !providers[pid] {
			providers[pid] = true
			cat.Providers = append(cat.Providers, registry.Provider{ID: pid, Name: m.ProviderName, Type: m.ProviderType,
				APIBase: m.APIBase, APIKeyEnvVar: m.APIKeyEnvVar, Active: true})
		}
		row := m
		row.Name, row.ProviderID, row.Active = alias, pid, true
		if row.ModelType == "" {
			row.ModelType = registry.ModelChat
		}
		cat.Models = append(cat.Models, row)
	}
	var buf bytes.Buffer
	findings, err := tomlgen.Render(&buf, cat)
	if err != nil {
		return nil, append(findings, tomlgen.Finding{Severity: tomlgen.SeverityError, Path: laneKey(alias), Message: err.Error()})
	}
	// The document is tomlgen's header comment, then the lane's tables.
	doc := buf.Bytes()
	if i := bytes.Index(doc, []byte("\n[")); i >= 0 {
		doc = doc[i+1:]
	} else {
		doc = nil
	}
	if !bytes.HasPrefix(doc, []byte("[models.")) {
		return nil, findings
	}
	return doc, findings
}

// laneKey is the dotted key of a lane, as findings name it.
func laneKey(alias string) string {
	return "models." + quoteKey(alias)
}

// quoteKey quotes a TOML key unless it is bare.
func quoteKey(k string) string {
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Sprintf("%q", k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}
