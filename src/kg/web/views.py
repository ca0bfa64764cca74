"""Browsing views (placeholder until the UI lands)."""

from flask import Blueprint

bp = Blueprint("web", __name__)
