# Teaches requires_grad, backward, no_grad/detach and a linear model's grads; the course's own Session 2 autograd lesson, cells concatenated.
# ruff: noqa
# fmt: off
import torch

# A simple tensor with requires_grad=True
x = torch.tensor([2.0, 3.0], requires_grad=True)
print(f"x: {x}")

y = x**2 + 3*x

# Define a function
y = x**2 + 3*x
print("y:", y)

# Compute gradients (backpropagate)
y.sum().backward()  # Use .sum() because y is a vector

# Gradients will be stored in x.grad
print("dy/dx:", x.grad)  # Expected: 2*x + 3 => [7.0, 9.0]

with torch.no_grad():
    z = x * 2
    print("No grad tensor z:", z)

# Or use detach to remove a tensor from the computation graph
z_detached = x.detach()
print("Detached z:", z_detached)

# Inputs and parameters
x = torch.tensor([1.0, 2.0, 3.0])
w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
b = torch.tensor(1.0, requires_grad=True)

# Linear model
y = torch.dot(w, x) + b
print("Output y:", y)

# Backpropagation
y.backward()
print("Gradient of w:", w.grad)
print("Gradient of b:", b.grad)
