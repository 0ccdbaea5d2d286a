"""Glossa web UI: Flask app factory, HTML views, JSON API, the glossa command."""
