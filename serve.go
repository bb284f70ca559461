package main

import (
	"context"
	"errors"
	"io"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("serve", "Run the registry API, configured from the environment (see README).", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if err := cfg.requireServiceKey(); err != nil {
		return err
	}
	return errors.New("serve: the API is being wired up (issue 4)")
}

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("dev", "Run the registry with its whole local stack.", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("dev: the local stack is being wired up (issue 4)")
}

func runDevstack(ctx context.Context, args []string, stdout io.Writer) error {
	return errors.New("devstack: the PostgREST-compatible server is being built (issue 3)")
}
