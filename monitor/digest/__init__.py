"""Digests: compose the day's items per recipient (pure), render them (Jinja2), mail them."""
