"""TIME: the official token alignment, UCE's special case, and the source -> destination map."""

from __future__ import annotations

import pytest

from audits.erasers.errors import EraserError
from audits.erasers.prompts import encode_prompts
from audits.erasers.time import TIMEConfig, TIMEEraser, augment, time_alignment, time_pairs
from tests.scapre.oracle import oracle_uce2023


def test_official_alignment_skips_inserted_words(tiny_pipe):
    tok = tiny_pipe.tokenizer
    assert time_alignment(tok, "roses", "blue roses")[:5] == [0, 2, 3, 4, 5]
    assert time_alignment(tok, "an apple", "a red apple")[:5] == [0, 1, 3, 4, 5]  # an == a
    # every token that decodes to "an" is read as "a": the word "an" (550) and the word piece
    # "an" (514, as in "anvil" = an + vil), as the official `tokenizer.decode(t) == 'an'` does
    assert tok("anvil").input_ids[1] == 514
    assert time_alignment(tok, "anvil", "a vil")[:4] == [0, 1, 2, 3]
    pi = time_alignment(tok, "roses", "blue roses")
    assert len(pi) == 77 and pi[-2:] == [76, 76]
    with pytest.raises(EraserError, match="does not occur"):
        time_alignment(tok, "tench", " ")


def test_augmentations():
    assert augment("A cat") == [
        "A cat",
        "A photo of a cat",
        "An image of a cat",
        "A picture of a cat",
    ]
    pairs = time_pairs(["x", "y"], TIMEConfig(destinations=("p", "q"), with_augs=False))
    assert pairs == [("x", "p"), ("y", "q")]


def test_time_is_uce_with_all_tokens_no_preserve_and_lamb_0_1(tiny_pipe):
    cfg = TIMEConfig(destinations=("blue roses",), alignment="time", with_augs=False)
    edit = TIMEEraser(cfg).erase(tiny_pipe, ["roses"])
    assert edit.variant == "time/time" and len(edit.weights) == 8
    enc = encode_prompts(tiny_pipe, ["roses", "blue roses"])
    pi = time_alignment(tiny_pipe.tokenizer, "roses", "blue roses")
    params = dict(tiny_pipe.unet.named_parameters())
    for name, new in edit.weights.items():
        ref = oracle_uce2023(
            params[name].detach().double(),
            X=[enc.emb[0]],
            N=[enc.emb[1][pi]],
            preserve=None,
            lamb=0.1,
            erase_scale=1.0,
            preserve_scale=0.0,
            technique="replace",
        )
        assert ((new.double() - ref).norm() / ref.norm()).item() < 1e-6


def test_lamb_to_zero_maps_every_source_token_to_its_destination(wide_pipe):
    cfg = TIMEConfig(destinations=("blue roses",), alignment="time", with_augs=False, lamb=1e-10)
    edit = TIMEEraser(cfg).erase(wide_pipe, ["roses"])
    enc = encode_prompts(wide_pipe, ["roses", "blue roses"])
    pi = time_alignment(wide_pipe.tokenizer, "roses", "blue roses")
    src, dst = enc.emb[0], enc.emb[1][pi]
    params = dict(wide_pipe.unet.named_parameters())
    for name, new in edit.weights.items():
        want = dst @ params[name].detach().double().T
        got = src @ new.double().T
        assert ((got - want).norm() / want.norm()).item() < 1e-4  # float32 storage


def test_to_v_only_and_augmented_default(tiny_pipe):
    edit = TIMEEraser(TIMEConfig(with_to_k=False)).erase(tiny_pipe, ["tench"])
    assert len(edit.weights) == 4 and all(".to_v." in n for n in edit.weights)
    assert edit.variant == "time/position"


def test_config_round_trip_and_bad_input(tiny_pipe):
    e = TIMEEraser(TIMEConfig(destinations=("a", "b"), lamb=0.2))
    assert TIMEEraser.from_config(e.to_config()) == e
    with pytest.raises(EraserError, match="at least one destination"):
        TIMEConfig(destinations=())
    with pytest.raises(EraserError, match="one destination or one per concept"):
        TIMEEraser(TIMEConfig(destinations=("a", "b"))).erase(tiny_pipe, ["x", "y", "z"])
    with pytest.raises(EraserError, match="alignment must be one of"):
        TIMEConfig(alignment="fuzzy")
