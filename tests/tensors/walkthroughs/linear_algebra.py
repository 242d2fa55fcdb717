"""The linear-algebra tutorial material: matrix products (matmul/mm/bmm/@ with broadcasting, mv,
dot, outer), trace/diag/diagonal/triu/tril, addmm/addmv, cross, kron, torch.linalg's
inv/solve/det/slogdet/norms/cholesky/qr/svd/eigh and the inverse/det methods, then gradients of
det/inv/solve/norm/cholesky-based losses through backward, all in float64."""


def run(torch):
    f64 = torch.float64
    A = torch.tensor([[4., 1., 0.], [1., 3., 1.], [0., 1., 2.]], dtype=f64)
    B = torch.tensor([[1., 2.], [0., 1.], [3., -1.]], dtype=f64)
    v = torch.tensor([1., -2., 0.5], dtype=f64)
    print(A @ B, torch.matmul(A, v), torch.mm(B.T, A))
    batch = torch.stack([A, 2 * A])
    print(torch.bmm(batch, batch).shape, (batch @ B).shape, torch.bmm(batch, batch)[1, 0])
    print(torch.matmul(batch, B).sum(dim=(1, 2)), (B.T @ batch[0]).shape)
    print(torch.mv(A, v), torch.dot(v, v), torch.outer(v, v[:2]))
    print(torch.trace(A), torch.diag(A), torch.diag(v), torch.diagonal(A, 1))
    print(torch.triu(A), torch.tril(A, -1), A.triu(1).sum(), A.diagonal().sum())
    print(torch.addmm(A, A, A, beta=0.5, alpha=2), torch.addmv(v, A, v))
    print(torch.cross(v, torch.tensor([0., 1., 0.], dtype=f64), dim=0))
    print(torch.kron(torch.eye(2, dtype=f64), B[:2]))
    la = torch.linalg
    print(la.inv(A), la.solve(A, v), la.det(A).round(decimals=8), la.slogdet(-A))
    print(torch.slogdet(A).sign, type(A.slogdet()).__name__, type(la.slogdet(A)).__name__)
    sign, logabs = la.slogdet(A)
    print(sign, round(float(logabs), 8), A.inverse().round(decimals=6), round(A.det().item(), 8))
    print(la.norm(A), la.norm(v), la.vector_norm(v, ord=1), la.vector_norm(v, ord=float("inf")))
    print(la.matrix_norm(A).round(decimals=6), la.matrix_norm(A, ord=1),
          la.matrix_norm(A, ord="nuc").round(decimals=6), la.norm(A, dim=1).round(decimals=6))
    L = la.cholesky(A)
    print(L.round(decimals=6), (L @ L.T - A).abs().max() < 1e-12)
    Q, R = la.qr(A)
    # + 0.0 turns the -0. that rounding a tiny negative residual leaves into 0.
    print(Q.shape, R.shape, (Q @ R).round(decimals=6) + 0.0, (Q.T @ Q).round(decimals=6) + 0.0)
    U, S, Vh = la.svd(B, full_matrices=False)
    print(S.round(decimals=6), U.shape, Vh.shape)
    print((U @ torch.diag(S) @ Vh).round(decimals=6))
    evals, evecs = la.eigh(A)
    print(evals.round(decimals=6), evecs.abs().round(decimals=6))
    print(torch.linalg.eigvalsh(A).round(decimals=6), A.T.equal(A))

    X = A.clone().requires_grad_(True)
    la.det(X).backward()
    print(X.grad.round(decimals=6))
    X.grad = None
    la.inv(X).sum().backward()
    print(X.grad.round(decimals=6))
    X.grad = None
    b = v.clone().requires_grad_(True)
    x = la.solve(X, b)
    (x * x).sum().backward()
    print(x.round(decimals=6), X.grad.round(decimals=6), b.grad.round(decimals=6))
    X.grad = None
    la.norm(X).backward()
    print(X.grad.round(decimals=6))
    X.grad = None
    la.vector_norm(X @ b, ord=3).backward()
    print(X.grad.round(decimals=6), b.grad.round(decimals=6))
    X.grad = None
    logdet = 2 * la.cholesky(X).diagonal().log().sum()
    logdet.backward()
    print(round(logdet.item(), 8), X.grad.round(decimals=6), la.inv(A).round(decimals=6))
    singular = torch.tensor([[1., 2.], [2., 4.]], dtype=f64)
    for bad in (lambda: la.inv(torch.ones(2, 3, dtype=f64)), lambda: la.inv(singular),
                lambda: la.solve(singular, v[:2]), lambda: la.cholesky(-A)):
        try:
            bad()
        except RuntimeError as e:
            print(isinstance(e, la.LinAlgError), e)
