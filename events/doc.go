// Package events is the registry's NATS bridge: GPU node events in
// (mesh.gpu.model.loaded.v1, mesh.gpu.model.unloaded.v1, mesh.gpu.status.v1)
// and catalogue change events out (model.registry.updated.v1).
package events
