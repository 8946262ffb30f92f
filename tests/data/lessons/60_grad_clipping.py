# Teaches gradient clipping with clip_grad_norm_ and clip_grad_value_ in a training loop; imitates the RNN-training parts of course notebooks.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(5)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(10, 3) * 5
y = torch.randn(10, 1) * 20

for step in range(200):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    if step % 40 == 0:
        print(f"step {step:3d} loss {loss.item():9.4f} norm before clip {total.item():8.4f}")

nn.utils.clip_grad_value_(model.parameters(), clip_value=0.01)
print("max |grad| after clip_grad_value_:", max(p.grad.abs().max().item() for p in model.parameters()))
