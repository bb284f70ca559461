package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

// Enrichment from the Hugging Face Hub (../shared/platform/FITNESS.md
// section 5): a model whose metadata names its hub repository (hf_id)
// gets the hub's facts about it merged into its metadata, the keys already
// there winning.

// HubClient reads models from the Hugging Face Hub (HF_ENDPOINT); the hfhub
// package implements it. An answer of the hub other than success is an
// error with a method HubStatus() int that gives the hub's status.
type HubClient interface {
	// Model reads the hub's model info of hfID (GET /api/models/{hfID}),
	// a JSON object.
	Model(ctx context.Context, hfID string) (json.RawMessage, error)
	// Config reads the model's config.json; found is false when it has
	// none (404).
	Config(ctx context.Context, hfID string) (cfg map[string]any, found bool, err error)
}

// hubModel is what the enrichment reads of the hub's model info. Any field
// may be absent or null.
type hubModel struct {
	LastModified *string  `json:"lastModified"`
	Downloads    *int64   `json:"downloads"`
	Likes        *int64   `json:"likes"`
	Tags         []string `json:"tags"`
	LibraryName  *string  `json:"library_name"`
	PipelineTag  *string  `json:"pipeline_tag"`
	CardData     *struct {
		License any `json:"license"` // a string, or a list of them
	} `json:"cardData"`
}

// enrichment is what the hub says of a model, as metadata keys. What the
// hub does not say is left out, so it never hides a value learnt later.
type enrichment struct {
	HFID          string   `json:"hf_id"`
	LastModified  *string  `json:"hf_last_modified,omitempty"`
	Downloads     *int64   `json:"hf_downloads,omitempty"`
	Likes         *int64   `json:"hf_likes,omitempty"`
	Tags          []string `json:"hf_tags"`
	LibraryName   *string  `json:"hf_library_name,omitempty"`
	PipelineTag   *string  `json:"hf_pipeline_tag,omitempty"`
	License       *string  `json:"hf_license,omitempty"`
	CUDASupported bool     `json:"cuda_supported"`
	Dimensions    *int64   `json:"dimensions,omitempty"`
}

// enrichResult is what POST /api/models/{id}/enrich-hf answers.
type enrichResult struct {
	ModelID    string     `json:"model_id"`
	HFID       string     `json:"hf_id"`
	Enrichment enrichment `json:"enrichment"`
}

// enrichBulkResult is what POST /api/models/enrich-hf-bulk answers.
type enrichBulkResult struct {
	Enriched []bulkEnriched `json:"enriched"`
	Skipped  []bulkSkipped  `json:"skipped"`
	Failed   []bulkFailed   `json:"failed"`
}

type bulkEnriched struct {
	ID         string `json:"id"`
	HFID       string `json:"hf_id"`
	Dimensions *int64 `json:"dimensions"`
}

type bulkSkipped struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

type bulkFailed struct {
	ID    string `json:"id"`
	HFID  string `json:"hf_id"`
	Error string `json:"error"`
}

// Reasons a bulk enrichment skips a model.
const (
	reasonNoHFID      = "no hf_id"
	reasonInvalidHFID = "invalid hf_id"
)

// bulkWorkers is how many models a bulk enrichment reads from the hub at
// once.
const bulkWorkers = 4

// errNoHub answers the enrich routes when no hub client is configured.
var errNoHub = &httpError{http.StatusServiceUnavailable, codeUnavailable,
	"enrichment from the Hugging Face Hub is not configured"}

func (s *Server) enrichHF(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if s.hub == nil {
		return errNoHub
	}
	ctx := c.Request().Context()
	m, err := s.store.GetModel(ctx, id)
	if err != nil {
		return err
	}
	hfID, ok := metadataHFID(m.Metadata)
	switch {
	case !ok:
		return registry.Invalid("metadata.hf_id", "model %s has no hf_id in its metadata: set it to the model's "+
			"Hugging Face repository id (org/name)", m.ID)
	case !validHFID(hfID):
		return registry.Invalid("metadata.hf_id", "%q is not a Hugging Face repository id (org/name)", hfID)
	}
	e, err := s.enrichFromHub(ctx, hfID)
	if err != nil {
		return err
	}
	written, err := s.writeEnrichment(ctx, m, e)
	if err != nil {
		return err
	}
	if written {
		s.published(c, registry.ActionUpdated, registry.ResourceModel, m.ID)
	}
	return c.JSON(http.StatusOK, enrichResult{ModelID: m.ID, HFID: hfID, Enrichment: e})
}

