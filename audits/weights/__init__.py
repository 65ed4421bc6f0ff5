"""The weight-space audit: how an edit changes what the UNet's cross-attention keys and values
make of each suite prompt's text features, measured on the weights alone (no image generated).

- `features`: the text features (once per prompt, shared by every method) and the K/V matrices,
  read in one place;
- `measure`: per-edit Gram matrices and per-prompt values (shift, move toward the guide,
  recovery residual), exact closed forms over every K/V matrix;
- `stage`: the `--stages weights` run mode (plan, erase, measure, results.json rows);
- `validate`: rank correlation of the weight-space scores with image-level results.

Definitions: `audits.metrics.weights` and docs/weights.md. It does not replace an image audit.
"""
