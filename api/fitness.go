package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

// The platform's model-fitness and model-candidate pipeline
// (../shared/platform/FITNESS.md): fitness records scored and signed by the
// registry, and Hugging Face models proposed for a lane.

// FitnessPublisher announces a recorded fitness event on
// model.fitness.recorded.v1. The events bridge implements it beside
// Publisher; without it nothing is announced.
type FitnessPublisher interface {
	PublishFitness(ctx context.Context, e registry.FitnessEvent)
}

// candidateRegistered is the action of a candidate's change event, as the
// platform names it.
const candidateRegistered = "candidate_registered"

// identity says who wrote through a fitness or candidate route.
type identity struct {
	AgentID string   `json:"agent_id"`
	Via     string   `json:"via"` // "key", or "keyless_agents" for a listed agent without a key
	Trusted bool     `json:"trusted"`
	Errors  []string `json:"errors"`
}

// candidateAnswer is what POST /api/model-candidates answers.
type candidateAnswer struct {
	Identity identity             `json:"identity"`
	Items    []registry.Candidate `json:"items"`
}

// writer decides who may write through the pipeline's two routes, once the
// body's agent_id is known: a valid key, or no key and an agent listed in
// KeylessAgents. agent is the body's agent_id after DefaultAgent applied.
func (s *Server) writer(c echo.Context, agent string) (identity, error) {
	r := c.Request()
	if s.auth.valid(presentedKey(r)) {
		return identity{AgentID: agent, Via: "key", Trusted: true, Errors: []string{}}, nil
	}
	// Any credential that is not a valid key is refused, listed agent or
	// not: only a request that shows none may go the keyless way.
	noCredential := r.Header.Get("Authorization") == "" && r.Header.Get("apikey") == ""
	if noCredential && agent != "" && s.keyless[agent] {
		return identity{AgentID: agent, Via: "keyless_agents", Trusted: true, Errors: []string{}}, nil
	}
	c.Response().Header().Set("WWW-Authenticate", `Bearer realm="model-registry"`)
	return identity{}, registry.ErrUnauthorized
}

func (s *Server) recordFitness(c echo.Context) error {
	in, err := decodeBody[registry.FitnessInput](c)
	if err != nil {
		return err
	}
	in = in.WithDefaultAgent(s.defaultAgent)
	if _, err := s.writer(c, in.AgentID); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	e, err := registry.NewFitnessEvent(in, time.Now())
	if err != nil {
		return err
	}
	if e.Signature, err = s.sign(e); err != nil {
		if errors.Is(err, registry.ErrNoSigningKey) {
			return &httpError{http.StatusServiceUnavailable, codeUnavailable,
				"no signing key is configured (CHIT_SIGNING_KEY or CHIT_PASSPHRASE); nothing was recorded"}
		}
		return err
	}
	if _, err := s.store.InsertFitness(c.Request().Context(), e); err != nil {
		return err
	}
	if p, ok := s.pub.(FitnessPublisher); ok {
		p.PublishFitness(context.WithoutCancel(c.Request().Context()), e)
	}
	return c.JSON(http.StatusOK, e)
}

func (s *Server) registerCandidate(c echo.Context) error {
	in, err := decodeBody[registry.CandidateInput](c)
	if err != nil {
		return err
	}
	in = in.WithDefaultAgent(s.defaultAgent)
	agent := ""
	if in.AgentID != nil {
		agent = *in.AgentID
	}
	who, err := s.writer(c, agent)
	if err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if who.Via != "key" && in.ValidationStatus != nil && *in.ValidationStatus != registry.CandidateProposed {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="model-registry"`)
		return &httpError{http.StatusUnauthorized, codeUnauthorized,
			"a keyless agent may only propose candidates (validation_status candidate); deciding one needs a key"}
	}
	row, created, err := s.store.UpsertCandidate(c.Request().Context(), in)
	if err != nil {
		return err
	}
	if s.pub != nil {
		s.pub.Publish(context.WithoutCancel(c.Request().Context()),
			registry.NewChangeEvent(candidateRegistered, registry.ResourceCandidate, row.HFID))
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, candidateAnswer{Identity: who, Items: []registry.Candidate{row}})
}

func (s *Server) listCandidates(c echo.Context) error {
	q := newQuery(c, "model_id", "lane", "source", "validation_status", "limit", "offset")
	f := registry.CandidateFilter{ModelID: q.str("model_id"), Lane: q.str("lane"), Source: q.str("source"),
		ValidationStatus: registry.CandidateStatus(q.str("validation_status")), Page: q.page()}
	if f.ValidationStatus != "" && !f.ValidationStatus.Valid() {
		q.errs["validation_status"] = "must be one of candidate, validated, rejected, activated"
	}
	if err := q.err(); err != nil {
		return err
	}
	items, count, err := s.store.ListCandidates(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(items, count))
}

func (s *Server) listFitness(c echo.Context) error {
	q := newQuery(c, "model_id", "lane", "source", "limit", "offset")
	f := registry.FitnessFilter{ModelID: q.str("model_id"), Lane: q.str("lane"),
		Source: registry.FitnessSource(q.str("source")), Page: q.page()}
	if f.Source != "" && !f.Source.Valid() {
		q.errs["source"] = "must be one of tensorzero, pinokio, unsloth, hf-autoresearch, evoswarm, manual"
	}
	if err := q.err(); err != nil {
		return err
	}
	items, count, err := s.store.ListFitness(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(items, count))
}
