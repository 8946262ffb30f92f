# Teaches a small MLP regression with nn.ModuleList, mini-batches from torch.randperm and a held-out split; imitates a university course lab.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(31)
X = torch.linspace(-2, 2, 120).unsqueeze(1)
y = torch.sin(2 * X) + 0.05 * torch.randn_like(X)
perm = torch.randperm(len(X))
train_idx, val_idx = perm[:96], perm[96:]


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.act = nn.Tanh()

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.act(layer(x))
        return self.layers[-1](x)


model = MLP([1, 10, 10, 1])
opt = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.MSELoss()
history = []
for epoch in range(150):
    shuffled = train_idx[torch.randperm(len(train_idx))]
    for i in range(0, len(shuffled), 32):
        batch = shuffled[i:i + 32]
        opt.zero_grad()
        loss = loss_fn(model(X[batch]), y[batch])
        loss.backward()
        opt.step()
    with torch.no_grad():
        val = loss_fn(model(X[val_idx]), y[val_idx]).item()
    history.append(val)
    if epoch % 30 == 29:
        print(f"epoch {epoch + 1:3d} train {loss.item():.5f} val {val:.5f}")

best = min(range(len(history)), key=lambda i: history[i])
print(f"best epoch {best + 1} with val {history[best]:.5f}")
