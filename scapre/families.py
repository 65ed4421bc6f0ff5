"""Model families: how a diffusers pipeline turns prompts into the per-token context its UNet's
cross-attention reads. This module is the one place that knows it; the solver, every baseline
and the attacks ask it for text features.

- `sd-v1`: one CLIP text model (ViT-L/14); context = its last hidden state (after the final
  LayerNorm), 768 wide.
- `sd-v2`: one CLIP text model (OpenCLIP ViT-H, converted; its tokenizer pads with "!"); the
  same, 1024 wide.
- `sdxl`: `text_encoder` (CLIP ViT-L/14) and `text_encoder_2` (OpenCLIP ViT-bigG, with
  projection); context = both encoders' penultimate hidden states (no final LayerNorm) side by
  side, 768 + 1280 = 2048 wide.

Exactly as `StableDiffusionPipeline.encode_prompt` / `StableDiffusionXLPipeline.encode_prompt`
build `prompt_embeds` (no clip skip): every prompt is padded to `model_max_length` (77) with
truncation by each tokenizer, and for SDXL the same prompt goes to both encoders. The pooled
embedding that SDXL also feeds the UNet (`text_embeds`, the projected EOS output of
`text_encoder_2`) enters the time embedding, not the cross-attention K/V, so no edit reads it;
`encode` returns it for generation.

Tail tokens under SDXL: both tokenizers are the same byte-pair encoder with the same BOS and EOS
ids; they differ only in the padding token (`<|endoftext|>` for the first, `!` for the second).
A prompt's tokens therefore sit at the same positions in both, and token t of the 2048-wide
context is [encoder 1 at t | encoder 2 at t]. The "last content token" is
`attention_mask.sum() - 2` (the same for both tokenizers, checked), and a tail (last content
token, EOS, padding) is aligned with the guide's tail position by position, exactly as for one
encoder; the padding rows simply carry each encoder's own padding embedding, as in the UNet's
input. Tokenizers that split a prompt into different numbers of tokens are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from scapre.errors import ScaPreError

FAMILIES = ("sd-v1", "sd-v2", "sdxl")


@dataclass
class PromptEncoding:
    """Per-token context of some prompts, (n, L, width), with each prompt's last content index,
    the first tokenizer's ids and (SDXL) the pooled embedding the UNet's time embedding reads."""

    prompts: list[str]
    emb: torch.Tensor
    last: torch.Tensor  # (n,) long: attention_mask.sum() - 2
    input_ids: torch.Tensor  # (n, L) ids of the first tokenizer
    pooled: torch.Tensor | None = None  # (n, d_pool) for SDXL, else None

    def index(self, prompt: str) -> int:
        return self.prompts.index(prompt)

    def last_vectors(self) -> torch.Tensor:
        """(n, width): each prompt's last-content-token context vector."""
        return self.emb[torch.arange(len(self.prompts)), self.last]


