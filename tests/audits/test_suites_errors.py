"""Bad suites fail with one line naming the file, the line or row, and the field."""

from __future__ import annotations

import pytest

from audits.suites import load_suite

from .test_suites_helpers import MINI_YAML, load_error, write_suite


def _with(old: str, new: str) -> str:
    assert old in MINI_YAML, old
    return MINI_YAML.replace(old, new, 1)


def test_the_mini_suite_is_valid(tmp_path):
    suite = load_suite(write_suite(tmp_path / "mini"), tokens=True)
    assert suite.name == "mini"


def test_unknown_top_level_key_suggests_the_right_one(tmp_path):
    folder = write_suite(tmp_path / "s", _with("probes:\n", "probs:\n"))
    message = load_error(folder)
    assert "suite.yaml, line 15, field 'probs': unknown key 'probs'." in message
    assert "Did you mean: probes" in message


def test_unknown_nested_key(tmp_path):
    folder = write_suite(tmp_path / "s", _with("    purpose: target\n", "    purpse: target\n"))
    message = load_error(folder)
    assert "field 'probes.target.purpse'" in message and "Did you mean: purpose?" in message


def test_duplicate_top_level_key(tmp_path):
    folder = write_suite(tmp_path / "s", MINI_YAML + "name: other\n")
    message = load_error(folder)
    assert "field 'name': duplicate key 'name' (first defined on line 3)" in message
    assert f"line {MINI_YAML.count(chr(10)) + 1}" in message


def test_duplicate_nested_key(tmp_path):
    folder = write_suite(tmp_path / "s", _with("  steps: 20\n", "  steps: 20\n  steps: 30\n"))
    message = load_error(folder)
    assert "line 9, field 'generation.steps': duplicate key 'steps'" in message


def test_invalid_yaml_names_the_line(tmp_path):
    folder = write_suite(tmp_path / "s", _with("  steps: 20\n", "  steps: [20\n"))
    assert "suite.yaml, line" in load_error(folder) and "invalid YAML" in load_error(folder)


def test_missing_table_file(tmp_path):
    folder = write_suite(tmp_path / "s", _with("table: adversarial.csv", "table: adv.csv"))
    message = load_error(folder)
    assert "field 'probes.adversarial.table': table 'adv.csv' not found in s/" in message


def test_table_path_escaping_the_suite_folder(tmp_path):
    write_suite(tmp_path / "other")
    folder = write_suite(
        tmp_path / "s", _with("table: concepts.csv", "table: ../other/concepts.csv")
    )
    message = load_error(folder)
    assert "field 'concepts.table': table path '../other/concepts.csv' escapes the suite" in message


def test_absolute_table_path(tmp_path):
    folder = write_suite(tmp_path / "s")
    write_suite(tmp_path / "s", _with("table: concepts.csv", f"table: {folder}/concepts.csv"))
    assert "must be relative to the suite folder" in load_error(folder)


def test_missing_section(tmp_path):
    text = MINI_YAML.replace("methods:\n  none: {kind: none}\n", "").replace(
        "  scapre: {kind: scapre, config: {preset: large-scale}}\n", ""
    )
    folder = write_suite(tmp_path / "s", text)
    assert "suite.yaml, line 2: missing required section 'methods'" in load_error(folder)


def test_missing_column(tmp_path):
    folder = write_suite(tmp_path / "s", **{"concepts.csv": "concept,kind\ncat,target\n"})
    message = load_error(folder)
    assert "concepts.csv, row 1, field 'role': missing column 'role'" in message


def test_unknown_column(tmp_path):
    folder = write_suite(
        tmp_path / "s", **{"concepts.csv": "concept,role,colour\ncat,target,red\n"}
    )
    assert "concepts.csv, row 1, field 'colour': unknown column" in load_error(folder)


def test_bad_role_names_the_row(tmp_path):
    csv = "concept,role\ncat,target\ndog,tagret\nfox,retain\n"
    message = load_error(write_suite(tmp_path / "s", **{"concepts.csv": csv}))
    assert "concepts.csv, row 3, field 'role': 'tagret' is not one of target, retain" in message


