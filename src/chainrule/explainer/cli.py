"""chainrule explain: one backpropagation step, every number printed.

Without options it prints the classic 2-2-2 sigmoid example (inputs 0.05, 0.10,
targets 0.01, 0.99, weights w1..w8 = 0.15 ... 0.55, biases 0.35 and 0.60, lr 0.5,
biases kept fixed). Another --network (2-3-1, 3-4-4-2, ...), or any --seed, draws the
weights (nn.Linear's default initialisation), the input (U(0, 1)) and the target
(U(0.1, 0.9)) from that seed (0 when not given).

Every number of a network with more than 500 weights and biases is a lot of text (200-200-200
would print 11 MB): such a network needs --all. --steps goes up to 100,000.
"""
from __future__ import annotations

import argparse

from .._validation import number_argument
from .examples import classic_example, parse_network, random_example
from .tables import FORMATS
from .rules import LOSSES

# the activations that have both an nn module and a written-out derivative
ACTIVATION_CHOICES = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "identity"]
MAX_STEPS = 100_000          # 2.6 s for the classic example; the error is printed along the way
MAX_PRINTED = 500            # weights and biases printed without --all (about 70 kB of text)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain", help="print every number of a backpropagation step (forward, chain rule, update)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=number_argument(integer=True, low=1, high=MAX_STEPS),
                        default=1, help="gradient-descent steps to run; the error is shown "
                                        f"along the way (default 1, at most {MAX_STEPS:,})")
    parser.add_argument("--network", type=_network, default=[2, 2, 2],
                        help="layer sizes, inputs first (default 2-2-2, the classic example)")
    parser.add_argument("--all", action="store_true",
                        help=f"print a network with more than {MAX_PRINTED} weights and biases")
    parser.add_argument("--activation", default="sigmoid", choices=ACTIVATION_CHOICES,
                        help="activation of every layer, the output layer included (default sigmoid)")
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
    parser.set_defaults(handler=run)


def run(args) -> int:
    from .trace import explain
    sizes = args.network
    printed = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    if printed > MAX_PRINTED and not args.all:
        text = "-".join(map(str, sizes))
        raise ValueError(f"--network {text} has {printed:,} weights and biases, and every one "
                         f"is printed several times; pass --all to print them all the same, or "
                         f"choose a network with at most {MAX_PRINTED} (such as 2-3-1).")
    if sizes == [2, 2, 2] and args.seed is None:
        model, x, target = classic_example(args.activation)
    else:
        model, x, target = random_example(sizes, args.activation,
                                          0 if args.seed is None else args.seed)
    result = explain(model, x, target, loss=args.loss, lr=args.lr, steps=args.steps,
                     update_bias=args.update_bias, format=args.format)
    print(result.render(), end="" if args.format != "json" else "\n")
    return 0


def _network(text: str) -> list[int]:
    try:
        return parse_network(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
