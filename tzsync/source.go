package tzsync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// maxAnswer bounds what is read of an answer of the registry.
const maxAnswer = 64 << 20

// Source reads the configuration from a running registry.
type Source struct {
	URL    string       // the registry, e.g. http://127.0.0.1:8110
	APIKey string       // sent as Authorization: Bearer when not empty
	Client *http.Client // nil: one with a 30 s timeout
}

// Answer is an answer of GET /api/tensorzero/config.
type Answer struct {
	Body        []byte
	ETag        string
	NotModified bool // the registry answered 304 to If-None-Match
}

// Config asks for the rendered configuration; with etag, conditionally
// (If-None-Match), so that an unchanged one costs a 304.
func (s *Source) Config(ctx context.Context, etag string) (Answer, error) {
	h := http.Header{}
	if etag != "" {
		h.Set("If-None-Match", etag)
	}
	res, body, err := s.get(ctx, "/api/tensorzero/config", h)
	if err != nil {
		return Answer{}, err
	}
	switch res.StatusCode {
	case http.StatusNotModified:
		return Answer{ETag: etag, NotModified: true}, nil
	case http.StatusOK:
		return Answer{Body: body, ETag: res.Header.Get("ETag")}, nil
	}
	return Answer{}, answerError(res, body)
}

// Models lists every active model with its provider and aliases
// (GET /api/models without parameters, the platform's sync contract).
func (s *Source) Models(ctx context.Context) ([]registry.Model, error) {
	res, body, err := s.get(ctx, "/api/models", nil)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, answerError(res, body)
	}
	var list struct {
		Items []modelItem `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("GET /api/models: not a model list: %w", err)
	}
	out := make([]registry.Model, len(list.Items))
	for i, it := range list.Items {
		out[i] = it.model()
	}
	return out, nil
}

// modelItem is what sync reads of an item of GET /api/models; other fields
// (timestamps in whatever form) are ignored. A missing "active" means
// active: the list holds active models.
type modelItem struct {
	ID             string                `json:"id"`
	ModelID        string                `json:"model_id"`
	ModelType      registry.ModelType    `json:"model_type"`
	ProviderID     string                `json:"provider_id"`
	ProviderName   string                `json:"provider_name"`
	ProviderType   registry.ProviderType `json:"provider_type"`
	APIBase        *string               `json:"api_base"`
	APIKeyEnvVar   *string               `json:"api_key_env_var"`
	Aliases        []registry.AliasRef   `json:"aliases"`
	Metadata       json.RawMessage       `json:"metadata"`
	Active         *bool                 `json:"active"`
	ProviderActive *bool                 `json:"provider_active"`
}

func (it modelItem) model() registry.Model {
	m := registry.Model{ID: it.ID, ModelID: it.ModelID, ModelType: it.ModelType, ProviderID: it.ProviderID,
		ProviderName: it.ProviderName, ProviderType: it.ProviderType, APIBase: it.APIBase, APIKeyEnvVar: it.APIKeyEnvVar,
		Aliases: it.Aliases, Metadata: it.Metadata, Active: it.Active == nil || *it.Active, ProviderActive: it.ProviderActive}
	if m.ID == "" {
		m.ID = it.ProviderName + "/" + it.ModelID
	}
	return m
}

func (s *Source) get(ctx context.Context, path string, h http.Header) (*http.Response, []byte, error) {
	url := strings.TrimRight(s.URL, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if s.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+s.APIKey)
	}
	c := s.Client
	if c == nil {
		c = defaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return res, body, nil
}

var defaultClient = &http.Client{Timeout: 30 * time.Second}

// answerError describes an unexpected answer, with the start of its body.
func answerError(res *http.Response, body []byte) error {
	msg := strings.TrimSpace(string(body))
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return fmt.Errorf("GET %s answered %d: %s", res.Request.URL.Redacted(), res.StatusCode, msg)
}
