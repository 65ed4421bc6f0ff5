"""Erase-then-probe audits of concept unlearning: suites, erasers, probes, scorers, metrics, CLI."""
