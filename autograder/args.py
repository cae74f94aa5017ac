"""How a builder's arguments are written, in a model's label and in the thresholds file:
``(0.5,)`` -> ``"0.5"``."""


def args_key(args):
    return ", ".join(map(repr, args))
