# Teaches torch.inference_mode() and how inference tensors differ from no_grad ones; imitates the inference-mode docs.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
batch = torch.randn(2, 4)

with torch.inference_mode():
    out = model(batch)
print("requires_grad:", out.requires_grad, "| is_inference:", out.is_inference())
print("out:", out)

with torch.no_grad():
    out2 = model(batch)
print("no_grad tensor is_inference:", out2.is_inference())
print("same numbers:", torch.equal(out, out2))

try:
    loss = (out * model[0].weight.sum()).sum()
    loss.backward()
except RuntimeError as e:
    print("RuntimeError:", str(e).splitlines()[0])
