-- seed: a realistic catalogue for a PMOVES deployment (pmoves_core).
--
-- Local GPU nodes (Ollama on the main GPU box and on the Jetson edge node,
-- vLLM), hosted OpenAI-compatible APIs, Anthropic, and custom servers for
-- speech, transcription and image generation; the models they serve; aliases;
-- the service mappings that become the gateway's functions and variants; and
-- what is deployed on which node.
--
-- Idempotent: every row is inserted by its natural key with ON CONFLICT DO
-- NOTHING, and foreign keys are looked up by natural key (provider name,
-- provider + provider model id), so a second run adds and changes nothing.
-- Plain SQL, one multi-statement string (simple protocol): no psql commands
-- and no explicit transaction.
--
-- api_key_env_var names an environment variable; it never holds a key. Local
-- servers have none. Ollama servers are given by their base URL (the gateway
-- reaches their OpenAI-compatible API under /v1); vLLM and the hosted
-- OpenAI-compatible APIs by their /v1 base; Anthropic by its full
-- /v1/messages URL, as the gateway's anthropic provider expects.

-- Providers -----------------------------------------------------------------

INSERT INTO pmoves_core.model_providers (name, type, api_base, api_key_env_var, description, metadata, active)
SELECT v.name, v.type, v.api_base, v.api_key_env_var, v.description, v.metadata::jsonb, v.active
  FROM (VALUES
    ('ollama_local',  'ollama',            'http://pmoves-ollama:11434',            NULL::text,
     'Ollama on the main GPU box (gpu-node-1)',                     '{"node": "gpu-node-1", "location": "local"}', true),
    ('ollama_edge',   'ollama',            'http://jetson-ollama:11434',            NULL,
     'Ollama on the Jetson edge node (jetson-edge-1)',              '{"node": "jetson-edge-1", "location": "edge"}', true),
    ('vllm_local',    'vllm',              'http://pmoves-vllm:8000/v1',            NULL,
     'vLLM OpenAI-compatible server on the second GPU box (gpu-node-2)', '{"node": "gpu-node-2", "location": "local"}', true),
    ('openai',        'openai_compatible', 'https://api.openai.com/v1',             'OPENAI_API_KEY',
     'OpenAI platform API',                                         '{"location": "hosted"}', true),
    ('anthropic',     'anthropic',         'https://api.anthropic.com/v1/messages', 'ANTHROPIC_API_KEY',
     'Anthropic Messages API (Claude)',                             '{"location": "hosted"}', true),
    ('openrouter',    'openai_compatible', 'https://openrouter.ai/api/v1',          'OPENROUTER_API_KEY',
     'OpenRouter, a router over many hosted models',                '{"location": "hosted"}', true),
    ('groq',          'openai_compatible', 'https://api.groq.com/openai/v1',        'GROQ_API_KEY',
     'Groq LPU inference, low-latency open models and Whisper',     '{"location": "hosted"}', true),
    ('together',      'openai_compatible', 'https://api.together.xyz/v1',           'TOGETHER_AI_API_KEY',
     'Together AI: open chat, embedding, rerank and image models',  '{"location": "hosted"}', true),
    ('deepseek',      'openai_compatible', 'https://api.deepseek.com/v1',           'DEEPSEEK_API_KEY',
     'DeepSeek API (chat and reasoner)',                            '{"location": "hosted"}', true),
    ('mistral',       'openai_compatible', 'https://api.mistral.ai/v1',             'MISTRAL_API_KEY',
     'Mistral La Plateforme',                                       '{"location": "hosted"}', true),
    ('moonshot',      'openai_compatible', 'https://api.moonshot.ai/v1',            'MOONSHOT_API_KEY',
     'Moonshot AI (Kimi) API',                                      '{"location": "hosted"}', true),
    ('venice',        'openai_compatible', 'https://api.venice.ai/api/v1',          'VENICE_API_KEY',
     'Venice AI; disabled until the account is renewed',            '{"location": "hosted"}', false),
    ('tts_flute',     'custom',            'http://flute-gateway:8055',             NULL,
     'Flute voice gateway: text-to-speech for PMOVES agents',       '{"node": "gpu-node-1", "location": "local"}', true),
    ('whisper_local', 'custom',            'http://pmoves-whisper:8000/v1',         NULL,
     'faster-whisper transcription server on the main GPU box',     '{"node": "gpu-node-1", "location": "local"}', true),
    ('comfyui_local', 'custom',            'http://pmoves-comfyui:8188',            NULL,
     'ComfyUI image generation on the second GPU box',              '{"node": "gpu-node-2", "location": "local"}', true)
  ) AS v(name, type, api_base, api_key_env_var, description, metadata, active)
ON CONFLICT (name) DO NOTHING;

-- Models ----------------------------------------------------------------------
-- Some names repeat on two providers (qwen3_8b, phi3_mini, mistral_7b_instruct,
-- nomic_embed_text, qwen2_5_vl_7b, gpt_4o_mini, llama3_1_8b, llama3_3_70b,
-- whisper_large_v3): the gateway renders each as one model routed over both.

INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type, capabilities, vram_mb, context_length, description, metadata, active)
SELECT p.id, v.name, v.model_id, v.model_type, v.capabilities::jsonb, v.vram_mb, v.context_length, v.description, v.metadata::jsonb, v.active
  FROM (VALUES
    -- Ollama, main GPU box
    ('ollama_local', 'qwen3_8b', 'qwen3:8b', 'chat', '["chat", "tools", "reasoning"]', 6200::int, 40960::int,
     'Qwen3 8B: default local chat model and DeepResearch fallback', '{"family": "qwen"}', true),
    ('ollama_local', 'qwen2_5_32b', 'qwen2.5:32b', 'chat', '["chat", "tools", "json"]', 21500, 32768,
     'Qwen2.5 32B: flagship local general-purpose model', '{"family": "qwen"}', true),
    ('ollama_local', 'qwen2_5_14b', 'qwen2.5:14b', 'chat', '["chat", "tools", "json"]', 10500, 32768,
     'Qwen2.5 14B: workhorse for agents and RAG answers', '{"family": "qwen"}', true),
    ('ollama_local', 'qwen_14b', 'qwen:14b', 'chat', '["chat"]', 9800, 32768,
     'Qwen1.5 14B: retired, superseded by qwen2.5:14b', '{"family": "qwen"}', false),
    ('ollama_local', 'mistral_7b_instruct', 'mistral:7b-instruct', 'chat', '["chat", "tools"]', 5200, 32768,
     'Mistral 7B Instruct', '{"family": "mistral"}', true),
    ('ollama_local', 'phi3_mini', 'phi3:3.8b-mini-128k-instruct', 'chat', '["chat"]', 4200, 131072,
     'Phi-3 Mini 128k: small long-context model for rewriting and extraction', '{"family": "phi"}', true),
    ('ollama_local', 'llama3_1_8b', 'llama3.1:8b', 'chat', '["chat", "tools"]', 6000, 131072,
     'Llama 3.1 8B Instruct', '{"family": "llama"}', true),
    ('ollama_local', 'nemotron_mini', 'nemotron-mini', 'chat', '["chat", "tools", "rag"]', 3400, 4096,
     'NVIDIA Nemotron Mini 4B: research planning for DeepResearch', '{"family": "nemotron"}', true),
    ('ollama_local', 'qwen2_5_coder_14b', 'qwen2.5-coder:14b', 'chat', '["chat", "code", "fim"]', 10500, 32768,
     'Qwen2.5 Coder 14B: local code completion', '{"family": "qwen"}', true),
    ('ollama_local', 'deepseek_r1_14b', 'deepseek-r1:14b', 'chat', '["chat", "reasoning"]', 10800, 131072,
     'DeepSeek-R1 distilled into Qwen 14B: local reasoning', '{"family": "deepseek"}', true),
    ('ollama_local', 'gpt_oss_20b', 'gpt-oss:20b', 'chat', '["chat", "tools", "reasoning"]', 14500, 131072,
     'OpenAI gpt-oss 20B open-weight model', '{"family": "gpt-oss"}', true),
    ('ollama_local', 'qwen2_5_vl_7b', 'qwen2.5vl:7b', 'vl', '["chat", "vision", "ocr"]', 8000, 128000,
     'Qwen2.5-VL 7B: image understanding and document OCR', '{"family": "qwen"}', true),
    ('ollama_local', 'minicpm_v_8b', 'minicpm-v:8b', 'vl', '["chat", "vision"]', 6800, 32768,
     'MiniCPM-V 2.6 8B: video frame captioning', '{"family": "minicpm"}', true),
    ('ollama_local', 'llama3_2_vision_11b', 'llama3.2-vision:11b', 'vl', '["chat", "vision"]', 11500, 131072,
     'Llama 3.2 Vision 11B: disabled, replaced by qwen2.5vl:7b', '{"family": "llama"}', false),
    ('ollama_local', 'nomic_embed_text', 'nomic-embed-text', 'embedding', '["embedding"]', 600, 8192,
     'Nomic Embed Text v1.5 (768 dimensions): Archon and Hi-RAG documents', '{"dimensions": 768}', true),
    ('ollama_local', 'qwen3_embedding_4b', 'qwen3-embedding:4b', 'embedding', '["embedding", "multilingual"]', 3200, 40960,
     'Qwen3 Embedding 4B (2560 dimensions)', '{"dimensions": 2560}', true),
    ('ollama_local', 'embeddinggemma_300m', 'embeddinggemma:300m', 'embedding', '["embedding"]', 800, 2048,
     'EmbeddingGemma 300M (768 dimensions)', '{"dimensions": 768}', true),
    ('ollama_local', 'qwen3_reranker_4b', 'qwen3-reranker:4b', 'reranker', '["rerank"]', 3200, 40960,
     'Qwen3 Reranker 4B: cross-encoder reranking for Hi-RAG v2', '{"family": "qwen"}', true),
    -- Ollama, Jetson edge node
    ('ollama_edge', 'qwen3_8b', 'qwen3:8b', 'chat', '["chat", "tools", "reasoning"]', 6200, 40960,
     'Qwen3 8B on the Jetson edge node', '{"family": "qwen"}', true),
    ('ollama_edge', 'phi3_mini', 'phi3:3.8b-mini-128k-instruct', 'chat', '["chat"]', 4200, 131072,
     'Phi-3 Mini 128k on the Jetson edge node', '{"family": "phi"}', true),
    ('ollama_edge', 'mistral_7b_instruct', 'mistral:7b-instruct', 'chat', '["chat", "tools"]', 5200, 32768,
     'Mistral 7B Instruct on the Jetson edge node', '{"family": "mistral"}', true),
    ('ollama_edge', 'llama3_2_3b', 'llama3.2:3b', 'chat', '["chat", "tools"]', 2600, 131072,
     'Llama 3.2 3B: fast edge model', '{"family": "llama"}', true),
    ('ollama_edge', 'moondream', 'moondream', 'vl', '["chat", "vision"]', 1900, 2048,
     'Moondream 2 (1.8B): camera frame descriptions at the edge', '{"family": "moondream"}', true),
    ('ollama_edge', 'nomic_embed_text', 'nomic-embed-text', 'embedding', '["embedding"]', 600, 8192,
     'Nomic Embed Text v1.5 on the Jetson edge node', '{"dimensions": 768}', true),
    -- vLLM, second GPU box
    ('vllm_local', 'qwen2_5_coder_32b', 'Qwen/Qwen2.5-Coder-32B-Instruct-AWQ', 'chat', '["chat", "code", "tools"]', 22000, 32768,
     'Qwen2.5 Coder 32B (AWQ) for coding assistants and Archon', '{"family": "qwen", "quantization": "awq"}', true),
    ('vllm_local', 'qwen2_5_vl_7b', 'Qwen/Qwen2.5-VL-7B-Instruct', 'vl', '["chat", "vision", "ocr"]', 17500, 32768,
     'Qwen2.5-VL 7B Instruct served by vLLM', '{"family": "qwen"}', true),
    ('vllm_local', 'bge_reranker_v2_m3', 'BAAI/bge-reranker-v2-m3', 'reranker', '["rerank", "multilingual"]', 2300, 8192,
     'BGE reranker v2 m3 (vLLM score API)', '{"family": "bge"}', true),
    ('vllm_local', 'whisper_large_v3', 'openai/whisper-large-v3', 'audio', '["transcription", "translation"]', 4000, NULL,
     'Whisper large v3 served by vLLM', '{"family": "whisper"}', true),
    -- OpenAI
    ('openai', 'gpt_4o_mini', 'gpt-4o-mini', 'chat', '["chat", "tools", "json", "vision"]', NULL, 128000,
     'GPT-4o mini: default hosted chat model', '{"family": "gpt"}', true),
    ('openai', 'gpt_4o', 'gpt-4o', 'chat', '["chat", "tools", "json", "vision"]', NULL, 128000,
     'GPT-4o', '{"family": "gpt"}', true),
    ('openai', 'gpt_4_1_mini', 'gpt-4.1-mini', 'chat', '["chat", "tools", "json", "vision"]', NULL, 1047576,
     'GPT-4.1 mini: long-context hosted model', '{"family": "gpt"}', true),
    ('openai', 'o4_mini', 'o4-mini', 'chat', '["chat", "tools", "reasoning"]', NULL, 200000,
     'o4-mini reasoning model', '{"family": "o-series"}', true),
    ('openai', 'text_embedding_3_small', 'text-embedding-3-small', 'embedding', '["embedding"]', NULL, 8191,
     'OpenAI text-embedding-3-small (1536 dimensions)', '{"dimensions": 1536}', true),
    ('openai', 'text_embedding_3_large', 'text-embedding-3-large', 'embedding', '["embedding"]', NULL, 8191,
     'OpenAI text-embedding-3-large (3072 dimensions)', '{"dimensions": 3072}', true),
    ('openai', 'whisper_1', 'whisper-1', 'audio', '["transcription", "translation"]', NULL, NULL,
     'OpenAI Whisper transcription', '{"family": "whisper"}', true),
    ('openai', 'gpt_4o_mini_tts', 'gpt-4o-mini-tts', 'tts', '["tts", "voices", "streaming"]', NULL, NULL,
     'OpenAI GPT-4o mini text-to-speech', '{"family": "gpt"}', true),
    ('openai', 'gpt_image_1', 'gpt-image-1', 'image', '["image_generation", "image_edit"]', NULL, NULL,
     'OpenAI image generation and editing', '{"family": "gpt"}', true),
    ('openai', 'dall_e_3', 'dall-e-3', 'image', '["image_generation"]', NULL, NULL,
     'DALL-E 3: retired in favour of gpt-image-1', '{"family": "dall-e"}', false),
    -- Anthropic
    ('anthropic', 'claude_sonnet_4_5', 'claude-sonnet-4-5', 'chat', '["chat", "tools", "vision", "reasoning"]', NULL, 200000,
     'Claude Sonnet 4.5: strongest hosted model for agents and code review', '{"family": "claude"}', true),
    ('anthropic', 'claude_haiku_4_5', 'claude-haiku-4-5', 'chat', '["chat", "tools", "vision"]', NULL, 200000,
     'Claude Haiku 4.5: fast hosted model', '{"family": "claude"}', true),
    ('anthropic', 'claude_opus_4_1', 'claude-opus-4-1', 'chat', '["chat", "tools", "vision", "reasoning"]', NULL, 200000,
     'Claude Opus 4.1: for the hardest research syntheses', '{"family": "claude"}', true),
    -- OpenRouter
    ('openrouter', 'gpt_4o_mini', 'openai/gpt-4o-mini', 'chat', '["chat", "tools", "json", "vision"]', NULL, 128000,
     'GPT-4o mini through OpenRouter', '{"family": "gpt"}', true),
    ('openrouter', 'qwen3_coder', 'qwen/qwen3-coder', 'chat', '["chat", "code", "tools"]', NULL, 262144,
     'Qwen3 Coder 480B A35B through OpenRouter', '{"family": "qwen"}', true),
    ('openrouter', 'llama3_3_70b', 'meta-llama/llama-3.3-70b-instruct', 'chat', '["chat", "tools"]', NULL, 131072,
     'Llama 3.3 70B Instruct through OpenRouter', '{"family": "llama"}', true),
    -- Groq
    ('groq', 'llama3_1_8b', 'llama-3.1-8b-instant', 'chat', '["chat", "tools"]', NULL, 131072,
     'Llama 3.1 8B on Groq: lowest-latency replies', '{"family": "llama"}', true),
    ('groq', 'llama3_3_70b', 'llama-3.3-70b-versatile', 'chat', '["chat", "tools", "json"]', NULL, 131072,
     'Llama 3.3 70B on Groq', '{"family": "llama"}', true),
    ('groq', 'whisper_large_v3', 'whisper-large-v3', 'audio', '["transcription", "translation"]', NULL, NULL,
     'Whisper large v3 on Groq', '{"family": "whisper"}', true),
    ('groq', 'whisper_large_v3_turbo', 'whisper-large-v3-turbo', 'audio', '["transcription"]', NULL, NULL,
     'Whisper large v3 turbo on Groq', '{"family": "whisper"}', true),
    -- Together
    ('together', 'llama3_1_70b', 'meta-llama/Meta-Llama-3.1-70B-Instruct', 'chat', '["chat", "tools"]', NULL, 131072,
     'Llama 3.1 70B Instruct on Together', '{"family": "llama"}', true),
    ('together', 'bge_large_en_v1_5', 'BAAI/bge-large-en-v1.5', 'embedding', '["embedding"]', NULL, 512,
     'BGE large en v1.5 (1024 dimensions) on Together', '{"dimensions": 1024}', true),
    ('together', 'e5_large_v2', 'intfloat/e5-large-v2', 'embedding', '["embedding"]', NULL, 512,
     'E5 large v2 (1024 dimensions) on Together', '{"dimensions": 1024}', true),
    ('together', 'llama_rank_v1', 'Salesforce/Llama-Rank-V1', 'reranker', '["rerank"]', NULL, 8192,
     'LlamaRank v1 reranker on Together', '{"family": "llama"}', true),
    ('together', 'flux_1_schnell', 'black-forest-labs/FLUX.1-schnell', 'image', '["image_generation"]', NULL, NULL,
     'FLUX.1 schnell on Together: fast thumbnails', '{"family": "flux"}', true),
    -- DeepSeek
    ('deepseek', 'deepseek_chat', 'deepseek-chat', 'chat', '["chat", "tools", "json"]', NULL, 128000,
     'DeepSeek chat (non-thinking mode)', '{"family": "deepseek"}', true),
    ('deepseek', 'deepseek_reasoner', 'deepseek-reasoner', 'chat', '["chat", "reasoning"]', NULL, 128000,
     'DeepSeek reasoner (thinking mode)', '{"family": "deepseek"}', true),
    -- Mistral
    ('mistral', 'mistral_small', 'mistral-small-latest', 'chat', '["chat", "tools", "json"]', NULL, 128000,
     'Mistral Small', '{"family": "mistral"}', true),
    ('mistral', 'codestral', 'codestral-latest', 'chat', '["chat", "code", "fim"]', NULL, 256000,
     'Codestral: hosted code completion', '{"family": "mistral"}', true),
    ('mistral', 'pixtral_12b', 'pixtral-12b-2409', 'vl', '["chat", "vision"]', NULL, 128000,
     'Pixtral 12B vision-language model', '{"family": "mistral"}', true),
    ('mistral', 'mistral_embed', 'mistral-embed', 'embedding', '["embedding"]', NULL, 8192,
     'Mistral Embed (1024 dimensions)', '{"dimensions": 1024}', true),
    -- Moonshot
    ('moonshot', 'moonshot_v1_32k', 'moonshot-v1-32k', 'chat', '["chat", "tools"]', NULL, 32768,
     'Moonshot v1 32k (Kimi)', '{"family": "moonshot"}', true),
    -- Venice (provider disabled)
    ('venice', 'venice_uncensored', 'venice-uncensored', 'chat', '["chat"]', NULL, 32768,
     'Venice Uncensored (Dolphin Mistral 24B)', '{"family": "mistral"}', true),
    -- Flute TTS
    ('tts_flute', 'kokoro_82m', 'hexgrad/Kokoro-82M', 'tts', '["tts", "voices", "streaming"]', 1000, NULL,
     'Kokoro 82M: fast default voice', '{"family": "kokoro"}', true),
    ('tts_flute', 'vibevoice_1_5b', 'microsoft/VibeVoice-1.5B', 'tts', '["tts", "multi_speaker", "long_form"]', 7000, NULL,
     'VibeVoice 1.5B: multi-speaker long-form speech (podcasts, notebook audio)', '{"family": "vibevoice"}', true),
    ('tts_flute', 'chatterbox', 'ResembleAI/chatterbox', 'tts', '["tts", "voice_cloning"]', 4500, NULL,
     'Chatterbox: voice cloning, disabled pending licence review', '{"family": "chatterbox"}', false),
    -- Whisper transcription server
    ('whisper_local', 'faster_whisper_large_v3', 'Systran/faster-whisper-large-v3', 'audio', '["transcription", "translation", "timestamps"]', 3500, NULL,
     'faster-whisper large v3 (CTranslate2, float16)', '{"family": "whisper"}', true),
    ('whisper_local', 'faster_distil_whisper_large_v3', 'Systran/faster-distil-whisper-large-v3', 'audio', '["transcription", "timestamps"]', 1800, NULL,
     'Distil-Whisper large v3: faster English transcription', '{"family": "whisper"}', true),
    -- ComfyUI
    ('comfyui_local', 'flux_1_dev', 'flux1-dev-fp8.safetensors', 'image', '["image_generation"]', 16000, NULL,
     'FLUX.1 dev (fp8) ComfyUI checkpoint', '{"family": "flux"}', true),
    ('comfyui_local', 'sdxl_base_1_0', 'sd_xl_base_1.0.safetensors', 'image', '["image_generation", "img2img"]', 8500, NULL,
     'Stable Diffusion XL base 1.0 ComfyUI checkpoint', '{"family": "sdxl"}', true)
  ) AS v(provider, name, model_id, model_type, capabilities, vram_mb, context_length, description, metadata, active)
  JOIN pmoves_core.model_providers p ON p.name = v.provider
