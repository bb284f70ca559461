#!/usr/bin/env bash
# Runs the README's curl examples against a running `model-registry dev`
# (started with --keys-file /tmp/keys.json) and prints them as Markdown with
# their real output. Needs curl and jq.
set -euo pipefail
KEYS=${KEYS:-/tmp/keys.json}
R=$(jq -r .registry_url "$KEYS")
KEY=$(jq -r .service_key "$KEYS")
export R KEY

ex() { # ex "description" 'command'
  printf '%s\n\n```console\n$ %s\n' "$1" "$2"
  bash -c "$2" 2>&1 || true
  printf '```\n\n'
}

ex "The service, its version and its routes:" 'curl -s $R/ | jq -c "{service, version, routes: (.routes | length), first: .routes[:3]}"'
ex "Liveness, with the state of each dependency (\`status\` is \`healthy\`, as the platform's monitors expect):" 'curl -s $R/healthz'
ex "Readiness (503 while PostgREST is unreachable):" 'curl -s -o /dev/null -w "%{http_code}\n" $R/readyz'
ex "Prometheus metrics:" 'curl -s $R/metrics | grep "^model_registry_http_requests_total" | head -3'

ex "List models; filters \`model_type\`, \`provider\` (name or type), \`active\`, \`q\`, \`limit\`, \`offset\`:" \
  'curl -s "$R/api/models?model_type=embedding&provider=ollama&limit=2" | jq -c "{count, names: [.items[].name]}"'
ex "Without \`limit\`, every matching model; items carry the platform's fields (\`model_id\` is the provider's own id, \`id\` the registry's UUID):" \
  'curl -s "$R/api/models" | jq -c "{count, items: (.items | length), sample: [.items[] | select(.aliases != []) | {id, model_id, provider_type, api_base, api_key_env_var, aliases}][0]}"'
ex "Search, and inactive models:" \
  'curl -s "$R/api/models?q=qwen&limit=3" | jq -c "{count, names: [.items[].name]}"; curl -s "$R/api/models?active=false" | jq -c "[.items[].name]"'
ex "Providers:" 'curl -s "$R/api/providers?type=ollama" | jq -c "[.items[] | {name, api_base, active}]"'
ex "Create a provider (writes need the service key or MODEL_REGISTRY_API_KEY, as \`Authorization: Bearer\` or \`apikey\`):" \
  'curl -s -X POST $R/api/providers -H "Authorization: Bearer $KEY" -d '"'"'{"name":"ollama_lab","type":"ollama","api_base":"http://lab-gpu:11434"}'"'"' | tee /tmp/p.json | jq -c "{id, name, type, active}"'
ex "Get, replace (PUT) and change (PATCH) it:" \
  'P=$(jq -r .id /tmp/p.json); curl -s $R/api/providers/$P | jq -c "{name, api_base}"; curl -s -X PUT $R/api/providers/$P -H "apikey: $KEY" -d '"'"'{"name":"ollama_lab","type":"ollama","api_base":"http://lab-gpu-2:11434"}'"'"' | jq -c "{name, api_base}"; curl -s -X PATCH $R/api/providers/$P -H "apikey: $KEY" -d '"'"'{"description":"lab box"}'"'"' | jq -c "{name, description}"'
ex "Create a model on it, then read, replace and patch it:" \
  'P=$(jq -r .id /tmp/p.json); curl -s -X POST $R/api/models -H "apikey: $KEY" -d "{\"provider_id\":\"$P\",\"name\":\"lab_qwen3_8b\",\"model_id\":\"qwen3:8b\",\"model_type\":\"chat\",\"vram_mb\":6000}" | tee /tmp/m.json | jq -c "{id, name, provider_name}"; M=$(jq -r .id /tmp/m.json); curl -s $R/api/models/$M | jq -c "{name, model_id, vram_mb}"; curl -s -X PUT $R/api/models/$M -H "apikey: $KEY" -d "{\"provider_id\":\"$P\",\"name\":\"lab_qwen3_8b\",\"model_id\":\"qwen3:8b\",\"model_type\":\"chat\",\"context_length\":32768}" | jq -c "{name, vram_mb, context_length}"; curl -s -X PATCH $R/api/models/$M -H "apikey: $KEY" -d '"'"'{"vram_mb":6200}'"'"' | jq -c "{name, vram_mb}"'
ex "Route a service's function variant to it (PUT creates or replaces), list the service's mappings:" \
  'M=$(jq -r .id /tmp/m.json); curl -s -X PUT $R/api/mappings/lab/lab_chat/local -H "apikey: $KEY" -d "{\"model_id\":\"$M\",\"priority\":1,\"weight\":100}" | jq -c "{service_name, function_name, variant_name, model_name, priority, weight}"; curl -s $R/api/mappings/lab | jq -c "{count}"'
ex "Create a mapping with POST (409 if it exists), list mappings by filter:" \
  'M=$(jq -r .id /tmp/m.json); curl -s -X POST $R/api/mappings -H "apikey: $KEY" -d "{\"service_name\":\"lab\",\"function_name\":\"lab_chat\",\"variant_name\":\"backup\",\"model_id\":\"$M\",\"priority\":2}" | jq -c "{variant_name, priority}"; curl -s "$R/api/mappings?service_name=agent-zero&limit=2" | jq -c "{count, first: .items[0] | {function_name, variant_name, model_name}}"'
