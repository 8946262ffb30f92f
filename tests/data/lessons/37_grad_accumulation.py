# Teaches gradient accumulation over micro-batches before one optimizer.step(); imitates training-loop course notes.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(11)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
data = torch.randn(12, 3)
target = data.sum(dim=1, keepdim=True)
loss_fn = nn.MSELoss()
accum_steps = 4

for epoch in range(5):
    optimizer.zero_grad()
    for micro in range(accum_steps):
        xb = data[micro * 3:(micro + 1) * 3]
        yb = target[micro * 3:(micro + 1) * 3]
        loss = loss_fn(model(xb), yb) / accum_steps
        loss.backward()          # grads add up in .grad
    print(f"epoch {epoch}: grad norm {model.weight.grad.norm().item():.5f}")
    optimizer.step()

with torch.no_grad():
    full = loss_fn(model(data), target)
print(f"full-batch loss after 5 steps: {full.item():.6f}")
print("weight:", [round(v, 5) for v in model.weight.squeeze().tolist()])
