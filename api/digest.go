package api

import (
	"crypto/sha256"
	"encoding/json"

	"github.com/pmoves/model-registry/registry"
)

// catalogDigest identifies the render's input. Rows carry updated_at, so
// any change to a row changes the digest.
func catalogDigest(cat registry.Catalog) ([sha256.Size]byte, error) {
	b, err := json.Marshal(cat)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(b), nil
}
