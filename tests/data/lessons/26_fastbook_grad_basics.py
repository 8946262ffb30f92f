# Teaches requires_grad_(), backward and .grad on a scalar and a vector function; imitates fastbook chapter 4 ("Calculating Gradients").
# ruff: noqa
# fmt: off
import torch


def f(x):
    return (x ** 2).sum()


xt = torch.tensor(3.).requires_grad_()
yt = f(xt)
print(yt)
yt.backward()
print(xt.grad)

xt = torch.tensor([3., 4., 10.]).requires_grad_()
print(xt)
yt = f(xt)
print(yt)
yt.backward()
print(xt.grad)