ON CONFLICT (provider_id, model_id) DO NOTHING;

-- Aliases -------------------------------------------------------------------
-- context NULL is the global alias; a context scopes it to one caller.

INSERT INTO pmoves_core.model_aliases (model_id, alias, context)
SELECT m.id, v.alias, v.context
  FROM (VALUES
    ('default',     NULL::text,   'ollama_local',  'qwen3:8b'),
    ('fast',        NULL,         'groq',          'llama-3.1-8b-instant'),
    ('smart',       NULL,         'anthropic',     'claude-sonnet-4-5'),
    ('claude',      NULL,         'anthropic',     'claude-sonnet-4-5'),
    ('gpt-4o-mini', NULL,         'openai',        'gpt-4o-mini'),
    ('llama3',      NULL,         'ollama_local',  'llama3.1:8b'),
    ('code',        NULL,         'vllm_local',    'Qwen/Qwen2.5-Coder-32B-Instruct-AWQ'),
    ('research',    NULL,         'ollama_local',  'nemotron-mini'),
    ('reasoning',   NULL,         'deepseek',      'deepseek-reasoner'),
    ('vision',      NULL,         'ollama_local',  'qwen2.5vl:7b'),
    ('embed',       NULL,         'ollama_local',  'nomic-embed-text'),
    ('rerank',      NULL,         'vllm_local',    'BAAI/bge-reranker-v2-m3'),
    ('tts',         NULL,         'tts_flute',     'hexgrad/Kokoro-82M'),
    ('stt',         NULL,         'whisper_local', 'Systran/faster-whisper-large-v3'),
    ('image',       NULL,         'comfyui_local', 'flux1-dev-fp8.safetensors'),
    ('default',     'ui',         'openai',        'gpt-4o-mini'),
    ('fast',        'ui',         'anthropic',     'claude-haiku-4-5'),
    ('default',     'agent-zero', 'ollama_local',  'qwen2.5:14b'),
    ('fast',        'agent-zero', 'ollama_local',  'phi3:3.8b-mini-128k-instruct'),
    ('edge',        'agent-zero', 'ollama_edge',   'qwen3:8b'),
    ('default',     'hi-rag',     'ollama_local',  'qwen2.5:14b'),
    ('embed',       'hi-rag',     'ollama_local',  'qwen3-embedding:4b'),
    ('rerank',      'hi-rag',     'ollama_local',  'qwen3-reranker:4b'),
    ('embed',       'archon',     'openai',        'text-embedding-3-small'),
    ('voice',       'flute',      'tts_flute',     'microsoft/VibeVoice-1.5B'),
    ('vision',      'notebook',   'openai',        'gpt-4o')
  ) AS v(alias, context, provider, model_id)
  JOIN pmoves_core.model_providers p ON p.name = v.provider
  JOIN pmoves_core.models m ON m.provider_id = p.id AND m.model_id = v.model_id
