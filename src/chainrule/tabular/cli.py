"""``chainrule train``, ``chainrule predict`` and ``chainrule summary``.

    chainrule train iris.csv --target species --out iris.safetensors
    chainrule train houses.parquet --target price --model 128-64 --epochs 50 --out m.safetensors
    chainrule train data.npz --target y --model spec.toml --task classification --out m.safetensors
    chainrule predict iris.safetensors new_rows.csv --proba --out predictions.csv
    chainrule summary iris.safetensors

A mistake in the arguments or the files (a missing column, a non-numeric feature, a model
and data of different widths, a bad value for a flag) prints one line on stderr, naming
the column, shape or flag, and exits with status 2; no traceback.
"""
from __future__ import annotations

import csv
import functools
import io
import math
import sys

import numpy as np

from .._validation import message

EPILOG = ("DATA is a .csv file (a header row of column names), .parquet (needs pyarrow) or "
          ".npz (np.savez: 1-D arrays are columns, a 2-D array X gives X[0], X[1], ...).")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train a network on a CSV, Parquet or NPZ file",
        description="Train an MLP to predict one column of a table from the others; the "
                    "model file keeps the preprocessing, so predict needs nothing else.",
        epilog=EPILOG)
    p.add_argument("data", help="the training table")
    p.add_argument("--target", metavar="COLUMN", help="the column to predict (required)")
    p.add_argument("--out", metavar="MODEL", help="the model file to write (required), "
                                                  "e.g. model.safetensors")
    p.add_argument("--model", default="64", metavar="SIZES|SPEC.toml",
                   help="hidden layer sizes such as 64-32 (default 64), or a TOML file with "
                        "[model], [optimizer], [training] and [data] tables")
    p.add_argument("--task", default="auto", metavar="auto|classification|regression",
                   help="default auto: text, or whole numbers with at most 20 values, are "
                        "classes; anything else is a value to regress")
    p.add_argument("--epochs", metavar="N", help="training epochs (default 30)")
    p.add_argument("--batch-size", metavar="N", help="rows per update (default 32)")
    p.add_argument("--lr", metavar="RATE", help="learning rate (default Adam's 0.001)")
    p.add_argument("--val-size", metavar="FRACTION",
                   help="rows held out for the validation table (default 0.2)")
    p.add_argument("--seed", default="0", metavar="N",
                   help="seed of the split, the initial weights and the shuffling (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=_guarded(_train))

    p = subparsers.add_parser("predict", help="predict with a model file, write CSV",
                              description="Predict every row of a table with a model written "
                                          "by chainrule train (or chainrule.save).",
                              epilog=EPILOG)
    p.add_argument("model", help="the model file")
    p.add_argument("data", help="the rows to predict: the model's feature columns, by name")
    p.add_argument("--proba", action="store_true",
                   help="add one probability column per class (classification models)")
    p.add_argument("--out", metavar="FILE", help="the CSV file to write (default: stdout)")
    p.set_defaults(handler=_guarded(_predict))

    p = subparsers.add_parser("summary", help="a model file's layers, shapes and parameters",
                              description="Print a model's layers, output shapes and "
                                          "parameter counts (chainrule.summary).")
    p.add_argument("model", help="the model file")
    p.add_argument("--input-shape", metavar="N,D,...",
                   help="the input's shape, batch axis first (default: 1 row of the model's "
                        "input columns)")
    p.set_defaults(handler=_guarded(_summary))


# -- one voice for mistakes ------------------------------------------------------------------

class UsageError(ValueError):
    """A bad command line: a flag missing or out of range."""


def _guarded(handler):
    """Run ``handler``; a user's mistake becomes one line on stderr and exit status 2.

    The mistakes are the errors the checks raise: ``ValueError`` (``TableError``,
    ``ModelFileError``, ``SpecError``, the one-voice messages), ``TypeError``, ``OSError``
    (files) and ``ImportError`` (an optional package).
    """
    @functools.wraps(handler)
    def run(args) -> int:
        try:
            return handler(args)
        except (ValueError, TypeError, OSError, ImportError) as error:
            text = " ".join(str(error).split()) or type(error).__name__
            print(f"chainrule {args.command}: error: {text}", file=sys.stderr)
            return 2
    return run


def _required(args, flag: str) -> str:
    value = getattr(args, flag.lstrip("-").replace("-", "_"))
    if not value:
        raise UsageError(f"{flag} is required (see chainrule {args.command} --help).")
    return value


def _number(args, flag: str, kind=int, low=None, high=None, high_open=False, low_open=False):
    """The flag's value as ``kind`` within the bounds, or ``None`` if it was not given."""
    text = getattr(args, flag.lstrip("-").replace("-", "_"))
    if text is None:
        return None
    expected = ("an integer" if kind is int else "a number") + _bounds(low, high, low_open,
                                                                       high_open)
    try:
        value = kind(text)
    except ValueError:
        raise UsageError(message(flag, f"chainrule {args.command}", expected, text)) from None
    if (low is not None and (value <= low if low_open else value < low)) or \
            (high is not None and (value >= high if high_open else value > high)) or \
            not math.isfinite(value):
        raise UsageError(message(flag, f"chainrule {args.command}", expected, text))
    return value


def _bounds(low, high, low_open, high_open) -> str:
    if high is None:
        return "" if low is None else f" {'>' if low_open else '>='} {low:g}"
    return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


# -- the commands ----------------------------------------------------------------------------

def _train(args) -> int:
    from .._validation import check_choice
    from .tables import read_table
    from .train import TASKS, read_spec, score_table, train

    target, out = _required(args, "--target"), _required(args, "--out")
    check_choice("--task", args.task, TASKS, "chainrule train")
    spec = read_spec(args.model, epochs=_number(args, "--epochs", low=1),
                     batch_size=_number(args, "--batch-size", low=1),
                     lr=_number(args, "--lr", float, low=0, low_open=True),
                     val_size=_number(args, "--val-size", float, low=0, high=1,
                                      low_open=True, high_open=True))
    seed = _number(args, "--seed", low=0)
    table = read_table(args.data)
    table.column(target)                         # a missing target column: named now
    with np.errstate(over="ignore", invalid="ignore"):   # divergence is reported in one line
        trained = train(table, target, spec, task=args.task, seed=seed,
                        verbose=0 if args.no_progress else 1)
    model = trained.model
    trained.model.save(out)
    what = (f"{len(model.classes)} classes" if model.task == "classification"
            else "a value")
    sizes = "-".join(str(n) for n in model.network.sizes)
    print(f"{model.task} of {target!r} ({what}) from {len(model.features)} columns; "
          f"MLP {sizes}, {len(trained.history)} epochs ({trained.history.stop_reason})")
    print(score_table(trained))
    print(f"wrote {out}")
    return 0


def _predict(args) -> int:
    from ..training.loop import predict
    from .model import load_model, plain_inputs
    from .tables import read_table

    network, model = load_model(args.model)
    table = read_table(args.data)
    if model is None:
        if args.proba:
            raise UsageError(f"--proba needs a model written by chainrule train (it knows the "
                             f"classes); {args.model} is a plain chainrule model.")
        outputs = predict(network, plain_inputs(network, table))
        header = [f"output_{k}" for k in range(outputs.shape[1])]
        rows = outputs.tolist()
    else:
        missing = [name for name in model.features if name not in table.columns]
        if missing:
            raise UsageError(f"{args.data} lacks the model's input columns "
                             f"{', '.join(map(repr, missing))}; the model was trained on "
                             f"{', '.join(map(repr, model.features))}.")
        if args.proba and model.task != "classification":
            raise UsageError(f"--proba needs a classification model; {args.model} predicts "
                             f"the value of {model.target!r} (regression).")
        header, columns = [model.target], [model.predict(table)]
        if args.proba:
            header += [f"proba_{label}" for label in model.classes]
            columns += list(model.predict_proba(table).T)
        rows = zip(*[[_cell(v) for v in column] for column in columns])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if args.out:
        from ..serialization import atomic_write
        atomic_write(args.out, text.getvalue().encode("utf-8"))
    else:
        sys.stdout.write(text.getvalue())
    return 0


def _summary(args) -> int:
    from ..summarize import summary
    from .model import input_width, load_model

    network, model = load_model(args.model)
    if args.input_shape:
        try:
            shape = tuple(int(n) for n in args.input_shape.split(","))
        except ValueError:
            raise UsageError(message("--input-shape", "chainrule summary", "integers separated "
                                     "by commas, batch axis first, such as 1,4",
                                     args.input_shape)) from None
    else:
        width = input_width(network)
        if width is None:
            raise UsageError(f"{args.model}: the input shape cannot be read from the model "
                             f"(its first layer is not Linear); give --input-shape, such as "
                             f"1,3,28,28.")
        shape = (1, width)
    print(summary(network, shape))
    if model is not None:
        print(_description(model))
    return 0


def _description(model) -> str:
    lines = [f"Task: {model.task} of {model.target!r}",
             f"Input columns ({len(model.features)}): {', '.join(model.features)}"]
    if model.classes is not None:
        lines.append(f"Classes ({len(model.classes)}): {', '.join(map(str, model.classes))}")
    steps = [name for name, _ in (model.preprocessing or {}).get("steps", [])]
    lines.append(f"Preprocessing: {', '.join(steps) or 'none'}")
    if model.target_scaling:
        lines.append(f"Target scaling: (y - {model.target_scaling['mean']:.6g}) / "
                     f"{model.target_scaling['std']:.6g}")
    for part, scores in model.scores.items():
        lines.append(f"{part.capitalize()} scores: "
                     + ", ".join(f"{k} {'-' if v is None else f'{v:.4f}'}"
                                 for k, v in scores.items()))
    return "\n".join(lines)


def _cell(value):
    """A CSV cell: floats with repr (exact), NumPy scalars as Python values."""
    if hasattr(value, "item"):
        value = value.item()
    return repr(value) if isinstance(value, float) else value
