"""Error raised for input the solver refuses (the CLI shows it as one line, exit code 2)."""


class ScaPreError(ValueError):
    """Invalid concepts, configuration or model for a ScaPre edit."""
