package supabase

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// TestErrorKinds checks the mapping of PostgREST errors to sentinels and the
// translation of constraint violations into field errors and conflicts.
func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		run    func(ctx context.Context, c *Client) error
		kind   error
		field  string // a *registry.ValidationError on this field
		msg    string // part of err.Error()
	}{
		{"unique provider name", 409,
			`{"code":"23505","message":"duplicate key value violates unique constraint \"model_providers_name_key\"","details":"Key (name)=(ollama-local) already exists.","hint":null}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.CreateProvider(ctx, registry.ProviderInput{Name: "ollama-local", Type: registry.ProviderOllama})
				return err
			}, registry.ErrConflict, "", `a provider named "ollama-local" exists`},
		{"unique model", 409,
			`{"code":"23505","message":"duplicate key value violates unique constraint \"models_provider_id_model_id_key\"","details":"Key (provider_id, model_id)=(x, qwen3:8b) already exists.","hint":null}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.CreateModel(ctx, registry.ModelInput{ProviderID: someID, Name: "qwen3", ModelID: "qwen3:8b", ModelType: registry.ModelChat})
				return err
			}, registry.ErrConflict, "", `already has a model with model_id "qwen3:8b"`},
		{"unique alias in context", 409,
			`{"code":"23505","message":"duplicate key value violates unique constraint \"model_aliases_alias_context_key\"","details":"Key (alias, context)=(fast, ui) already exists.","hint":null}`,
			func(ctx context.Context, c *Client) error {
				ui := "ui"
				_, err := c.CreateAlias(ctx, registry.AliasInput{ModelID: someID, Alias: "fast", Context: &ui})
				return err
			}, registry.ErrConflict, "", `"fast" exists in context "ui"`},
		{"unknown provider", 409,
			`{"code":"23503","message":"insert or update on table \"models\" violates foreign key constraint \"models_provider_id_fkey\"","details":"Key (provider_id)=(6f1c2a53-1b7e-4a59-9c1e-2a3f0e5a9d10) is not present in table \"model_providers\".","hint":null}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.CreateModel(ctx, registry.ModelInput{ProviderID: someID, Name: "m", ModelID: "m", ModelType: registry.ModelChat})
				return err
			}, registry.ErrInvalid, "provider_id", "no such provider"},
		{"unknown fallback, legacy constraint name", 409,
			`{"code":"23503","message":"insert or update on table \"service_model_mappings\" violates foreign key constraint \"smm_fb\"","details":"Key (fallback_model_id)=(6f1c2a53-1b7e-4a59-9c1e-2a3f0e5a9d10) is not present in table \"models\".","hint":null}`,
			func(ctx context.Context, c *Client) error {
				_, _, err := c.PutMapping(ctx, registry.MappingInput{ServiceName: "s", FunctionName: "f", VariantName: "v", ModelID: someID})
				return err
			}, registry.ErrInvalid, "fallback_model_id", "does not exist"},
		{"check violation", 400,
			`{"code":"23514","message":"new row for relation \"service_model_mappings\" violates check constraint \"service_model_mappings_weight_check\"","details":"Failing row contains (...).","hint":null}`,
			func(ctx context.Context, c *Client) error {
				_, _, err := c.PutMapping(ctx, registry.MappingInput{ServiceName: "s", FunctionName: "f", VariantName: "v", ModelID: someID})
				return err
			}, registry.ErrInvalid, "weight", "between 0 and 1000"},
		{"not null", 400,
			`{"code":"23502","message":"null value in column \"provider_type\" of relation \"model_deployments\" violates not-null constraint","details":null,"hint":null}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.SetDeploymentStatus(ctx, someID, registry.StatusChange{Status: registry.StatusLoaded})
				return err
			}, registry.ErrInvalid, "", ""},
		{"bad literal", 400,
			`{"code":"22P02","message":"invalid input syntax for type uuid: \"x\"","details":null,"hint":null}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.GetModel(ctx, someID)
				return err
			}, registry.ErrInvalid, "", "invalid input syntax"},
		{"singular zero rows", 406,
			`{"code":"PGRST116","message":"Cannot coerce the result to a single JSON object","details":"The result contains 0 rows","hint":null}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.GetProvider(ctx, someID)
				return err
			}, registry.ErrNotFound, "", ""},
		{"still referenced on delete", 409,
			`{"code":"23503","message":"update or delete on table \"models\" violates foreign key constraint \"service_model_mappings_model_id_fkey\" on table \"service_model_mappings\"","details":"Key (id)=(6f1c2a53-1b7e-4a59-9c1e-2a3f0e5a9d10) is still referenced from table \"service_model_mappings\".","hint":null}`,
			func(ctx context.Context, c *Client) error { return c.DeleteAlias(ctx, someID) },
			registry.ErrConflict, "", "still in use"},
		{"parse error is internal", 400,
			`{"code":"PGRST100","message":"\"failed to parse filter (eq)\" (line 1, column 4)","details":"unexpected end of input","hint":null}`,
			func(ctx context.Context, c *Client) error {
				_, _, err := c.ListModels(ctx, registry.ModelFilter{})
				return err
			}, nil, "", "failed to parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			})
			c := faultClient(t, srv.URL, 2*time.Second)
			err := tc.run(context.Background(), c)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.kind == nil {
				for _, k := range []error{registry.ErrNotFound, registry.ErrConflict, registry.ErrInvalid, registry.ErrUnavailable} {
					if errors.Is(err, k) {
						t.Errorf("error %q matches %v; want an internal error", err, k)
					}
				}
			} else if !errors.Is(err, tc.kind) {
				t.Errorf("error %q: want kind %v", err, tc.kind)
			}
			var ve *registry.ValidationError
			if tc.field != "" {
				if !errors.As(err, &ve) || ve.Fields[tc.field] == "" {
					t.Errorf("error %q: want a ValidationError on %s", err, tc.field)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) || e.Status != tc.status {
					t.Errorf("error %q: want a *supabase.Error with status %d", err, tc.status)
				}
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}