def test_unknown_scorer_suggests_the_right_one(tmp_path):
    folder = write_suite(tmp_path / "s", _with("kind: clip_zeroshot", "kind: clip_zs"))
    message = load_error(folder)
    assert "field 'scorers.clip.kind': Unknown scorer 'clip_zs'." in message
    assert "Did you mean: clip_zeroshot? Available: " in message


def test_unknown_eraser_suggests_the_right_one(tmp_path):
    folder = write_suite(tmp_path / "s", _with("kind: scapre,", "kind: scpare,"))
    message = load_error(folder)
    assert "field 'methods.scapre.kind': Unknown eraser 'scpare'. Did you mean: scapre?" in message


def test_unknown_model_family(tmp_path):
    folder = write_suite(tmp_path / "s", _with("family: sd-v1", "family: sd-v3"))
    assert "field 'model.family': Unknown model family 'sd-v3'" in load_error(folder)


def test_empty_concept_list(tmp_path):
    folder = write_suite(tmp_path / "s", **{"concepts.csv": "concept,role\n"})
    assert "concepts.csv, row 2, field 'concept': the concept list is empty" in load_error(folder)


def test_no_targets(tmp_path):
    folder = write_suite(tmp_path / "s", **{"concepts.csv": "concept,role\nfox,retain\n"})
    assert "no concept has role 'target'" in load_error(folder)


def test_empty_template_list(tmp_path):
    text = _with('templates: ["a photo of a {concept}"]', "templates: []")
    assert "field 'probes.target.templates': the list is empty" in load_error(
        write_suite(tmp_path / "s", text)
    )


def test_target_that_is_also_retained(tmp_path):
    csv = "concept,role\ncat,target\ndog,target\nfox,retain\nCat,retain\n"
    message = load_error(write_suite(tmp_path / "s", **{"concepts.csv": csv}))
    assert (
        "concepts.csv, row 5, field 'role': 'Cat' is both a target (row 2) and a retain" in message
    )


def test_repeated_concept(tmp_path):
    csv = "concept,role\ncat,target\ndog,target\nfox,retain\ndog,target\n"
    message = load_error(write_suite(tmp_path / "s", **{"concepts.csv": csv}))
    assert "row 5, field 'concept': 'dog' repeats row 3" in message


@pytest.mark.parametrize(
    ("old", "new", "field", "got"),
    [
        ("seeds: [0, 1]", "seeds: [0, 1.5]", "generation.seeds[1]", "a number (1.5)"),
        ("seeds: [0, 1]", "seeds: [0, '1']", "generation.seeds[1]", "text ('1')"),
        ("seeds: [0, 1]", "seeds: [0, true]", "generation.seeds[1]", "a boolean (true)"),
        ("seeds: [0, 1]", "seeds: {start: 0.5, count: 2}", "generation.seeds.start", "a number"),
        ("seed: 3}", "seed: 3.0}", "erase_sets.sweep.seed", "a number (3.0)"),
    ],
)
def test_non_integer_seeds(tmp_path, old, new, field, got):
    message = load_error(write_suite(tmp_path / "s", _with(old, new)))
    assert f"field '{field}': expected an integer, got {got}" in message


def test_non_integer_seed_in_a_table(tmp_path):
    table = "prompt,concept,family,seed\na photo of a kat,cat,misspelling,seven\n"
    message = load_error(write_suite(tmp_path / "s", **{"adversarial.csv": table}))
    assert "adversarial.csv, row 2, field 'seed': expected an integer seed, got 'seven'" in message


def test_negative_seed(tmp_path):
    message = load_error(write_suite(tmp_path / "s", _with("seeds: [0, 1]", "seeds: [0, -1]")))
    assert "field 'generation.seeds[1]': must be at least 0" in message


def test_template_over_the_clip_token_limit(tmp_path):
    long = "a photo of a {concept} " + "with a very long description " * 16
    text = _with('templates: ["a photo of a {concept}"]', f'templates: ["{long.strip()}"]')
    message = load_error(write_suite(tmp_path / "s", text), tokens=True)
    assert "field 'probes.target.templates[0]': prompt has" in message
    assert "CLIP tokens, more than 77" in message and "(with concept 'cat')" in message


