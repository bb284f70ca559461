package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// runHealthcheck asks the local registry's /healthz; it is the container's
// HEALTHCHECK, so the image needs no shell or curl.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("healthcheck", "Exit 0 when the registry on this host answers /healthz with 200.", stdout)
	url := fs.String("url", "", "health URL (default http://127.0.0.1:$MODEL_REGISTRY_PORT/healthz)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		port := getenv("MODEL_REGISTRY_PORT")
		if _, err := strconv.Atoi(port); err != nil {
			port = "8110"
		}
		*url = "http://127.0.0.1:" + port + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d", *url, res.StatusCode)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
