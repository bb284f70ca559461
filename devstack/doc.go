// Package devstack runs the registry's local stack for `model-registry dev`
// and the tests: a private PostgreSQL cluster (package pgcluster) prepared
// with the Supabase roles, the sql/ migrations and the seed; the
// PostgREST-compatible server (package postgrest); and an in-process NATS
// server. Nothing in the serving path imports it.
package devstack
