# Teaches list/dict comprehensions over tensors and f-string format specs in reporting; imitates course notebooks' printing habits.
# ruff: noqa
# fmt: off
import torch

xs = [torch.tensor(float(i), requires_grad=True) for i in range(1, 6)]
ys = [x ** 2 + 1 for x in xs]
total = sum(ys)
total.backward()
grads = {f"x{i}": x.grad.item() for i, x in enumerate(xs, start=1)}
print(grads)
for name, g in grads.items():
    print(f"{name:>4} | grad {g:6.2f} | {g:+.3e} | {g / 10:.1%}")
print(f"total = {total.item():08.3f}, as int: {int(total.item()):#x}")
squares = torch.stack([y.detach() for y in ys if y.item() > 2])
print(f"{squares=}")
matrix = [[round(v, 2) for v in row] for row in torch.outer(torch.arange(3.), torch.arange(3.)).tolist()]
print(matrix)