@dataclass(frozen=True)
class TextStack:
    """A family's tokenizers and text encoders, and how their outputs form the UNet's context."""

    family: str
    tokenizers: tuple
    encoders: tuple
    penultimate: bool  # SDXL: hidden_states[-2]; SD 1.x/2.x: the encoder's output[0]

    @property
    def width(self) -> int:
        return sum(int(e.config.hidden_size) for e in self.encoders)

    @property
    def max_length(self) -> int:
        length = self.tokenizers[0].model_max_length
        if not isinstance(length, int) or length > 10_000:
            raise ScaPreError("tokenizer.model_max_length is not set (expected 77 for CLIP)")
        return length

    @property
    def device(self) -> torch.device:
        return self.encoders[0].device

    def modules(self) -> tuple:
        return self.encoders

    # -- tokens --------------------------------------------------------------------------------
    def tokenize(self, prompts: Sequence[str]) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Padded ids for every tokenizer and the attention mask (identical across tokenizers).
        Prompts longer than the encoder reads are refused, never silently truncated."""
        prompts = list(prompts)
        max_len = self.max_length
        for prompt, ids in zip(prompts, self.tokenizers[0](prompts).input_ids, strict=True):
            if len(ids) > max_len:
                raise ScaPreError(
                    f"prompt {prompt[:60]!r} is {len(ids)} tokens; the text encoder reads at most "
                    f"{max_len} (including start and end tokens); shorten it"
                )
        ids, masks = [], []
        for tok in self.tokenizers:
            out = tok(
                prompts,
                padding="max_length",
                max_length=tok.model_max_length,
                truncation=True,
                return_tensors="pt",
            )
            ids.append(out.input_ids)
            masks.append(out.attention_mask)
        for mask in masks[1:]:
            if mask.shape != masks[0].shape or not torch.equal(mask, masks[0]):
                raise ScaPreError(
                    "the two tokenizers split a prompt into different numbers of tokens, so "
                    "their features cannot be aligned token by token"
                )
        return ids, masks[0]

    def ids_from_tokens(self, rows: torch.Tensor) -> list[torch.Tensor]:
        """Padded ids per tokenizer for rows of content token ids (n, k): BOS, the row, EOS,
        then each tokenizer's own padding."""
        n, k = rows.shape
        if k + 2 > self.max_length:
            raise ScaPreError(f"{k} tokens do not fit in {self.max_length} positions")
        out = []
        for tok in self.tokenizers:
            pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
            ids = torch.full((n, tok.model_max_length), int(pad), dtype=torch.long)
            ids[:, 0], ids[:, 1 : 1 + k], ids[:, 1 + k] = tok.bos_token_id, rows, tok.eos_token_id
            out.append(ids)
        return out

    # -- features ------------------------------------------------------------------------------
    def encode_ids(self, ids: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(context (n, L, width), pooled or None) for padded ids, one tensor per tokenizer; in
        the encoders' dtype and on their device. Gradients flow if enabled by the caller."""
        parts, pooled = [], None
        for enc, tok_ids in zip(self.encoders, ids, strict=True):
            tok_ids = tok_ids.to(enc.device)
            if self.penultimate:
                out = enc(tok_ids, output_hidden_states=True)
                if out[0].ndim == 2:  # CLIPTextModelWithProjection: text_embeds, as the pipeline
                    pooled = out[0]
                parts.append(out.hidden_states[-2])
            else:
                parts.append(enc(tok_ids)[0])
        emb = parts[0] if len(parts) == 1 else torch.cat([p.to(parts[0].device) for p in parts], -1)
        return emb, pooled

    @torch.inference_mode()
    def encode(
        self,
        prompts: Sequence[str],
        *,
        dtype: torch.dtype | None = torch.float64,
        device: torch.device | str | None = "cpu",
        batch_size: int = 32,
    ) -> PromptEncoding:
        """Encode prompts in batches of `batch_size`; the context is converted to `dtype` on
        `device` (None: the encoders' own)."""
        prompts = list(prompts)
        ids, mask = self.tokenize(prompts)
        embs, pools = [], []
        for i in range(0, len(prompts), batch_size):
            emb, pooled = self.encode_ids([t[i : i + batch_size] for t in ids])
            embs.append(emb)
            if pooled is not None:
                pools.append(pooled)
        emb = torch.cat(embs)
        pooled = torch.cat(pools) if pools else None
        if dtype is not None or device is not None:
            emb = emb.to(device=device, dtype=dtype)
            pooled = None if pooled is None else pooled.to(device=device, dtype=dtype)
        return PromptEncoding(prompts, emb, mask.sum(dim=1) - 2, ids[0], pooled)


def single_encoder(tokenizer, text_encoder, family: str = "sd-v1") -> TextStack:
    """The one-encoder stack of SD 1.x / 2.x (also what `encode_text_features` builds)."""
    return TextStack(family, (tokenizer,), (text_encoder,), penultimate=False)


def _kind(module) -> str:
    return type(module).__name__


def _found(pipe) -> str:
    parts = [type(pipe).__name__]
    for attr in ("unet", "transformer", "text_encoder", "text_encoder_2", "text_encoder_3"):
        module = getattr(pipe, attr, None)
        if module is not None:
            parts.append(f"{attr}={_kind(module)}")
    return ", ".join(parts)


def text_stack(pipe) -> TextStack:
    """The family of a loaded pipeline and its text stack; anything else is refused with one
    line that names what was found."""
    found = _found(pipe)
    unet = getattr(pipe, "unet", None)
    if unet is None or not hasattr(unet, "config"):
        raise ScaPreError(
            f"unsupported model family ({found}): only UNet pipelines of Stable Diffusion 1.x, "
            "2.x and SDXL are supported"
        )
    if getattr(pipe, "text_encoder_3", None) is not None or getattr(pipe, "tokenizer_3", None):
        raise ScaPreError(f"unsupported model family ({found}): three text encoders (SD3-like)")
    te1, te2 = getattr(pipe, "text_encoder", None), getattr(pipe, "text_encoder_2", None)
    tok1, tok2 = getattr(pipe, "tokenizer", None), getattr(pipe, "tokenizer_2", None)
    if te1 is None or tok1 is None:
        what = (
            "the SDXL refiner (only text_encoder_2) is out of scope"
            if te2 is not None
            else ("a text_encoder and its tokenizer are needed")
        )
        raise ScaPreError(f"unsupported model family ({found}): {what}")
    if _kind(te1) not in ("CLIPTextModel", "CLIPTextModelWithProjection"):
        raise ScaPreError(
            f"unsupported model family ({found}): text encoder {_kind(te1)} is not a CLIP text "
            "model"
        )
    if te2 is not None or tok2 is not None:
        if te2 is None or tok2 is None or _kind(te2) != "CLIPTextModelWithProjection":
            raise ScaPreError(
                f"unsupported model family ({found}): a second text encoder that is not SDXL's "
                "(text_encoder_2 must be a CLIPTextModelWithProjection with tokenizer_2)"
            )
        if getattr(unet.config, "addition_embed_type", None) != "text_time":
            raise ScaPreError(
                f"unsupported model family ({found}): two text encoders but the UNet has no "
                "SDXL text_time conditioning"
            )
        stack = TextStack("sdxl", (tok1, tok2), (te1, te2), penultimate=True)
    else:
        pad = getattr(tok1, "pad_token_id", None)
        v2 = int(te1.config.hidden_size) == 1024 or (pad is not None and pad != tok1.eos_token_id)
        stack = single_encoder(tok1, te1, "sd-v2" if v2 else "sd-v1")
    cross = getattr(unet.config, "cross_attention_dim", None)
    if cross is None:
        raise ScaPreError(f"the UNet has no cross-attention (attn2) layers to edit ({found})")
    if isinstance(cross, (list, tuple)):
        cross = cross[0]
    if int(cross) != stack.width:
        raise ScaPreError(
            f"the text encoder(s) give {stack.width}-dim features but the UNet's cross-attention "
            f"reads {cross}; they do not belong together ({found})"
        )
    return stack
