# Teaches a linear classifier with init_params, sigmoid, mnist_loss via torch.where and batch accuracy; imitates fastbook chapter 4 (3s vs 7s), on synthetic seeded images.
# ruff: noqa
# fmt: off
import torch

torch.manual_seed(0)
# fake 4x4 "images": class 1 has a bright top half, class 0 a bright bottom half
n = 64
top = torch.rand(n, 16) * 0.3
top[:, :8] += 0.7
bottom = torch.rand(n, 16) * 0.3
bottom[:, 8:] += 0.7
train_x = torch.cat([top, bottom])
train_y = torch.cat([torch.ones(n), torch.zeros(n)]).unsqueeze(1)


def init_params(size, std=1.0):
    return (torch.randn(size) * std).requires_grad_()


weights = init_params((16, 1))
bias = init_params(1)


def linear1(xb):
    return xb @ weights + bias


def mnist_loss(predictions, targets):
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def batch_accuracy(xb, yb):
    preds = xb.sigmoid()
    correct = (preds > 0.5) == yb
    return correct.float().mean()


def calc_grad(xb, yb, model):
    preds = model(xb)
    loss = mnist_loss(preds, yb)
    loss.backward()


def train_epoch(model, lr, params):
    perm = torch.randperm(len(train_x))
    for i in range(0, len(train_x), 16):
        idx = perm[i:i + 16]
        calc_grad(train_x[idx], train_y[idx], model)
        for p in params:
            p.data -= p.grad * lr
            p.grad.zero_()


lr = 1.0
params = weights, bias
print("before:", round(batch_accuracy(linear1(train_x), train_y).item(), 4))
for epoch in range(20):
    train_epoch(linear1, lr, params)
    if epoch % 5 == 4:
        print(f"epoch {epoch + 1}: accuracy {batch_accuracy(linear1(train_x), train_y).item():.4f}")
print("bias:", bias.data)