func (s *Server) enrichHFBulk(c echo.Context) error {
	q := newQuery(c, "model_type")
	mt := registry.ModelType(q.str("model_type"))
	if mt == "" {
		mt = registry.ModelEmbedding
	}
	if !mt.Valid() {
		q.errs["model_type"] = "must be one of chat, embedding, reranker, vl, tts, audio, image"
	}
	if err := q.err(); err != nil {
		return err
	}
	if s.hub == nil {
		return errNoHub
	}
	ctx := c.Request().Context()
	models, _, err := s.store.ListModels(ctx, registry.ModelFilter{ModelType: mt, Page: registry.Page{All: true}})
	if err != nil {
		return err
	}
	res := enrichBulkResult{Enriched: []bulkEnriched{}, Skipped: []bulkSkipped{}, Failed: []bulkFailed{}}
	type job struct {
		m    registry.Model
		hfID string
		// outcome
		e       enrichment
		written bool
		failure string
	}
	var jobs []*job
	for _, m := range models {
		hfID, ok := metadataHFID(m.Metadata)
		switch {
		case !ok:
			res.Skipped = append(res.Skipped, bulkSkipped{ID: m.ID, Name: m.Name, Reason: reasonNoHFID})
		case !validHFID(hfID):
			res.Skipped = append(res.Skipped, bulkSkipped{ID: m.ID, Name: m.Name, Reason: reasonInvalidHFID})
		default:
			jobs = append(jobs, &job{m: m, hfID: hfID})
		}
	}
	// A few models at a time; each outcome is kept in its job, so the
	// answer follows the catalogue's order.
	sem := make(chan struct{}, bulkWorkers)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			e, err := s.enrichFromHub(ctx, j.hfID)
			if err == nil {
				j.e = e
				j.written, err = s.writeEnrichment(ctx, j.m, e)
			}
			if err != nil {
				j.failure = s.bulkFailure(ctx, j.m.ID, j.hfID, err)
			}
		}()
	}
	wg.Wait()
	for _, j := range jobs {
		if j.failure != "" {
			res.Failed = append(res.Failed, bulkFailed{ID: j.m.ID, HFID: j.hfID, Error: j.failure})
			continue
		}
		res.Enriched = append(res.Enriched, bulkEnriched{ID: j.m.ID, HFID: j.hfID, Dimensions: j.e.Dimensions})
		if j.written {
			s.published(c, registry.ActionUpdated, registry.ResourceModel, j.m.ID)
		}
	}
	return c.JSON(http.StatusOK, res)
}

// bulkFailure words a model's failure for the bulk answer, and logs it.
func (s *Server) bulkFailure(ctx context.Context, id, hfID string, err error) string {
	msg := hubReason(err)
	var he *hubError
	if !errors.As(err, &he) { // the store failed
		msg = "the registry could not save the enrichment"
		if errors.Is(err, registry.ErrNotFound) {
			msg = "the model was deleted meanwhile"
		}
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "enrich-hf-bulk: a model failed", slog.String("model_id", id),
		slog.String("hf_id", hfID), slog.String("error", err.Error()))
	return msg
}

// enrichFromHub reads hfID's model info and config.json from the hub and
// derives the enrichment. A failure of the hub is a *hubError (502).
func (s *Server) enrichFromHub(ctx context.Context, hfID string) (enrichment, error) {
	raw, err := s.hub.Model(ctx, hfID)
	if err != nil {
		return enrichment{}, newHubError(hfID, err)
	}
	var info hubModel
	if err := json.Unmarshal(raw, &info); err != nil {
		return enrichment{}, newHubError(hfID, fmt.Errorf("%w: %v", errMalformed, err))
	}
	cfg, found, err := s.hub.Config(ctx, hfID)
	if err != nil {
		return enrichment{}, newHubError("the config.json of "+hfID, err)
	}
	e := derive(hfID, info)
	if found {
		e.Dimensions = dimensions(cfg)
	}
	return e, nil
}

// cudaTags are the hub tags that mean a model runs on CUDA.
var cudaTags = map[string]bool{"pytorch": true, "cuda": true, "transformers": true, "safetensors": true}

// derive turns the hub's model info into metadata keys.
func derive(hfID string, info hubModel) enrichment {
	e := enrichment{HFID: hfID, Downloads: info.Downloads, Likes: info.Likes, Tags: []string{},
		LibraryName: nonEmpty(info.LibraryName), PipelineTag: nonEmpty(info.PipelineTag),
		LastModified: nonEmpty(info.LastModified)}
	for _, t := range info.Tags {
		e.Tags = append(e.Tags, t)
		if cudaTags[strings.ToLower(t)] {
			e.CUDASupported = true
		}
	}
	if info.CardData != nil {
		e.License = license(info.CardData.License)
	}
	return e
}

