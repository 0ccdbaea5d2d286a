"""Glossa annotation store: users, tokens and W3C Web Annotations (no web framework here)."""
