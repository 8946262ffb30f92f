# Teaches the concise linear regression with TensorDataset, DataLoader, nn.Linear and optim.SGD; imitates Dive into Deep Learning "Concise Implementation of Linear Regression".
# ruff: noqa
# fmt: off
import torch
from torch import nn
from torch.utils import data

torch.manual_seed(1)
true_w = torch.tensor([2, -3.4])
true_b = 4.2
X = torch.normal(0, 1, (400, 2))
y = (X @ true_w + true_b + torch.normal(0, 0.01, (400,))).reshape(-1, 1)


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


batch_size = 20
data_iter = load_array((X, y), batch_size)
print("first batch shapes:", [tuple(t.shape) for t in next(iter(data_iter))])

net = nn.Sequential(nn.Linear(2, 1))
net[0].weight.data.normal_(0, 0.01)
net[0].bias.data.fill_(0)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)

num_epochs = 3
for epoch in range(num_epochs):
    for Xb, yb in data_iter:
        l = loss(net(Xb), yb)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(X), y)
    print(f"epoch {epoch + 1}, loss {l:f}")

w = net[0].weight.data
print("error in estimating w:", true_w - w.reshape(true_w.shape))
b = net[0].bias.data
print("error in estimating b:", true_b - b)
