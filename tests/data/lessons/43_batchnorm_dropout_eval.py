# Teaches nn.BatchNorm1d and nn.Dropout in train() vs eval() mode and running statistics; imitates university deep-learning notebooks.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(123)
model = nn.Sequential(
    nn.Linear(4, 6),
    nn.BatchNorm1d(6),
    nn.ReLU(),
    nn.Dropout(p=0.5),
    nn.Linear(6, 1),
)
x = torch.randn(8, 4)
y = torch.randn(8, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.05)

model.train()
for step in range(30):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(f"train step {step}: loss {loss.item():.5f}")

bn = model[1]
print("running mean:", [f"{v:.4f}" for v in bn.running_mean.tolist()])
print("batches tracked:", bn.num_batches_tracked.item())

model.eval()
with torch.no_grad():
    a = model(x)
    b = model(x)
print("eval is deterministic:", torch.equal(a, b))
print("eval predictions:", a[:3].squeeze(1))

model.train()
with torch.no_grad():
    c = model(x)
    d = model(x)
print("train mode (dropout) differs:", not torch.equal(c, d))
print("dropout zeros in train mode:", int((nn.Dropout(0.5)(torch.ones(20)) == 0).sum()))
