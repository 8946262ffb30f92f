# Teaches a custom autograd.Function saving its output, checked with gradcheck in double precision; imitates the "Extending torch.autograd" docs.
# ruff: noqa
# fmt: off
import torch
from torch.autograd import Function, gradcheck


class Exp(Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class MulConstant(Function):
    @staticmethod
    def forward(ctx, tensor, constant):
        ctx.constant = constant
        return tensor * constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


x = torch.tensor([0.0, 1.0, -1.0], requires_grad=True)
y = MulConstant.apply(Exp.apply(x), 3.0)
y.sum().backward()
print("y:", y)
print("grad:", x.grad)
print("grad_fn:", type(y.grad_fn).__name__)

xd = torch.tensor([0.3, -0.7], dtype=torch.double, requires_grad=True)
print("gradcheck Exp:", gradcheck(Exp.apply, (xd,), eps=1e-6, atol=1e-4))
