# Teaches a fully frozen model used for feature extraction: no backward at all, every .grad stays None; imitates transfer-learning tutorials.
# ruff: noqa
# fmt: off
import torch
import torch.nn as nn

torch.manual_seed(6)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
for param in model.parameters():
    param.requires_grad = False

features = torch.randn(3, 4)
out = model(features)
print("out.requires_grad:", out.requires_grad)
print("out.grad_fn:", out.grad_fn)
print("features:\n", out)
for name, param in model.named_parameters():
    print(f"{name}: requires_grad={param.requires_grad}, grad is None: {param.grad is None}")

# unfreeze only the last layer: now its output would be tracked
for param in model[2].parameters():
    param.requires_grad_(True)
out2 = model(features)
print("after unfreezing the head:", out2.requires_grad, out2.grad_fn.name())
print("trainable parameters:", [n for n, p in model.named_parameters() if p.requires_grad])
