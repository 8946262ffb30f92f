"""What a model-language program may touch: explicit allow-lists, never deny-lists.

Each set names the attributes allowed on one kind of object. Anything not listed is
refused, so a new torch release cannot open a hole by adding a function.
"""

from __future__ import annotations

import builtins

# Elementwise and reduction maths shared by the torch namespace and tensor methods.
_MATHS = """
abs absolute acos acosh asin asinh atan atan2 atanh arccos arcsin arctan ceil clamp clip cos cosh
deg2rad erf erfc exp exp2 expm1 floor frac lerp log log10 log1p log2 logit neg negative pow
rad2deg reciprocal relu round rsqrt sigmoid sign sin sinh sqrt square tan tanh trunc fmod remainder
add sub subtract mul multiply div divide true_divide floor_divide maximum minimum hypot
eq ne lt le gt ge isclose allclose equal isnan isinf isfinite logical_and logical_or logical_not
sum mean prod max min amax amin argmax argmin norm std var median logsumexp cumsum cumprod
all any count_nonzero softmax log_softmax dot mm mv matmul outer inner bmm
reshape flatten transpose permute unsqueeze squeeze chunk split unbind flip roll tril triu diag
diagonal trace gather index_select masked_fill where sort argsort topk kthvalue nan_to_num dist
cross movedim swapaxes narrow select take unique cummax cummin
"""

# Growing ops: the result can be far larger than the inputs; sized on meta tensors first.
GROWING = frozenset(
    "matmul mm mv bmm outer inner cat concat concatenate stack hstack vstack repeat tile "
    "repeat_interleave diag broadcast_to linear kron cdist index_select".split()
)

# Factories: sized with device="meta" before anything is allocated.
FACTORIES = frozenset(
    "ones zeros empty full rand randn randint randperm arange linspace logspace eye "
    "new_ones new_zeros new_full new_empty".split()
)

TORCH_NAMES = frozenset(
    _MATHS.split()
    + """
tensor as_tensor ones zeros empty full rand randn randint randperm arange linspace logspace eye
ones_like zeros_like full_like empty_like rand_like randn_like manual_seed
cat concat concatenate stack hstack vstack broadcast_tensors broadcast_shapes
is_tensor is_grad_enabled numel clone detach bernoulli cdist
float32 float64 float16 bfloat16 float double half int64 int32 int16 int8 uint8 long int short bool
Tensor Size nn optim autograd no_grad enable_grad set_grad_enabled
""".split()
)

AUTOGRAD_NAMES = frozenset("backward grad no_grad enable_grad set_grad_enabled".split())

F_NAMES = frozenset(
    """
relu sigmoid tanh softmax log_softmax mse_loss cross_entropy binary_cross_entropy
binary_cross_entropy_with_logits nll_loss l1_loss smooth_l1_loss huber_loss kl_div linear gelu
leaky_relu one_hot silu elu softplus dropout normalize cosine_similarity hardtanh relu6 mish
logsigmoid softsign
""".split()
)

NN_NAMES = frozenset(
    """
Linear ReLU Sigmoid Tanh Softmax LogSoftmax LeakyReLU GELU SiLU ELU Softplus Dropout Sequential
MSELoss CrossEntropyLoss BCELoss BCEWithLogitsLoss L1Loss NLLLoss SmoothL1Loss HuberLoss Flatten
Identity Parameter Module functional
""".split()
)

OPTIM_NAMES = frozenset("SGD Adam AdamW RMSprop Adagrad".split())

TENSOR_ATTRS = frozenset(
    _MATHS.split()
    + [name + "_" for name in _MATHS.split() if name.isidentifier()]
    + """
backward detach detach_ requires_grad_ retain_grad retains_grad grad data zero_ fill_ clone
contiguous copy_ item tolist shape size dim ndim ndimension numel nelement dtype device is_leaf
requires_grad grad_fn T mT t view view_as reshape_as expand expand_as repeat repeat_interleave tile
unflatten float double long int bool half type type_as to cpu normal_ uniform_ bernoulli
is_floating_point is_contiguous stride element_size new_ones new_zeros new_full new_empty
sum_to_size masked_fill_ index_fill clamp_min clamp_max squeeze_ unsqueeze_ t_ values indices
""".split()
)

MODULE_ATTRS = frozenset(
    """
parameters named_parameters children named_children modules weight bias zero_grad train eval
forward in_features out_features training requires_grad_ state_dict float double dim
negative_slope p inplace
""".split()
)

OPTIMIZER_ATTRS = frozenset("step zero_grad param_groups defaults state".split())
DTYPE_ATTRS = frozenset("is_floating_point is_complex is_signed itemsize".split())
NODE_ATTRS = frozenset("name next_functions variable".split())
RETURN_TYPE_ATTRS = frozenset("values indices count index".split())
TUPLE_ATTRS = frozenset("count index numel".split())
LIST_ATTRS = frozenset(
    "append extend insert pop remove index count reverse sort copy clear".split()
)
DICT_ATTRS = frozenset("keys values items get pop update setdefault copy clear popitem".split())
STR_ATTRS = frozenset(
    """
format join split rsplit strip lstrip rstrip lower upper title capitalize replace startswith
endswith ljust rjust center zfill count find rfind index isdigit isalpha isspace isnumeric
splitlines partition rpartition swapcase casefold
""".split()
)
NUMBER_ATTRS = frozenset("real imag is_integer conjugate bit_length".split())

# Attributes a program may assign to.
TENSOR_SETTABLE = frozenset("data grad requires_grad".split())
MODULE_SETTABLE = frozenset("weight bias".split())

# Builtins that stay forbidden even as plain names (for a clear message, not only NameError).
FORBIDDEN_NAMES = frozenset(
    """
eval exec open getattr setattr delattr hasattr globals locals vars type __import__ compile input
breakpoint help dir memoryview object super classmethod staticmethod property exit quit id
__builtins__ __build_class__ __loader__ __spec__ iter next aiter anext callable
""".split()
)

# Plain builtins handed through unchanged (the rest get a guarded version).
PLAIN_BUILTINS = {
    name: getattr(builtins, name)
    for name in """
len abs round float int bool isinstance divmod chr ord hex bin oct
range reversed slice
""".split()
}
