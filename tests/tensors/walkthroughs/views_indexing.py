"""Views and sharing, broadcasting, indexing, masks, gather/scatter as tutorials use them."""


def run(torch):
    x = torch.arange(12.).reshape(3, 4)
    v = x.view(4, 3)
    v[0, 0] = 100.
    print(x)
    x[1] = torch.tensor([9., 9., 9., 9.])
    x[:, 0] = 0
    print(x, v)
    print(x[x > 5], x[[0, 2]], x[[0, 1], [1, 2]], x[..., -1], x[None].shape, x[:, None].shape)
    m = x > 5
    print(m, m.dtype == torch.bool, m.sum(), m.any(), m.all())
    x[m] = -1.
    print(x)
    a = torch.ones(3, 1)
    b = torch.arange(4.)
    print(a + b, (a * b).shape, torch.ones(2, 3, 4).sum(dim=1).shape,
          torch.ones(2, 3, 4).sum(1, keepdim=True).shape)
    src = torch.arange(1., 11.).reshape(2, 5)
    index = torch.tensor([[0, 1, 2, 0]])
    print(torch.zeros(3, 5, dtype=src.dtype).scatter_(0, index, src))
    print(torch.gather(torch.tensor([[1, 2], [3, 4]]), 1, torch.tensor([[0, 0], [1, 0]])))
    t = torch.tensor([[1., 2.], [3., 4.]])
    print(t.t(), t.T @ t, t.mm(t), t.matmul(torch.tensor([1., 1.])), t @ t, t * t)
    print(t.max(), t.max(dim=0), t.argmax(), t.argmax(dim=1), t.min(1).values,
          t.sum(0), t.mean(), t.std(), t.var(1), t.norm(), t.prod())
    print(t.unsqueeze(0).shape, t.unsqueeze(-1).shape, t.reshape(-1), t.flatten(),
          t.squeeze().shape, torch.zeros(1, 2, 1).squeeze().shape,
          torch.zeros(1, 2, 1).squeeze(0).shape, t.permute(1, 0), t.transpose(0, 1))
    print(t.expand(2, 2, 2).shape, torch.tensor([[1.], [2.]]).expand(2, 3),
          t.repeat(2, 1), t.flip(0), t.clamp(min=2.5), t.clamp(1.5, 3.5))
    print(torch.where(t > 2, t, torch.zeros_like(t)), t.masked_fill(t > 2, 0.),
          t.index_select(0, torch.tensor([1, 1])), t.nonzero(), t.topk(1))
    print(torch.exp(t), torch.log(t), torch.sqrt(t), torch.sigmoid(t), torch.tanh(t),
          torch.relu(t - 2), torch.abs(-t), torch.sin(t), (t.exp().log() - t).abs().max() < 1e-6, torch.softmax(t, dim=1),
          torch.log_softmax(t, 0))
