"""Language-model backends for the answerers: a local GGUF model (llama-cpp-python) or any
OpenAI-compatible HTTP endpoint."""
