package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// seeded is the catalogue the run created.
type seeded struct {
	models   []seededModel
	chat     int // chat models
	mappings int
}

type seededModel struct {
	ID           string `json:"id"`
	ProviderType string `json:"provider_type"` // filled from the provider
	ProviderID   string `json:"provider_id"`
}

// Rows are sent in bulk; PostgREST wants the same keys in every object.
type providerRow struct {
	Name         string          `json:"name"`
	Type         string          `json:"type"`
	APIBase      string          `json:"api_base"`
	APIKeyEnvVar *string         `json:"api_key_env_var"`
	Description  string          `json:"description"`
	Metadata     json.RawMessage `json:"metadata"`
	Active       bool            `json:"active"`
}

type modelRow struct {
	ProviderID    string          `json:"provider_id"`
	Name          string          `json:"name"`
	ModelID       string          `json:"model_id"`
	ModelType     string          `json:"model_type"`
	Capabilities  []string        `json:"capabilities"`
	VRAMMB        int             `json:"vram_mb"`
	ContextLength int             `json:"context_length"`
	Description   string          `json:"description"`
	Metadata      json.RawMessage `json:"metadata"`
	Active        bool            `json:"active"`
}

type mappingRow struct {
	ServiceName  string          `json:"service_name"`
	FunctionName string          `json:"function_name"`
	VariantName  string          `json:"variant_name"`
	ModelID      string          `json:"model_id"`
	Priority     int             `json:"priority"`
	Weight       float64         `json:"weight"`
	Params       json.RawMessage `json:"params"`
}

var providerTypes = []string{"ollama", "vllm", "openai_compatible", "anthropic", "openai_compatible"}

// seedCatalogue creates nProviders providers, nModels models (every tenth
// an embedding model, except on Anthropic; every twentieth chat model shares
// its name with the one before, on another provider, so some models route
// over two providers) and about nModels/10 mappings: functions of three
// variants, two weighted candidates and a fallback.
func seedCatalogue(ctx context.Context, r *rest, nProviders, nModels int) (*seeded, error) {
	provs := make([]providerRow, nProviders)
	for i := range provs {
		t := providerTypes[i%len(providerTypes)]
		p := providerRow{Name: fmt.Sprintf("bench_provider_%02d", i), Type: t, Active: true,
			Description: "load-test provider", Metadata: json.RawMessage(`{}`)}
		switch t {
		case "ollama":
			p.APIBase = fmt.Sprintf("http://bench-ollama-%d:11434", i)
		case "vllm":
			p.APIBase = fmt.Sprintf("http://bench-vllm-%d:8000/v1", i)
		case "anthropic":
			p.APIBase = "https://api.anthropic.com/v1/messages"
			p.APIKeyEnvVar = ptr(fmt.Sprintf("BENCH_ANTHROPIC_%d_API_KEY", i))
		default:
			p.APIBase = fmt.Sprintf("https://api.bench-%d.example/v1", i)
			p.APIKeyEnvVar = ptr(fmt.Sprintf("BENCH_%d_API_KEY", i))
		}
		provs[i] = p
	}
	type created struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	var pids []created
	if err := insert(ctx, r, "model_providers", "id,type", provs, &pids); err != nil {
		return nil, err
	}
	s := &seeded{}
	rows := make([]modelRow, nModels)
	for i := range rows {
		p := pids[i%len(pids)]
		m := modelRow{ProviderID: p.ID, Name: fmt.Sprintf("bench_model_%05d", i),
			ModelID: fmt.Sprintf("bench/model-%05d", i), ModelType: "chat", Capabilities: []string{"chat", "tools"},
			VRAMMB: 4000 + i%16*1000, ContextLength: 8192 << (i % 4), Description: "load-test model",
			Metadata: json.RawMessage(`{}`), Active: true}
		switch {
		case i%10 == 9 && p.Type != "anthropic":
			m.ModelType, m.Capabilities = "embedding", []string{"embedding"}
		case i%20 == 1:
			m.Name = rows[i-1].Name // the same model on a second provider
		}
		if m.ModelType == "chat" {
			s.chat++
		}
		rows[i] = m
	}
	var chatIDs []string
	for start := 0; start < len(rows); start += 500 {
		chunk := rows[start:min(start+500, len(rows))]
		var got []struct {
			ID         string `json:"id"`
			ProviderID string `json:"provider_id"`
			ModelType  string `json:"model_type"`
		}
		if err := insert(ctx, r, "models", "id,provider_id,model_type", chunk, &got); err != nil {
			return nil, err
		}
		for _, g := range got {
			ptype := ""
			for _, p := range pids {
				if p.ID == g.ProviderID {
					ptype = p.Type
				}
			}
			s.models = append(s.models, seededModel{ID: g.ID, ProviderID: g.ProviderID, ProviderType: ptype})
			if g.ModelType == "chat" {
				chatIDs = append(chatIDs, g.ID)
			}
		}
	}
	functions := max(1, nModels/30)
	maps := make([]mappingRow, 0, 3*functions)
	for f := range functions {
		for v, spec := range []struct {
			prio   int
			weight float64
		}{{1, 70}, {1, 30}, {2, 1}} {
			maps = append(maps, mappingRow{ServiceName: fmt.Sprintf("bench-service-%02d", f%20),
				FunctionName: fmt.Sprintf("bench_fn_%04d", f), VariantName: fmt.Sprintf("variant_%d", v),
				ModelID: chatIDs[(3*f+v)%len(chatIDs)], Priority: spec.prio, Weight: spec.weight,
				Params: json.RawMessage(`{}`)})
		}
	}
	if err := insert(ctx, r, "service_model_mappings", "id", maps, nil); err != nil {
		return nil, err
	}
	s.mappings = len(maps)
	return s, nil
}

// insert bulk-inserts rows into table and decodes the columns sel of the
// created rows into out (when not nil).
func insert(ctx context.Context, r *rest, table, sel string, rows, out any) error {
	_, data, err := r.do(ctx, http.MethodPost, table, "select="+sel, "return=representation", rows)
	if err != nil {
		return fmt.Errorf("seed %s: %w", table, err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

func ptr[T any](v T) *T { return &v }
