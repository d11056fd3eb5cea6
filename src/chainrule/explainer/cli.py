"""chainrule explain: one backpropagation step, every number printed.

Without options it prints the classic 2-2-2 sigmoid example (inputs 0.05, 0.10,
targets 0.01, 0.99, weights w1..w8 = 0.15 ... 0.55, biases 0.35 and 0.60, lr 0.5,
biases kept fixed). Another --network (2-3-1, 3-4-4-2, ...), or any --seed, draws the
weights (nn.Linear's default initialisation), the input (U(0, 1)) and the target
(U(0.1, 0.9)) from that seed (0 when not given).

--html FILE writes the same step as one self-contained web page instead (open it in any
browser; it loads nothing from the network): the network drawn, the forward pass, the
error, the backward pass, the gradients and the update phase by phase with their
numbers, the error curve and the computational graph of E. With --train DATASET (xor,
two_spirals, moons, circles) the page is the training view: a network trained on that
data set, its decision boundary and hidden neurons at the recorded epochs, and the chain
rule of any ringed point at any of those epochs.

Every number of a network with more than 500 weights and biases is a lot of text (200-200-200
would print 11 MB): such a network needs --all. --steps goes up to 100,000.
"""
from __future__ import annotations

import argparse
import sys

from .._validation import number_argument

from .examples import classic_example, parse_network, random_example
from .tables import FORMATS
from .rules import LOSSES
from .training_view import DATASETS

# the activations that have both an nn module and a written-out derivative
ACTIVATION_CHOICES = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "identity"]
MAX_STEPS = 100_000          # 2.6 s for the classic example; the error is printed along the way
MAX_PRINTED = 500            # weights and biases printed without --all (about 70 kB of text)
POSITIVE = number_argument(integer=True, low=1)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain", help="print every number of a backpropagation step (forward, chain rule, update)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=number_argument(integer=True, low=1, high=MAX_STEPS),
                        default=1, help="gradient-descent steps to run; the error is shown "
                                        f"along the way (default 1, at most {MAX_STEPS:,})")
    parser.add_argument("--network", type=_network, default=None,
                        help="layer sizes, inputs first (default 2-2-2, the classic example; "
                             "with --train, the data set's network)")
    parser.add_argument("--all", action="store_true",
                        help=f"print a network with more than {MAX_PRINTED} weights and biases")
    parser.add_argument("--activation", default=None, choices=ACTIVATION_CHOICES,
                        help="activation of every layer, the output layer included (default "
                             "sigmoid; with --train, of the hidden layers, default tanh)")
    parser.add_argument("--seed", type=number_argument(integer=True, low=0), default=None,
                        help="draw weights, input and target from this seed (implied 0 for a "
                             "network other than 2-2-2)")
    parser.add_argument("--lr", type=number_argument(low=0), default=0.5,
                        help="learning rate (default 0.5)")
    parser.add_argument("--loss", default="half_sse", choices=sorted(LOSSES),
                        help="half_sse = 1/2 sum (target - out)^2 (default), sse, or mse")
    parser.add_argument("--update-bias", action="store_true",
                        help="update the biases too (the classic example keeps them fixed)")
    parser.add_argument("--format", default="text", choices=FORMATS,
                        help="text tables (default), markdown, or json")
    page = parser.add_argument_group("the web page (--html)")
    page.add_argument("--html", metavar="FILE", default=None,
                      help="write an interactive page to FILE instead of printing the tables")
    page.add_argument("--train", metavar="DATASET", default=None, choices=sorted(DATASETS),
                      help="with --html: the training view of a network trained on "
                           + ", ".join(sorted(DATASETS)) + " (binary cross-entropy, SGD with "
                           "--lr); --network 2-...-1 and --activation set the network")
    page.add_argument("--epochs", type=POSITIVE, default=None,
                      help="with --train: epochs of training (default "
                           + ", ".join(f"{name} {spec['epochs']}"
                                       for name, spec in DATASETS.items()) + ")")
    page.add_argument("--batch-size", type=POSITIVE, default=None,
                      help="with --train: rows per update (default 10)")
    page.add_argument("--snapshots", type=number_argument(integer=True, low=2), default=None,
                      help="with --train: epochs recorded for the slider (default 25)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from .trace import explain
    if args.html is not None or _training_options(args):
        return run_page(args)
    sizes = args.network or [2, 2, 2]
    printed = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    if printed > MAX_PRINTED and not args.all:
        raise ValueError(f"--network {'-'.join(map(str, sizes))} has {printed:,} weights and "
                         f"biases, and every one is printed several times; pass --all to print "
                         f"them all the same, or choose a network with at most {MAX_PRINTED} "
                         f"(such as 2-3-1).")
    model, x, target = _example(args)
    result = explain(model, x, target, loss=args.loss, lr=args.lr, steps=args.steps,
                     update_bias=args.update_bias, format=args.format)
    print(result.render(), end="" if args.format != "json" else "\n")
    return 0


def run_page(args) -> int:
    """``--html FILE``: the step view, or with ``--train`` the training view."""
    from pathlib import Path

    from .html import explain_page, training_page
    from .training_view import record_training
    if args.html is None:
        return _usage_error(f"the training view ({', '.join(_training_options(args))}) is a "
                            f"web page: give --html FILE as well")
    if args.train is None and _training_options(args):
        return _usage_error(f"{', '.join(_training_options(args))}: for the training view "
                            f"only, with --train DATASET")
    if args.train is not None:
        sizes = args.network
        if sizes is not None and (len(sizes) < 3 or sizes[0] != 2 or sizes[-1] != 1):
            return _usage_error(f"--train needs a network 2-...-1 (two inputs, a hidden layer, "
                                f"one output), got {'-'.join(map(str, sizes))}")
        try:
            recording = record_training(
                args.train, sizes=sizes, activation=args.activation or "tanh", lr=args.lr,
                epochs=args.epochs, batch_size=args.batch_size or 10,
                snapshots=args.snapshots or 25,
                seed=0 if args.seed is None else args.seed)
        except ValueError as error:             # a value the training refuses, e.g. --lr 0
            return _usage_error(str(error))
        text = training_page(recording)
    else:
        model, x, target = _example(args)
        text = explain_page(model, x, target, loss=args.loss, lr=args.lr, steps=args.steps,
                            update_bias=args.update_bias)
    path = Path(args.html)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        return _usage_error(f"cannot write {path}: {error.strerror or error}")
    print(f"wrote {path} ({len(text.encode()) // 1024} KB): open it in a web browser "
          f"(for example: xdg-open {path}); it needs no network")
    return 0


def _training_options(args) -> list[str]:
    """The options of the training view that were given."""
    given = {"--train": args.train, "--epochs": args.epochs, "--batch-size": args.batch_size,
             "--snapshots": args.snapshots}
    return [option for option, value in given.items() if value is not None]


def _example(args):
    """``(model, x, target)``: the classic example, or --network drawn from --seed."""
    sizes = args.network or [2, 2, 2]
    activation = args.activation or "sigmoid"
    if sizes == [2, 2, 2] and args.seed is None:
        return classic_example(activation)
    return random_example(sizes, activation, 0 if args.seed is None else args.seed)


def _usage_error(message: str) -> int:
    print(f"chainrule explain: error: {message}", file=sys.stderr)
    return 2


def _network(text: str) -> list[int]:
    try:
        return parse_network(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