ON CONFLICT ON CONSTRAINT model_aliases_alias_context_key DO NOTHING;

-- Service mappings ------------------------------------------------------------
-- Each function belongs to one service. Lower priority is preferred; the
-- variants sharing a function's lowest priority split traffic by weight, the
-- others are fallbacks in priority order. A few rows are deliberately not
-- servable by the gateway: an inactive model (agent_zero_chat.legacy_qwen14b),
-- a disabled provider (langextract_extract.hosted_venice), a reranker
-- (hirag_rerank.local_reranker) and embeddings (embed_documents.*).

INSERT INTO pmoves_core.service_model_mappings
       (service_name, function_name, variant_name, model_id, priority, weight, fallback_model_id, params)
SELECT v.service_name, v.function_name, v.variant_name, m.id, v.priority, v.weight, fm.id, v.params::jsonb
  FROM (VALUES
    -- agent-zero
    ('agent-zero', 'agent_zero_chat', 'local_qwen14b', 'ollama_local', 'qwen2.5:14b', 1, 70::numeric,
     'anthropic'::text, 'claude-haiku-4-5'::text, '{"temperature": 0.3, "max_tokens": 4096}'),
    ('agent-zero', 'agent_zero_chat', 'local_qwen3_8b', 'ollama_local', 'qwen3:8b', 1, 30, NULL, NULL,
     '{"temperature": 0.3, "max_tokens": 4096}'),
    ('agent-zero', 'agent_zero_chat', 'edge_mistral7b', 'ollama_edge', 'mistral:7b-instruct', 2, 1, NULL, NULL, '{}'),
    ('agent-zero', 'agent_zero_chat', 'hosted_openai', 'openai', 'gpt-4o-mini', 2, 1, NULL, NULL, '{"temperature": 0.3}'),
    ('agent-zero', 'agent_zero_chat', 'hosted_claude', 'anthropic', 'claude-sonnet-4-5', 3, 1, NULL, NULL, '{"max_tokens": 8192}'),
    ('agent-zero', 'agent_zero_chat', 'legacy_qwen14b', 'ollama_local', 'qwen:14b', 3, 0, NULL, NULL, '{}'),
    ('agent-zero', 'agent_zero_subordinate', 'local_qwen14b', 'ollama_local', 'qwen2.5:14b', 1, 60, NULL, NULL, '{}'),
    ('agent-zero', 'agent_zero_subordinate', 'hosted_openrouter', 'openrouter', 'openai/gpt-4o-mini', 1, 40, NULL, NULL, '{}'),
    ('agent-zero', 'agent_zero_subordinate', 'hosted_together', 'together', 'meta-llama/Meta-Llama-3.1-70B-Instruct', 2, 1, NULL, NULL, '{}'),
    ('agent-zero', 'pmoves_research_coordinator', 'local_qwen32b', 'ollama_local', 'qwen2.5:32b', 1, 100,
     'openrouter', 'meta-llama/llama-3.3-70b-instruct', '{"temperature": 0.4, "max_tokens": 4096}'),
    ('agent-zero', 'pmoves_research_coordinator', 'hosted_claude', 'anthropic', 'claude-sonnet-4-5', 2, 1, NULL, NULL, '{}'),
    ('agent-zero', 'pmoves_knowledge_manager', 'local_qwen14b', 'ollama_local', 'qwen2.5:14b', 1, 1, NULL, NULL, '{"temperature": 0.2}'),
    ('agent-zero', 'pmoves_knowledge_manager', 'hosted_together', 'together', 'meta-llama/Meta-Llama-3.1-70B-Instruct', 2, 1, NULL, NULL, '{}'),
    ('agent-zero', 'pmoves_log_analyzer', 'local_mistral7b', 'ollama_local', 'mistral:7b-instruct', 1, 50, NULL, NULL, '{"temperature": 0.1}'),
    ('agent-zero', 'pmoves_log_analyzer', 'hosted_groq', 'groq', 'llama-3.1-8b-instant', 1, 50, NULL, NULL, '{"temperature": 0.1}'),
    ('agent-zero', 'pmoves_media_processor', 'local_qwen14b', 'ollama_local', 'qwen2.5:14b', 1, 1,
     'together', 'meta-llama/Meta-Llama-3.1-70B-Instruct', '{}'),
    -- hi-rag
    ('hi-rag', 'rag_answer', 'local_qwen14b', 'ollama_local', 'qwen2.5:14b', 1, 70,
     'openai', 'gpt-4o-mini', '{"temperature": 0.2, "max_tokens": 2048}'),
    ('hi-rag', 'rag_answer', 'hosted_gpt4o_mini', 'openai', 'gpt-4o-mini', 1, 30, NULL, NULL,
     '{"temperature": 0.2, "max_tokens": 2048}'),
    ('hi-rag', 'rag_answer', 'hosted_groq_70b', 'groq', 'llama-3.3-70b-versatile', 2, 1, NULL, NULL,
     '{"temperature": 0.2, "max_tokens": 2048}'),
    ('hi-rag', 'rag_query_rewrite', 'local_phi3', 'ollama_local', 'phi3:3.8b-mini-128k-instruct', 1, 50, NULL, NULL,
     '{"temperature": 0.0, "max_tokens": 256}'),
    ('hi-rag', 'rag_query_rewrite', 'edge_llama3_2_3b', 'ollama_edge', 'llama3.2:3b', 1, 50, NULL, NULL,
     '{"temperature": 0.0, "max_tokens": 256}'),
    ('hi-rag', 'hirag_rerank', 'llm_rerank_qwen14b', 'ollama_local', 'qwen2.5:14b', 1, 1, NULL, NULL, '{"temperature": 0.0}'),
    ('hi-rag', 'hirag_rerank', 'local_reranker', 'ollama_local', 'qwen3-reranker:4b', 2, 1, NULL, NULL, '{}'),
    ('hi-rag', 'embed_documents', 'local_nomic', 'ollama_local', 'nomic-embed-text', 1, 1, NULL, NULL, '{}'),
    ('hi-rag', 'embed_documents', 'hosted_openai_small', 'openai', 'text-embedding-3-small', 2, 1, NULL, NULL, '{}'),
    -- deepresearch
    ('deepresearch', 'deepresearch_plan', 'nemotron_mini', 'ollama_local', 'nemotron-mini', 1, 80,
     'ollama_local', 'qwen3:8b', '{"temperature": 0.3}'),
    ('deepresearch', 'deepresearch_plan', 'qwen3_8b', 'ollama_local', 'qwen3:8b', 1, 20, NULL, NULL, '{"temperature": 0.3}'),
    ('deepresearch', 'deepresearch_plan', 'hosted_openrouter', 'openrouter', 'openai/gpt-4o-mini', 2, 1, NULL, NULL, '{}'),
    ('deepresearch', 'deepresearch_synthesize', 'local_qwen32b', 'ollama_local', 'qwen2.5:32b', 1, 1, NULL, NULL, '{"max_tokens": 8192}'),
    ('deepresearch', 'deepresearch_synthesize', 'hosted_claude', 'anthropic', 'claude-sonnet-4-5', 2, 1,
     'openai', 'gpt-4o', '{"max_tokens": 8192}'),
    ('deepresearch', 'deepresearch_synthesize', 'hosted_deepseek', 'deepseek', 'deepseek-reasoner', 3, 1, NULL, NULL, '{}'),
    -- archon
    ('archon', 'archon_work_orders', 'local_qwen32b', 'ollama_local', 'qwen2.5:32b', 1, 50, NULL, NULL, '{"temperature": 0.2}'),
    ('archon', 'archon_work_orders', 'vllm_coder32b', 'vllm_local', 'Qwen/Qwen2.5-Coder-32B-Instruct-AWQ', 1, 50, NULL, NULL, '{"temperature": 0.2}'),
    ('archon', 'archon_work_orders', 'hosted_openrouter', 'openrouter', 'qwen/qwen3-coder', 2, 1, NULL, NULL, '{}'),
    ('archon', 'archon_work_orders', 'hosted_claude', 'anthropic', 'claude-sonnet-4-5', 3, 1, NULL, NULL, '{}'),
    ('archon', 'archon_code_review', 'hosted_claude', 'anthropic', 'claude-sonnet-4-5', 1, 80, NULL, NULL,
     '{"temperature": 0.1, "max_tokens": 4096}'),
    ('archon', 'archon_code_review', 'vllm_coder32b', 'vllm_local', 'Qwen/Qwen2.5-Coder-32B-Instruct-AWQ', 1, 20, NULL, NULL,
     '{"temperature": 0.1, "max_tokens": 4096}'),
    ('archon', 'archon_code_review', 'hosted_deepseek', 'deepseek', 'deepseek-chat', 2, 1, NULL, NULL, '{}'),
    -- coding assistants
    ('coding', 'code_assist_chat', 'vllm_coder32b', 'vllm_local', 'Qwen/Qwen2.5-Coder-32B-Instruct-AWQ', 1, 60, NULL, NULL,
     '{"temperature": 0.2}'),
    ('coding', 'code_assist_chat', 'hosted_qwen3_coder', 'openrouter', 'qwen/qwen3-coder', 1, 40, NULL, NULL, '{"temperature": 0.2}'),
    ('coding', 'code_assist_chat', 'hosted_claude_haiku', 'anthropic', 'claude-haiku-4-5', 2, 1,
     'deepseek', 'deepseek-chat', '{}'),
    ('coding', 'code_complete', 'local_coder14b', 'ollama_local', 'qwen2.5-coder:14b', 1, 100, NULL, NULL,
     '{"temperature": 0.0, "max_tokens": 256}'),
    ('coding', 'code_complete', 'hosted_codestral', 'mistral', 'codestral-latest', 2, 1, NULL, NULL,
     '{"temperature": 0.0, "max_tokens": 256}'),
    -- notebook
    ('notebook', 'notebook_chat', 'hosted_gpt4o_mini', 'openai', 'gpt-4o-mini', 1, 50, NULL, NULL, '{}'),
    ('notebook', 'notebook_chat', 'local_qwen3_8b', 'ollama_local', 'qwen3:8b', 1, 50, NULL, NULL, '{}'),
    ('notebook', 'notebook_chat', 'hosted_claude_haiku', 'anthropic', 'claude-haiku-4-5', 2, 1, NULL, NULL, '{}'),
    ('notebook', 'notebook_vision', 'local_qwen2_5_vl', 'ollama_local', 'qwen2.5vl:7b', 1, 1,
     'openai', 'gpt-4o', '{"max_tokens": 1024}'),
    ('notebook', 'notebook_vision', 'hosted_pixtral', 'mistral', 'pixtral-12b-2409', 2, 1, NULL, NULL, '{"max_tokens": 1024}'),
    -- langextract
    ('langextract', 'langextract_extract', 'local_qwen14b', 'ollama_local', 'qwen2.5:14b', 1, 70, NULL, NULL, '{"temperature": 0.0}'),
    ('langextract', 'langextract_extract', 'hosted_groq', 'groq', 'llama-3.1-8b-instant', 1, 30, NULL, NULL, '{"temperature": 0.0}'),
    ('langextract', 'langextract_extract', 'hosted_openai', 'openai', 'gpt-4o-mini', 2, 1, NULL, NULL, '{"temperature": 0.0}'),
    ('langextract', 'langextract_extract', 'hosted_moonshot', 'moonshot', 'moonshot-v1-32k', 3, 1, NULL, NULL, '{}'),
    ('langextract', 'langextract_extract', 'hosted_venice', 'venice', 'venice-uncensored', 3, 1, NULL, NULL, '{}'),
    -- flute voice agent
    ('flute', 'flute_voice_reply', 'hosted_groq', 'groq', 'llama-3.1-8b-instant', 1, 1, NULL, NULL,
     '{"temperature": 0.7, "max_tokens": 512}'),
    ('flute', 'flute_voice_reply', 'edge_qwen3_8b', 'ollama_edge', 'qwen3:8b', 2, 1, NULL, NULL,
     '{"temperature": 0.7, "max_tokens": 512}'),
    -- media (video frames)
    ('media-video', 'media_frame_caption', 'vllm_qwen2_5_vl', 'vllm_local', 'Qwen/Qwen2.5-VL-7B-Instruct', 1, 70, NULL, NULL,
     '{"max_tokens": 512}'),
    ('media-video', 'media_frame_caption', 'local_minicpm_v', 'ollama_local', 'minicpm-v:8b', 1, 30, NULL, NULL,
     '{"max_tokens": 512}'),
    ('media-video', 'media_frame_caption', 'edge_moondream', 'ollama_edge', 'moondream', 2, 1, NULL, NULL, '{}')
  ) AS v(service_name, function_name, variant_name, provider, model_id, priority, weight, fb_provider, fb_model_id, params)
  JOIN pmoves_core.model_providers p ON p.name = v.provider
  JOIN pmoves_core.models m ON m.provider_id = p.id AND m.model_id = v.model_id
  LEFT JOIN pmoves_core.model_providers fp ON fp.name = v.fb_provider
  LEFT JOIN pmoves_core.models fm ON fm.provider_id = fp.id AND fm.model_id = v.fb_model_id
