// Package api is the registry's HTTP API on Echo v4: routes, request
// decoding and validation, authentication, the error envelope, health and
// metrics. It is the only package that imports Echo, it holds no SQL, and it
// declares the small interfaces it consumes (Store, Publisher).
package api
