// Package registry holds the model registry's domain: providers, models,
// aliases, service mappings and deployments, the allowed values of their enum
// columns, their validation, the change-event payload, and the sentinel errors
// every other package maps its failures to. It imports nothing of ours and
// only the standard library.
package registry
