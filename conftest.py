"""Top-level pytest configuration. pytest reads `pytest_plugins` only here, so every fixture module of tests/ is
registered in this list (tests/conftest.py holds the shared server fixtures)."""

pytest_plugins = [
    "tests.fixtures_build",
    "tests.fixtures_oxigraph",
    "tests.fixtures_virtuoso",
    "tests.fixtures_web",
]
