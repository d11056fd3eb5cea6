"""Studies: the article's tables reproduced on real data, with seeds, intervals and plots.

A study is a TOML file (``presets/`` holds the built-ins): ``spec`` reads it (its options and
their checks are in ``options``, its factors in ``factors``; ``components`` resolves names
through the other packages' registries), ``trial`` runs one cell and seed, ``store`` keeps
every trial in SQLite, ``runner`` runs the trials in parallel (joblib processes, or Dask),
``stats`` summarises and tests, ``records`` groups records by cell and compares them,
``layouts`` fills the tables and ``plots`` draws the figures, ``report`` writes them with
``index.html``; ``cli`` exposes ``chainrule study ...`` and ``chainrule reproduce``.
"""
