"""Shared server fixtures (live server on a free loopback port).

Note: pytest only honours `pytest_plugins` in the top-level conftest.py; register fixture modules
(tests/fixtures_*.py) in the list there, not here.
"""
