"""Jinpu KG: a bilingual linked-data knowledge graph of Dalian Jinpu New District's 2021 results."""

__version__ = "1.0.0"
