# Teaches @torch.no_grad() as a decorator on an evaluation function; imitates the torch.no_grad docs and training-loop tutorials.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(9)
net = nn.Linear(2, 1)
xs = torch.tensor([[1.0, 2.0], [3.0, 4.0]])


@torch.no_grad()
def evaluate(model, inputs):
    preds = model(inputs)
    return preds, preds.requires_grad


@torch.no_grad()
def double(t):
    return t * 2


preds, tracked = evaluate(net, xs)
print("predictions:", preds.squeeze(1))
print("tracked:", tracked)
p = torch.ones(3, requires_grad=True)
print("double(p).requires_grad:", double(p).requires_grad)
print("outside the decorator:", (p * 2).requires_grad)
