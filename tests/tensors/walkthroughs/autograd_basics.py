"""The autograd tutorial: requires_grad, backward with and without seeds, retain_graph,
accumulation, no_grad/detach, hooks, Jacobian rows from seeds."""


def run(torch):
    x = torch.ones(2, 2, requires_grad=True)
    print(x)
    y = x + 2
    print(y, y.grad_fn is not None, x.grad_fn)
    z = y * y * 3
    out = z.mean()
    print(z, out)
    out.backward()
    print(x.grad)
    a = torch.tensor([1., 2.], requires_grad=True)
    b = torch.tensor([3., 4.], dtype=torch.float64, requires_grad=True)
    c = a * 1
    c.add_(b * b)
    print(c)
    c.sum().backward()
    print(a.grad, b.grad)
    i = torch.tensor([1, 2])
    i += 1
    print(i)
    try:
        i += 1.5
    except RuntimeError:
        print("RuntimeError")
    f = torch.tensor([1., 2.])
    f += torch.tensor([1, 2])
    print(f)
    print(torch.tensor([1, 2]) / 2, torch.tensor([1, 2]) * 1.5, torch.tensor([1, 2]) + True,
          torch.tensor([True]) + torch.tensor([True]))
    print(torch.tensor([1, 2], dtype=torch.int32) + 5,
          torch.tensor([1, 2], dtype=torch.int32) + torch.tensor(5),
          torch.tensor([1., 2.]) + torch.tensor(5., dtype=torch.float64))
    print(torch.tensor([3, 4]).float().mean(), torch.tensor([1, 2, 3]).sum(),
          torch.tensor([True, True]).sum(), torch.tensor([1.5]).int(),
          torch.tensor([-1.5, 2.7]).long())
    x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    (x * x).mean().backward()
    print(x.grad)
    x.grad.zero_()
    out = x.pow(3).sum()
    out.backward(retain_graph=True)
    print(x.grad)
    out.backward()
    print(x.grad)
    try:
        out.backward()
    except RuntimeError:
        print("RuntimeError: backward twice")
    v = torch.tensor([1., 0.1], requires_grad=True)
    v2 = v * 2
    v2.backward(torch.tensor([0.1, 1.0]))
    print(v.grad)
    print(x.requires_grad, (x * 2).requires_grad, x.detach().requires_grad, x.is_leaf,
          (x * 2).is_leaf)
    with torch.no_grad():
        print((x * 2).requires_grad)
    p = torch.tensor([2., 3.], requires_grad=True)
    q = p * p
    q.retain_grad()
    seen = []
    q.register_hook(lambda g: seen.append(g.clone()))
    (q * torch.tensor([1., 10.])).sum().backward()
    print(q.grad, p.grad, seen)
    s = torch.tensor([1., 2., 3.], requires_grad=True)
    J = torch.zeros(2, 3)
    for row in range(2):
        yy = torch.stack([s[0] * s[1], s[2] ** 2])
        yy.backward(torch.eye(2)[row])
        J[row] = s.grad
        s.grad = None
    print(J)
    try:
        torch.ones(2, requires_grad=True).pow(2).backward()
    except RuntimeError:
        print("RuntimeError: grad can be implicitly created only for scalar outputs")
    g, = torch.autograd.grad((s * s).sum(), s)
    print(g)
    w = torch.tensor(3., requires_grad=True)
    gw, = torch.autograd.grad(w ** 3, w, create_graph=True)
    ggw, = torch.autograd.grad(gw, w)
    print(gw.detach(), gw.requires_grad, ggw)
