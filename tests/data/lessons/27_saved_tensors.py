# Teaches what autograd saves for backward (grad_fn._saved_self / _saved_result) and next_functions; imitates the "Autograd mechanics" note on saved tensors.
# ruff: noqa
# fmt: off
import torch

x = torch.randn(5, requires_grad=True)
y = x.pow(2)
print("saved self is x:", y.grad_fn._saved_self is x)
print("saved self equals x:", torch.equal(y.grad_fn._saved_self, x))

z = x.exp()
print("saved result equals z:", z.grad_fn._saved_result.equal(z))
print("saved result is z:", z.grad_fn._saved_result is z)

w = (y * z).sum()
print("w.grad_fn:", w.grad_fn.name())
print("next functions:", [fn.name() if fn is not None else None for fn, _ in w.grad_fn.next_functions])
mul = w.grad_fn.next_functions[0][0]
print("mul inputs:", [fn.name() for fn, _ in mul.next_functions])
w.backward()
expected = (2 * x * x.exp() + x ** 2 * x.exp()).detach()
print("grad matches the product rule:", torch.allclose(x.grad, expected))