def test_table_prompt_over_the_clip_token_limit(tmp_path):
    long = "a photo of a kat " + "on a sunny day " * 20
    table = f"prompt,concept,family\nshort,cat,misspelling\n{long},cat,misspelling\n"
    message = load_error(write_suite(tmp_path / "s", **{"adversarial.csv": table}), tokens=True)
    assert "adversarial.csv, row 3, field 'prompt': prompt has" in message


def test_prompt_at_the_token_limit_is_accepted(tmp_path):
    from audits.suites.tokens import token_counts

    words = "a photo of a kat"
    while token_counts([words + " x"])[words + " x"] <= 77:
        words += " x"
    table = f"prompt,concept,family\n{words},cat,misspelling\n"
    assert token_counts([words])[words] == 77
    load_suite(write_suite(tmp_path / "s", **{"adversarial.csv": table}), tokens=True)


def test_template_without_placeholder(tmp_path):
    text = _with('templates: ["a photo of a {concept}"]', 'templates: ["a photo of a {thing}"]')
    message = load_error(write_suite(tmp_path / "s", text))
    assert "field 'probes.target.templates[0]': template must contain {concept}" in message


def test_adversarial_rows_need_a_family(tmp_path):
    table = "prompt,concept,family\na photo of a kat,cat,\n"
    message = load_error(write_suite(tmp_path / "s", **{"adversarial.csv": table}))
    assert "adversarial.csv, row 2, field 'family': adversarial prompts need a family" in message


def test_adversarial_row_with_unknown_concept(tmp_path):
    table = "prompt,concept,family\na photo of a kat,kat,misspelling\n"
    message = load_error(write_suite(tmp_path / "s", **{"adversarial.csv": table}))
    assert "row 2, field 'concept': 'kat' is not a suite concept" in message


def test_two_levels_of_extends(tmp_path):
    write_suite(tmp_path / "base")
    write_suite(tmp_path / "middle", "schema: 1\nname: middle\nversion: 1\nextends: base\n")
    child = write_suite(tmp_path / "child", "schema: 1\nname: child\nversion: 1\nextends: middle\n")
    message = load_error(child)
    assert "child/suite.yaml, line 4, field 'extends': only one level of extends" in message
    assert "'middle' itself extends 'base'" in message


def test_extends_unknown_suite(tmp_path):
    child = write_suite(tmp_path / "child", "schema: 1\nname: c\nversion: 1\nextends: nowhere\n")
    assert "field 'extends': cannot find the suite 'nowhere'" in load_error(child)


def test_erase_set_larger_than_its_pool(tmp_path):
    message = load_error(write_suite(tmp_path / "s", _with("sizes: [1, 2]", "sizes: [1, 5]")))
    assert "field 'erase_sets.sweep.sizes': size 5 exceeds the 2 target concepts" in message


def test_erase_set_naming_a_retained_concept(tmp_path):
    text = _with("  all: {}\n", "  all: {concepts: [cat, fox]}\n")
    message = load_error(write_suite(tmp_path / "s", text))
    assert "field 'erase_sets.all.concepts[1]': 'fox' is not a target concept" in message


def test_seeded_draw_needs_a_seed(tmp_path):
    message = load_error(write_suite(tmp_path / "s", _with(", seed: 3}", "}")))
    assert "field 'erase_sets.sweep': draw: seeded needs an integer 'seed'" in message


def test_metric_naming_an_unknown_scorer(tmp_path):
    text = _with("scorer: clip, probes: [target]", "scorer: clips, probes: [target]")
    message = load_error(write_suite(tmp_path / "s", text))
    assert "field 'metrics.forget_acc.scorer': no scorer named 'clips'" in message


def test_profile_must_select_what_its_metrics_read(tmp_path):
    text = _with("metrics: [forget_acc]", "metrics: [forget_acc, neighbor_acc]")
    message = load_error(write_suite(tmp_path / "s", text))
    assert "field 'profiles.paper.metrics': metric 'neighbor_acc' reads probe 'neighbor'" in message


