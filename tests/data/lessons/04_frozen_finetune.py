# Teaches freezing parameters with requires_grad = False and replacing the head; imitates the fine-tuning snippet of the autograd intro tutorial.
# ruff: noqa
# fmt: off
import torch
from torch import nn, optim

torch.manual_seed(0)


class TinyBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 4), nn.ReLU())
        self.fc = nn.Linear(4, 10)

    def forward(self, x):
        return self.fc(self.features(x))


model = TinyBackbone()

# Freeze every parameter in the network
for param in model.parameters():
    param.requires_grad = False

# A new head for a 3-class problem: its parameters require grad by default
model.fc = nn.Linear(4, 3)

optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
inputs = torch.randn(5, 8)
labels = torch.tensor([0, 2, 1, 1, 0])
loss = nn.functional.cross_entropy(model(inputs), labels)
loss.backward()

for name, param in model.named_parameters():
    print(f"{name:22s} requires_grad={param.requires_grad!s:5s} grad is None: {param.grad is None}")
print("trainable:", sum(p.numel() for p in model.parameters() if p.requires_grad))
print(f"loss = {loss.item():.6f}")