ex "The models a service should use, best first (a bare array of \`v_service_models\` rows, as the platform's model client reads it: \`model_id\` is the provider's own id, the UUIDs are \`model_uuid\` and \`id\`); filter \`function\`:" \
  'curl -s $R/api/services/agent-zero/models | jq -c "[.[] | {function_name, variant_name, model_id, priority, weight}] | .[:3]"; curl -s "$R/api/services/hi-rag/models?function=rag_answer" | jq -c ".[0] | {variant_name, model_id, api_base, fallback_model_id, model_uuid}"'
ex "Deleting a model that mappings use is refused unless \`?cascade=true\`:" \
  'M=$(jq -r .id /tmp/m.json); curl -s -X DELETE $R/api/models/$M -H "apikey: $KEY"; echo; curl -s -o /dev/null -w "%{http_code}\n" -X DELETE $R/api/mappings/lab/lab_chat/backup -H "apikey: $KEY"'
ex "Aliases: create, list, resolve (a context first, then aliases without one), delete:" \
  'M=$(jq -r .id /tmp/m.json); curl -s -X POST $R/api/aliases -H "apikey: $KEY" -d "{\"model_id\":\"$M\",\"alias\":\"lab-fast\",\"context\":\"ui\"}" | tee /tmp/a.json | jq -c "{alias, context}"; curl -s "$R/api/aliases?context=ui&limit=2" | jq -c "{count}"; curl -s "$R/api/aliases/resolve/lab-fast?context=ui" | jq -c "{name, model_id, provider_name}"; curl -s -o /dev/null -w "%{http_code}\n" -X DELETE $R/api/aliases/$(jq -r .id /tmp/a.json) -H "apikey: $KEY"'
ex "Register a deployment (idempotent on model and node; the model is a UUID, or provider type + provider model id when that names one model):" \
  'curl -s -X POST $R/api/deployments/register -H "apikey: $KEY" -d "{\"model_id\":\"$(jq -r .id /tmp/m.json)\",\"provider_type\":\"ollama\",\"node_id\":\"lab-gpu-1\",\"status\":\"loaded\",\"vram_allocated_mb\":6100}" | tee /tmp/d.json | jq -c "{id, model_name, node_id, status, vram_allocated_mb}"; curl -s -X POST $R/api/deployments/register -H "apikey: $KEY" -d '"'"'{"provider_model_id":"qwen3:8b","provider_type":"ollama","node_id":"lab-gpu-1"}'"'"''
ex "The original service's route, as the platform's embedding services call it (\`model_id\` the provider's own id, resolved with \`provider_type\`):" \
  'curl -s -X POST $R/api/deployments -H "apikey: $KEY" -d '"'"'{"model_id":"qwen3-embedding:4b","node_id":"lab-gpu-1","provider_type":"ollama","status":"loaded","vram_allocated_mb":3000}'"'"' | jq -c "{model_name, provider_model_id, node_id, status}"'
ex "Change its status, then list deployments (default: loading and loaded; filters \`node_id\`, \`status\`, \`model_id\`):" \
  'curl -s -X PUT $R/api/deployments/$(jq -r .id /tmp/d.json)/status -H "apikey: $KEY" -d '"'"'{"status":"error","error_message":"CUDA out of memory"}'"'"' | jq -c "{status, error_message}"; curl -s "$R/api/deployments?node_id=lab-gpu-1&status=error" | jq -c "{count}"; curl -s "$R/api/deployments?limit=1" | jq -c "{count, first: .items[0] | {model_name, node_id, status}}"'
ex "The rendered \`tensorzero.toml\` (strong ETag; 304 on If-None-Match):" \
  'curl -s -D /tmp/h $R/api/tensorzero/config | sed -n "1,12p"; E=$(grep -i ^etag /tmp/h | cut -d" " -f2 | tr -d "\r"); curl -s -o /dev/null -w "%{http_code}\n" -H "If-None-Match: $E" $R/api/tensorzero/config'
ex "Functions and variants as JSON:" 'curl -s $R/api/tensorzero/functions | jq -c "{count, first: .items[0] | {name, candidates, fallbacks}}"'
ex "Lint a tensorzero.toml (200 with findings; 400 only if it is not TOML):" \
  'printf "[models.x]\nrouting = [\"a\"]\n[models.x.providers.b]\ntype = \"openai\"\nmodel_name = \"m\"\n" | curl -s -X POST --data-binary @- $R/api/tensorzero/validate | jq -c'
ex "Clean up (the provider still has a model, so cascade):" \
  'curl -s -o /dev/null -w "%{http_code}\n" -X DELETE "$R/api/providers/$(jq -r .id /tmp/p.json)?cascade=true" -H "apikey: $KEY"'
ex "Errors share one envelope:" \
  'curl -s -X POST $R/api/models -H "apikey: $KEY" -d '"'"'{"name":"x","model_type":"llm","colour":"red"}'"'"'; echo; curl -s -X POST $R/api/models -d "{}"'
