# Teaches torch.autograd.functional.jacobian and hessian with def and lambda functions; imitates the torch.autograd.functional docs.
# ruff: noqa
# fmt: off
import torch
from torch.autograd.functional import hessian, jacobian


def exp_reducer(x):
    return x.exp().sum(dim=1)


inputs = torch.tensor([[0.0, 1.0], [1.0, 2.0]])
print("jacobian:\n", jacobian(exp_reducer, inputs))


def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()


hx, hy = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])
H = hessian(pow_adder_reducer, (hx, hy))
print("hessian blocks:", [[tuple(block.shape) for block in row] for row in H])
print("d2/dx2:\n", H[0][0])

rosen = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
p0 = torch.tensor([1.0, 1.0])
print("rosenbrock grad at minimum:", jacobian(rosen, p0))
print("rosenbrock hessian at minimum:\n", hessian(rosen, p0))
