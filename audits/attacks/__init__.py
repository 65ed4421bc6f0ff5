"""Adversarial probes: can an erased concept be brought back?

Each attack kind (registry `audits.registry.ATTACKS`) turns the source prompts of one erased
concept into adversarial inputs (prompts or `prompt_embeds`) for one edit. The run engine
(`audits.run.attack_stage`) saves them as artifacts, renders them with the edited and the unedited
model, and `attack_success_rate` reports how often the concept returns.
"""
