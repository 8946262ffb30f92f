"""What each autograd op means: the maths symbol drawn for a grad_fn class."""

from __future__ import annotations

import functools
import re

# grad_fn class name without its version suffix -> maths label.
SYMBOLS = {
    "Add": "+",
    "Sub": "−",
    "Rsub": "−",
    "Mul": "×",
    "Div": "÷",
    "Neg": "−x",
    "Pow": "xⁿ",
    "Dot": "·",
    "Mm": "@",
    "Mv": "@",
    "Bmm": "@",
    "Matmul": "@",
    "Addmm": "x@Wᵀ+b",
    "Addmv": "A@x+b",
    "Exp": "exp",
    "Log": "log",
    "Log1P": "log(1+x)",
    "Sin": "sin",
    "Cos": "cos",
    "Tan": "tan",
    "Tanh": "tanh",
    "Sigmoid": "σ",
    "Relu": "ReLU",
    "LeakyRelu": "LeakyReLU",
    "Gelu": "GELU",
    "Sqrt": "√",
    "Rsqrt": "1/√",
    "Abs": "|x|",
    "Reciprocal": "1/x",
    "Sum": "Σ",
    "Mean": "mean",
    "Prod": "Π",
    "Max": "max",
    "Min": "min",
    "Maximum": "max",
    "Minimum": "min",
    "Clamp": "clamp",
    "ClampMin": "clamp",
    "Softmax": "softmax",
    "LogSoftmax": "log softmax",
    "NllLoss": "NLL",
    "MseLoss": "MSE",
    "BinaryCrossEntropy": "BCE",
    "BinaryCrossEntropyWithLogits": "BCE",
    "L1Loss": "L1",
    "T": "ᵀ",
    "Transpose": "ᵀ",
    "Permute": "permute",
    "View": "view",
    "Reshape": "reshape",
    "UnsafeView": "view",
    "Expand": "expand",
    "Squeeze": "squeeze",
    "Unsqueeze": "unsqueeze",
    "Select": "[i]",
    "Index": "[idx]",
    "Slice": "[a:b]",
    "Cat": "cat",
    "Stack": "stack",
    "Clone": "clone",
    "Where": "where",
    "Norm": "‖x‖",
    "LinalgVectorNorm": "‖x‖",
    "Std": "std",
    "Var": "var",
    "Repeat": "repeat",
    "CopySlices": "in-place",
    "Accumulate": "+=",
}
SUPERSCRIPTS = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


@functools.lru_cache(maxsize=1024)
def base_name(op: str) -> str:
    """AddBackward0 -> Add; AccumulateGrad -> Accumulate."""
    if op == "AccumulateGrad":
        return "Accumulate"
    return re.sub(r"Backward\d*$", "", op)


@functools.lru_cache(maxsize=1024)
def symbol(op: str, exponent: object = None) -> str:
    """The maths label for a grad_fn class, e.g. DotBackward0 -> ·, PowBackward0 (2) -> x²."""
    base = base_name(op)
    if base == "Pow" and isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        text = str(int(exponent)) if float(exponent).is_integer() else f"{exponent:g}"
        return "x" + text.translate(SUPERSCRIPTS)
    return SYMBOLS.get(base, base.lower() if base else op)
