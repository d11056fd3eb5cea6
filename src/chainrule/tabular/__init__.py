"""``chainrule.tabular``: train a network on a data file, and predict with it, without Python.

The commands ``chainrule train``, ``chainrule predict`` and ``chainrule summary`` (``cli.py``)
stand on:

=====================  ==================================================================
``tables.py``          ``read_table``: CSV, Parquet or NPZ as named columns, checked
``train.py``           ``train``: settings, task, split, preprocessing, MLP, ``fit``, scores
``model.py``           ``TabularModel``: the network plus its columns, preprocessing and
                       classes, saved in one ``chainrule.save`` file (``load_model``)
``preprocessing.py``   the fitted preprocessing as JSON, rebuilt with ``data.make_pipeline``
=====================  ==================================================================

Usage::

    table = read_table("iris.csv")
    trained = train(table, "species", read_spec("16", epochs=50))
    trained.model.save("iris.safetensors")
    network, model = load_model("iris.safetensors")
    model.predict(read_table("new_rows.csv"))
"""
from .model import TabularModel, load_model
from .tables import Table, TableError, read_table
from .train import read_spec, train

__all__ = ["read_table", "Table", "TableError", "train", "read_spec", "TabularModel",
           "load_model"]