// license reads cardData.license: a string, or a list of strings (joined).
func license(v any) *string {
	var parts []string
	switch v := v.(type) {
	case string:
		parts = append(parts, v)
	case []any:
		for _, p := range v {
			if s, ok := p.(string); ok {
				parts = append(parts, s)
			}
		}
	}
	joined := strings.Join(parts, ", ")
	return nonEmpty(&joined)
}

// dimensions is the first positive integer among the config's
// embedding_dimension, hidden_size, d_model and n_embd.
func dimensions(cfg map[string]any) *int64 {
	for _, k := range []string{"embedding_dimension", "hidden_size", "d_model", "n_embd"} {
		if n, ok := positiveInt(cfg[k]); ok {
			return &n
		}
	}
	return nil
}

func positiveInt(v any) (int64, bool) {
	var n int64
	switch v := v.(type) {
	case json.Number:
		i, err := v.Int64()
		if err != nil {
			return 0, false
		}
		n = i
	case float64:
		if v != math.Trunc(v) || v > 1<<53 {
			return 0, false
		}
		n = int64(v)
	case int:
		n = int64(v)
	case int64:
		n = v
	default:
		return 0, false
	}
	return n, n > 0
}

func nonEmpty(s *string) *string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	return s
}

// metadataHFID reads metadata.hf_id: ok only for a non-empty string.
func metadataHFID(metadata json.RawMessage) (string, bool) {
	var md struct {
		HFID any `json:"hf_id"`
	}
	if err := json.Unmarshal(metadata, &md); err != nil {
		return "", false
	}
	s, ok := md.HFID.(string)
	s = strings.TrimSpace(s)
	return s, ok && s != ""
}

// hfIDRE is a hub repository id: a name, optionally under an owner.
var hfIDRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,96}(/[A-Za-z0-9_.-]{1,96})?$`)

func validHFID(s string) bool { return hfIDRE.MatchString(s) && !strings.Contains(s, "..") }

// writeEnrichment merges e into the model's metadata, the keys already
// there winning, and writes the metadata alone (PATCH). Nothing is written
// when nothing changes.
func (s *Server) writeEnrichment(ctx context.Context, m registry.Model, e enrichment) (bool, error) {
	merged, changed, err := mergeMetadata(m.Metadata, e)
	if err != nil || !changed {
		return false, err
	}
	if _, err := s.store.UpdateModel(ctx, m.ID, registry.ModelPatch{Metadata: merged}); err != nil {
		return false, err
	}
	return true, nil
}

// mergeMetadata is {**enrichment, **existing}, except that an existing
// null gives way to a value the hub knows.
func mergeMetadata(existing json.RawMessage, e enrichment) (json.RawMessage, bool, error) {
	raw, err := json.Marshal(e)
	if err != nil {
		return nil, false, err
	}
	var merged, old map[string]json.RawMessage
	if err := json.Unmarshal(raw, &merged); err != nil {
		return nil, false, err
	}
	if t := bytes.TrimSpace(existing); len(t) > 0 {
		if err := json.Unmarshal(t, &old); err != nil {
			return nil, false, fmt.Errorf("model metadata is not a JSON object: %w", err)
		}
	}
	for k, v := range old {
		if _, ours := merged[k]; ours && string(bytes.TrimSpace(v)) == "null" {
			continue
		}
		merged[k] = v
	}
	out, err := json.Marshal(merged)
	if err != nil {
		return nil, false, err
	}
	before, err := json.Marshal(old)
	if err != nil {
		return nil, false, err
	}
	return out, !bytes.Equal(out, before), nil
}

// errMalformed marks model info that does not decode.
var errMalformed = errors.New("malformed model info")

// hubError is a failure of the hub: a 502 naming what was asked and the
// hub's status, with the cause kept for the log (it never holds the
// token: the hub client keeps it out of its errors).
type hubError struct {
	answer *httpError
	cause  error
}

func newHubError(what string, cause error) *hubError {
	return &hubError{answer: &httpError{http.StatusBadGateway, codeUnavailable, hubReason(cause) + " for " + what},
		cause: cause}
}

func (e *hubError) Error() string   { return e.answer.message + ": " + e.cause.Error() }
func (e *hubError) Unwrap() []error { return []error{e.answer, e.cause} }

// hubReason says in a few words how the hub failed: its status, or why
// there is none. No internal detail.
func hubReason(err error) string {
	var st interface{ HubStatus() int }
	switch {
	case errors.As(err, &st):
		return fmt.Sprintf("the Hugging Face Hub answered %d", st.HubStatus())
	case errors.Is(err, context.DeadlineExceeded):
		return "the Hugging Face Hub did not answer in time"
	case errors.Is(err, errMalformed):
		return "the Hugging Face Hub answered malformed model info"
	}
	return "the request to the Hugging Face Hub failed"
}
