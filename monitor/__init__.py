"""Multilingual news monitor for Asia-Pacific health cooperation."""

from __future__ import annotations

__version__ = "0.1.0"
