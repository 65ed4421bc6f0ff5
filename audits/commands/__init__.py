"""The commands of `scapre-audit`, one module each, named after the command: each parses its
options, calls the engine and prints. Nothing of the engine imports this package
(tests/test_architecture.py); `audits.cli` wires the commands into one app."""
