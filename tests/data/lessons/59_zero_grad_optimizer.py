# Teaches optimizer.zero_grad() (set_to_none) versus .grad.zero_() and what happens if you forget; imitates the "zeroing gradients" recipe.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(21)
model = nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
xb = torch.tensor([[1.0, 2.0]])
yb = torch.tensor([[1.0]])

for i in range(3):
    loss = nn.functional.mse_loss(model(xb), yb)
    loss.backward()
    print(f"forgot zero_grad, call {i}: weight.grad = {model.weight.grad.tolist()}")

opt.zero_grad()
print("after optimizer.zero_grad():", model.weight.grad)
loss = nn.functional.mse_loss(model(xb), yb)
loss.backward()
model.bias.grad.zero_()
print("after .grad.zero_() on bias:", model.bias.grad)
opt.zero_grad(set_to_none=False)
print("zero_grad(set_to_none=False):", model.weight.grad)
