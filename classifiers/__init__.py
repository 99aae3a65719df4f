"""Offline multilingual classifiers: language, relevance, cooperation, topics, countries,
summaries. Importing this package is cheap: backends load their models on construction."""

from __future__ import annotations
