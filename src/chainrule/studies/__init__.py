"""Studies: the article's tables reproduced on real data, with seeds, intervals and plots.

A study is a TOML file (``presets/`` holds the built-ins): ``spec`` validates it,
``trial`` runs one cell and seed, ``store`` keeps every trial in SQLite, ``runner`` runs the
trials in parallel (joblib processes, or Dask), ``stats`` summarises and tests, ``report``
writes the tables, plots and ``index.html``; ``cli`` exposes ``chainrule study ...`` and
``chainrule reproduce``.
"""
