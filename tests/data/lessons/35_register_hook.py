# Teaches tensor hooks: printing and rewriting a gradient with register_hook, and removing a hook; imitates the autograd hooks docs and course notebooks.
# ruff: noqa
# fmt: off
import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
seen = []


def record(grad):
    seen.append(grad.clone())
    print("grad arriving at y:", grad)


h1 = y.register_hook(record)
h2 = x.register_hook(lambda g: g * 10)   # scale what lands in x.grad
z = (y ** 2).sum()
z.backward()
print("x.grad (scaled by the hook):", x.grad)
print("hooks saw", len(seen), "gradient(s)")

h1.remove()
h2.remove()
x.grad = None
y = x * 2
(y ** 2).sum().backward()
print("without hooks:", x.grad)
