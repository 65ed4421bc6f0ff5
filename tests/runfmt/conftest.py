from tests.reports.conftest import mini_run  # noqa: F401  (the saved toy-world run, copied)
