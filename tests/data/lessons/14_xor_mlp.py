# Teaches a 2-4-1 MLP learning XOR with nn.Module and SGD with momentum; imitates classic intro-course notebooks.
# ruff: noqa
# fmt: off
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
X = torch.tensor([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
Y = torch.tensor([[0.], [1.], [1.], [0.]])


class XORNet(nn.Module):
    def __init__(self, hidden=4):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc2(torch.tanh(self.fc1(x))))


net = XORNet()
opt = torch.optim.SGD(net.parameters(), lr=0.5, momentum=0.9)
for step in range(1000):
    opt.zero_grad()
    out = net(X)
    loss = F.binary_cross_entropy(out, Y)
    loss.backward()
    opt.step()
    if step % 200 == 0:
        print(f"step {step:4d} loss {loss.item():.5f}")

with torch.no_grad():
    pred = net(X)
for (a, b), p in zip(X.tolist(), pred.squeeze(1).tolist()):
    print(f"{int(a)} xor {int(b)} -> {p:.4f} ({round(p)})")
print("fc1.weight.grad norm:", f"{net.fc1.weight.grad.norm():.6f}")