def test_paper_profile_needs_a_citation(tmp_path):
    message = load_error(write_suite(tmp_path / "s", _with("    cites: A paper, Table 1\n", "")))
    assert "field 'profiles.paper': a paper profile needs 'cites'" in message


def test_profile_generation_override_is_checked(tmp_path):
    message = load_error(write_suite(tmp_path / "s", _with("{steps: 50}", "{steps: fifty}")))
    assert "field 'profiles.paper.generation.steps': expected an integer" in message


def test_unknown_default_profile(tmp_path):
    message = load_error(
        write_suite(tmp_path / "s", _with("default_profile: clean", "default_profile: clen"))
    )
    assert "field 'default_profile': default_profile 'clen' is not one of the profiles" in message


def test_wrong_schema_version(tmp_path):
    message = load_error(write_suite(tmp_path / "s", _with("schema: 1", "schema: 2")))
    assert "field 'schema': this version of scapre-audit reads suite schema 1, not 2" in message


def test_missing_card(tmp_path):
    folder = write_suite(tmp_path / "s")
    (folder / "CARD.md").unlink()
    assert "CARD.md: missing suite card" in load_error(folder)


def test_label_column_must_exist(tmp_path):
    text = _with(
        "label_space: concepts}", "label_space: imagenet-1k, label_column: imagenet_index}"
    )
    message = load_error(write_suite(tmp_path / "s", text))
    assert (
        "field 'scorers.clip.label_column': the concepts table has no column 'imagenet_index'"
        in message
    )


def test_imagenet_index_must_match_the_class_name(tmp_path):
    text = _with(
        "label_space: concepts}", "label_space: imagenet-1k, label_column: imagenet_index}"
    )
    text = text.replace(
        "  table: concepts.csv\n",
        "  table: concepts.csv\n  label_columns: [imagenet_index, imagenet_class]\n",
    )
    csv = (
        "concept,role,imagenet_index,imagenet_class\n"
        "cat,target,281,tabby\ndog,target,207,golden retriever\nfox,retain,999,red fox\n"
    )
    message = load_error(write_suite(tmp_path / "s", text, **{"concepts.csv": csv}))
    assert (
        "concepts.csv, row 4, field 'imagenet_class': class 999 is 'toilet tissue', not 'red fox'"
        in message
    )
    csv = csv.replace("999,red fox", "1000,red fox")
    message = load_error(write_suite(tmp_path / "s", text, **{"concepts.csv": csv}))
    assert (
        "row 4, field 'imagenet_index': expected an ImageNet class index 0..999, got '1000'"
        in message
    )


def test_unknown_suite_name_suggests(tmp_path):
    from audits.errors import AuditError

    with pytest.raises(AuditError, match="Did you mean: imagenette10"):
        load_suite("imagenete10")


def test_yaml_tags_that_build_objects_are_refused(tmp_path):
    text = _with("version: 0.1.0", "version: !!python/object:os.system 'echo'")
    message = load_error(write_suite(tmp_path / "s", text))
    assert "suite.yaml, line 4: invalid YAML" in message


def test_scorer_params_the_code_would_ignore_are_refused(tmp_path):
    """Every scorer param is read or refused: an unknown key, an unsupported choice."""
    line = "  clip: {kind: clip_zeroshot, label_space: concepts}\n"
    folder = write_suite(
        tmp_path / "s",
        _with(
            line,
            "  clip: {kind: clip_zeroshot, label_space: concepts,"
            " params: {model: ViT-L-14, pretrained: openai, resolution: 336}}\n",
        ),
    )
    message = load_error(folder)
    assert "field 'scorers.clip.params" in message
    assert "unknown scorer config key(s): resolution" in message
    folder = write_suite(
        tmp_path / "t",
        _with(line, line + "  drift: {kind: image_distance, params: {distance: ssim}}\n"),
    )
    message = load_error(folder)
    assert "scorer 'drift' (image_distance): distance 'ssim' is not supported" in message


def test_a_safety_checker_is_refused_not_ignored(tmp_path):
    folder = write_suite(
        tmp_path / "s", _with("  steps: 20\n", "  steps: 20\n  safety_checker: true\n")
    )
    message = load_error(folder)
    assert "field 'generation.safety_checker'" in message and "must be false" in message