ON CONFLICT (service_name, function_name, variant_name) DO NOTHING;

-- Deployments -----------------------------------------------------------------
-- What the GPU nodes reported last; times are relative to the first load.

INSERT INTO pmoves_core.model_deployments
       (model_id, node_id, provider_type, status, vram_allocated_mb, loaded_at, last_used_at, last_seen_at, error_message)
SELECT m.id, v.node_id, v.provider_type, v.status, v.vram_allocated_mb,
       now() - v.loaded_ago, now() - v.used_ago, now() - v.seen_ago, v.error_message
  FROM (VALUES
    ('ollama_local',  'qwen2.5:14b', 'gpu-node-1', 'ollama', 'loaded', 10500::int,
     interval '3 days', interval '2 minutes', interval '20 seconds', NULL::text),
    ('ollama_local',  'qwen3:8b', 'gpu-node-1', 'ollama', 'loaded', 6200,
     interval '3 days', interval '15 minutes', interval '20 seconds', NULL),
    ('ollama_local',  'nomic-embed-text', 'gpu-node-1', 'ollama', 'loaded', 600,
     interval '3 days', interval '1 minute', interval '20 seconds', NULL),
    ('ollama_local',  'qwen3-reranker:4b', 'gpu-node-1', 'ollama', 'loaded', 3200,
     interval '2 days', interval '5 minutes', interval '20 seconds', NULL),
    ('ollama_local',  'qwen2.5vl:7b', 'gpu-node-1', 'ollama', 'loading', NULL,
     NULL, NULL, interval '20 seconds', NULL),
    ('ollama_local',  'qwen2.5:32b', 'gpu-node-1', 'ollama', 'unloaded', NULL,
     interval '6 days', interval '1 day', interval '20 seconds', NULL),
    ('ollama_local',  'deepseek-r1:14b', 'gpu-node-1', 'ollama', 'error', NULL,
     NULL, NULL, interval '20 seconds', 'model requires more system memory (10.8 GiB) than is available (6.1 GiB)'),
    ('tts_flute',     'hexgrad/Kokoro-82M', 'gpu-node-1', 'tts', 'loaded', 1000,
     interval '3 days', interval '30 minutes', interval '20 seconds', NULL),
    ('tts_flute',     'microsoft/VibeVoice-1.5B', 'gpu-node-1', 'tts', 'unloaded', NULL,
     interval '5 days', interval '4 days', interval '20 seconds', NULL),
    ('whisper_local', 'Systran/faster-whisper-large-v3', 'gpu-node-1', 'custom', 'loaded', 3500,
     interval '3 days', interval '1 hour', interval '20 seconds', NULL),
    ('vllm_local',    'Qwen/Qwen2.5-Coder-32B-Instruct-AWQ', 'gpu-node-2', 'vllm', 'loaded', 22000,
     interval '1 day', interval '3 minutes', interval '25 seconds', NULL),
    ('vllm_local',    'BAAI/bge-reranker-v2-m3', 'gpu-node-2', 'vllm', 'loaded', 2300,
     interval '1 day', interval '10 minutes', interval '25 seconds', NULL),
    ('vllm_local',    'Qwen/Qwen2.5-VL-7B-Instruct', 'gpu-node-2', 'vllm', 'unloaded', NULL,
     interval '4 days', interval '2 days', interval '25 seconds', NULL),
    ('ollama_edge',   'qwen3:8b', 'jetson-edge-1', 'ollama', 'loaded', 6200,
     interval '12 hours', interval '8 minutes', interval '40 seconds', NULL),
    ('ollama_edge',   'llama3.2:3b', 'jetson-edge-1', 'ollama', 'loaded', 2600,
     interval '12 hours', interval '1 minute', interval '40 seconds', NULL),
    ('ollama_edge',   'nomic-embed-text', 'jetson-edge-1', 'ollama', 'loaded', 600,
     interval '12 hours', interval '30 minutes', interval '40 seconds', NULL),
    ('ollama_edge',   'moondream', 'jetson-edge-1', 'ollama', 'loading', NULL,
     NULL, NULL, interval '40 seconds', NULL),
    ('ollama_edge',   'phi3:3.8b-mini-128k-instruct', 'jetson-edge-1', 'ollama', 'unloaded', NULL,
     interval '2 days', interval '1 day', interval '40 seconds', NULL)
  ) AS v(provider, model_id, node_id, provider_type, status, vram_allocated_mb, loaded_ago, used_ago, seen_ago, error_message)
  JOIN pmoves_core.model_providers p ON p.name = v.provider
  JOIN pmoves_core.models m ON m.provider_id = p.id AND m.model_id = v.model_id
ON CONFLICT (model_id, node_id) DO NOTHING;
