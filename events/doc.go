// Package events is the registry's NATS bridge: GPU node events in
// (mesh.gpu.model.loaded.v1, mesh.gpu.model.unloaded.v1, mesh.gpu.status.v1)
// and catalogue change events out (model.registry.updated.v1).
//
// Start connects in the background and never fails because NATS is down; it
// keeps reconnecting for as long as the bridge lives. Once connected, the
// bridge asks the server for JetStream. With JetStream it makes sure a stream
// captures the inbound subjects (Config.Stream; created when missing, with
// interest retention and a 72-hour age limit; given any subject it lacks; or,
// when another stream already captures them all, that one is used) and consumes
// it through a durable pull consumer (Config.Durable) shared by every replica,
// so each event is applied by one replica. Loaded and unloaded events are
// recorded in batches (up to Config.BatchSize, gathered for at most
// Config.BatchWait while the replica is idle, and growing with the backlog
// while it is busy), each with one Store call; the others one by one. An event
// is acknowledged only after the Store accepted its write; while the Store is
// unavailable the event is redelivered with exponential back-off, so nothing is
// lost. A malformed or unresolvable event is counted, logged (at most once a
// minute per reason and subject) and terminated, never redelivered. Without
// JetStream the bridge falls back to a core queue subscription, which is
// at-most-once, and Health says so.
//
// Each inbound payload may take either form seen in the wild:
//
//	{"node_id","provider_type","model_id","vram_allocated_mb","status"}
//	{"type","model_key":"<provider_type>/<model_id>","vram_mb","ts"}
//
// The node falls back to the Nats-Node-Id header, then Config.DefaultNode,
// "gpu-orchestrator" unless configured: the platform's GPU orchestrator sends
// model_key events with neither node_id nor header. The status falls back to
// the subject; the event time is "ts" (RFC 3339, or unix seconds,
// milliseconds, microseconds or nanoseconds), capped by the time the message
// reached the stream (or arrived, without JetStream). The Store ignores an
// event older than what it holds, so redelivery and reordering cannot flip a
// deployment back.
//
// A change event carries "ts" in integer unix seconds, as the platform
// documents, and "time" in RFC 3339 with nanoseconds. Change events from other
// replicas are read with either, or with the RFC 3339 "ts" of older releases.
//
// Publish queues a change event and returns at once; a background sender
// publishes it with a Nats-Msg-Id header (through JetStream when a stream
// captures model.registry.updated.v1, so the server de-duplicates) and retries
// failures, keeping at most Config.PublishQueue events while NATS is away.
// Every applied deployment event is announced the same way.
package events
