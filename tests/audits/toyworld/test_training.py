"""Training is a pure function of the seed (for a fixed thread count): two short runs of the same
stage give byte-identical weights. Slow (renders a data set and trains a few steps)."""

from __future__ import annotations

import hashlib

import pytest


def _digest(folder) -> str:
    return hashlib.sha256(
        b"".join(p.read_bytes() for p in sorted(folder.rglob("*.safetensors")))
    ).hexdigest()


@pytest.mark.slow
def test_vae_text_encoder_and_unet_training_are_deterministic(tmp_path):
    from audits.toyworld.train_text import train_text_encoder
    from audits.toyworld.train_unet import train_unet
    from audits.toyworld.train_vae import train_vae

    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        train_vae(seed=3, out=out, steps=3, threads=1)
        train_text_encoder(seed=3, out=out, steps=3, threads=1)
        train_unet(seed=3, work=out, steps=3, threads=1, per_concept=2)
        digests.append(_digest(out))
    assert digests[0] == digests[1]
