// Package tzsync delivers the registry's TensorZero configuration to the
// gateway's tensorzero.toml, which the gateway reads only at start-up.
//
// A Syncer writes either the whole rendered configuration
// (GET /api/tensorzero/config) or, in splice mode, only the region of an
// existing file between the platform's marker comments
// "# BEGIN REGISTRY-MANAGED MODELS" and "# END REGISTRY-MANAGED MODELS":
// one [models.<alias>] block for each alias that starts with "registry_"
// (from GET /api/models), rendered with the provider rules of package
// tomlgen. Blocks of the region that the registry does not render keep their
// place and bytes, and every byte outside the markers is kept as it was.
//
// Nothing reaches the file unless the whole candidate parses and passes
// tomlgen.Lint without an error. The file is replaced atomically (a
// temporary file in the same folder, fsync, rename, fsync of the folder) and
// keeps its mode; an unchanged configuration writes nothing. Every written
// version is kept as a numbered generation in the folder <file>.generations
// beside it, so that Rollback can restore the previous one, or any kept one.
//
// After a write a Syncer can run a command (a restart of the gateway) and
// wait for the gateway's GET /health to answer 200; when it does not, the
// Syncer restores the previous generation, runs the command again, and marks
// the failed generation so that the same configuration is not written again.
//
// Watch keeps a file in step with the registry: it listens for
// model.registry.updated.v1 on NATS (a core subscription) and also asks the
// registry every interval (a conditional GET with If-None-Match in whole-file
// mode), coalescing bursts of changes into one pass.
package tzsync
