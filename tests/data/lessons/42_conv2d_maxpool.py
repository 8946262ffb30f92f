# Teaches a tiny CNN (nn.Conv2d, nn.MaxPool2d, flatten, Linear) with one backward pass; imitates the "Neural Networks" 60-minute-blitz tutorial.
# ruff: noqa
# fmt: off
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)      # 1 input channel, 2 output channels, 3x3 kernel
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(2, 3, 2)
        self.fc1 = nn.Linear(3 * 2 * 2, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))   # 1x10x10 -> 2x8x8 -> 2x4x4
        x = F.relu(self.conv2(x))              # -> 3x3x3
        x = F.max_pool2d(x, 2, stride=1)       # -> 3x2x2
        x = torch.flatten(x, 1)
        return self.fc1(x)


torch.manual_seed(0)
net = Net()
print(net)
params = list(net.parameters())
print(len(params), "parameter tensors; conv1 weight", tuple(params[0].size()))

input = torch.randn(1, 1, 10, 10)
out = net(input)
print("out:", out)

target = torch.randn(4).view(1, -1)
criterion = nn.MSELoss()
loss = criterion(out, target)
print("loss:", loss)
print(loss.grad_fn.name())  # MSELoss
print(loss.grad_fn.next_functions[0][0].name())  # Linear
print(loss.grad_fn.next_functions[0][0].next_functions[0][0].name())  # its bias

net.zero_grad()
print("conv1.bias.grad before backward:", net.conv1.bias.grad)
loss.backward()
print("conv1.bias.grad after backward:", net.conv1.bias.grad)
