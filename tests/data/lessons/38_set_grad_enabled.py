# Teaches torch.set_grad_enabled as a context manager and as a plain call; imitates the "Locally disabling gradient computation" docs.
# ruff: noqa
# fmt: off
import torch

x = torch.tensor([1.0], requires_grad=True)
is_train = False
with torch.set_grad_enabled(is_train):
    y = x * 2
print("inside set_grad_enabled(False):", y.requires_grad)

with torch.set_grad_enabled(True):
    y2 = x * 2
print("inside set_grad_enabled(True):", y2.requires_grad)

torch.set_grad_enabled(False)
z = x * 2
print("after set_grad_enabled(False):", z.requires_grad, torch.is_grad_enabled())
torch.set_grad_enabled(True)
w = x * 2
print("after set_grad_enabled(True):", w.requires_grad, torch.is_grad_enabled())

with torch.no_grad():
    with torch.enable_grad():
        v = x * 3
print("enable_grad inside no_grad:", v.requires_grad)
