"""Model loading and offline helpers (tokenizers, tiny pipelines built from configs)."""
