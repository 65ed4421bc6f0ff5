"""The suite schema as frozen dataclasses, one module a concern: one spec per thing a suite
declares.

Each spec is built from a located YAML node (`from_node`, which reports bad fields with file and
line) and written back with `to_config`; `from_node(Node.root(x.to_config()))` rebuilds an equal
spec for every spec that holds no table. Cross-references between specs (a metric naming a scorer,
a profile naming probes) are checked later by the validator, which sees the whole suite.
"""
