package registry

import "encoding/json"

// Catalog is a consistent read of what the gateway configuration is made
// from: providers, models, mappings, and the pass-through data an import
// kept (keyed as package tomlgen defines).
type Catalog struct {
	Providers   []Provider
	Models      []Model
	Mappings    []Mapping
	Passthrough map[string]json.RawMessage
}
