"""Briefing packs: the cooperation stories between named parties, as a sourced timeline.

``parties`` resolves what a person types ("Viet Nam", "베트남", "WHO") to codes and
ids; ``period`` reads ``--since``/``--until``; the store selects the items
(`monitor.store.briefs`); ``compose`` (pure) makes the `Brief`, ``threads`` links
its stories; ``render`` writes text, Markdown and HTML (Jinja2), ``pdf`` the PDF.
"""
