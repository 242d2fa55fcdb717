"""The autograd tutorial's vector-Jacobian material: backward with gradient seeds, a Jacobian
built row by row (retain_graph=True, x.grad.zero_()), torch.autograd.grad with grad_outputs,
create_graph=True for a Hessian diagonal and a Hessian-vector product, torch.autograd.backward
with grad_tensors= and inputs=, allow_unused, and the errors those tutorials show."""


def run(torch):
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    y = x * x + 2 * x
    y.backward(torch.ones_like(y))
    print(x.grad)
    x.grad.zero_()
    v = torch.tensor([0.1, 1.0, 0.0001])
    (x ** 3).backward(v)
    print(x.grad, x.grad.dtype)

    x.grad = None
    y = torch.stack([x[0] * x[1], x[1] * x[2], x.sum(), (x ** 2).prod()])
    J = torch.zeros(4, 3)
    for i in range(4):
        seed = torch.zeros(4)
        seed[i] = 1.0
        y.backward(seed, retain_graph=True)
        J[i] = x.grad
        x.grad.zero_()
    print(J)
    print(y.grad_fn.name(), J.shape)

    a = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    b = torch.tensor([0.5, -1.], requires_grad=True)
    out = a @ b
    ga, gb = torch.autograd.grad(out, (a, b), grad_outputs=torch.tensor([1., 2.]),
                                 retain_graph=True)
    print(ga, gb, a.grad)
    ga, = torch.autograd.grad([out[0], out[1]], [a], grad_outputs=[torch.tensor(1.),
                                                                   torch.tensor(-1.)])
    print(ga)

    w = torch.tensor([0.5, 1.5, -1.], requires_grad=True)
    f = (w ** 3).sum() + (w[0] * w[1]) ** 2
    g, = torch.autograd.grad(f, w, create_graph=True)
    print(g.detach(), g.requires_grad)
    diag = torch.stack([torch.autograd.grad(g[i], w, retain_graph=True)[0][i] for i in range(3)])
    print(diag)
    u = torch.tensor([1., 0., 2.])
    hvp, = torch.autograd.grad(g, w, grad_outputs=u)
    print(hvp)

    p = torch.tensor([1., 2.], requires_grad=True)
    q = torch.tensor([3., 4.], requires_grad=True)
    s1, s2 = (p * q).sum(), p * p
    torch.autograd.backward([s1, s2], grad_tensors=[torch.tensor(2.), torch.tensor([1., 1.])])
    print(p.grad, q.grad)
    p.grad = None
    q.grad = None
    (p * q * q).sum().backward(inputs=[q])
    print(p.grad, q.grad)
    torch.autograd.backward((p * q).sum(), inputs=[p])
    print(p.grad, q.grad)

    r = torch.tensor([1., 2.], requires_grad=True)
    unused = torch.tensor([5.], requires_grad=True)
    gr, gu = torch.autograd.grad((r * r).sum(), [r, unused], allow_unused=True)
    print(gr, gu)
    print(torch.autograd.grad((r * r).sum(), [r, unused], materialize_grads=True))
    for bad in (lambda: torch.autograd.grad((r * r).sum(), [r, unused]),
                lambda: torch.autograd.grad((r * r).sum(), torch.ones(2)),
                lambda: (r * 2).backward(torch.ones(3))):
        try:
            bad()
        except RuntimeError as e:
            print(type(e).__name__, e)

    z = (r * r).sum()
    z.backward()
    try:
        z.backward()
    except RuntimeError as e:
        print(type(e).__name__, e)
    try:
        (r * 2).backward()
    except RuntimeError as e:
        print(type(e).__name__, e)
    try:
        r.add_(1)
    except RuntimeError as e:
        print(type(e).__name__, e)
    with torch.no_grad():
        r.add_(1)
    print(r, r.grad, r.requires_grad)
