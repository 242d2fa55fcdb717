"""The tensor-types material of older tutorials and forum answers: the legacy constructors
(torch.Tensor, FloatTensor, ...), dtype aliases, .type(), the casting methods, new_* and the
in-place initializers, copy_ with broadcasting and casting, torch.Size, Python number
conversions, integer arithmetic and type promotion, the device idiom and numpy interop."""
import numpy as np


def run(torch):
    print(torch.Tensor(2, 3).shape, torch.Tensor([1, 2]), torch.Tensor(torch.Size([2])).shape)
    print(torch.FloatTensor([1, 2]), torch.DoubleTensor([1.5]), torch.LongTensor([1, 2]),
          torch.IntTensor([3]), torch.BoolTensor([True, False]), torch.LongTensor(2).shape)
    print(torch.float, torch.double, torch.long, torch.int, torch.bool, torch.half,
          torch.float is torch.float32, torch.long is torch.int64)
    t = torch.tensor([1.7, -2.2, 0.0])
    print(t.type(), t.type(torch.DoubleTensor), t.type('torch.IntTensor'), t.long().type())
    print(t.float(), t.double(), t.long(), t.int(), t.bool(), t.half().dtype, t.int().dtype)
    print(t.new_ones(2), t.new_zeros((2, 1)), t.new_full((2,), 7), t.new_empty(3).shape,
          t.new_tensor([1, 2]), t.long().new_ones(2), t.new_ones(2, dtype=torch.int64))
    u = torch.empty(2, 3)
    print(u.fill_(2.5))
    print(u.zero_(), u.sum())
    print(u.copy_(torch.tensor([1, 2, 3])), u.dtype)
    w = torch.zeros(2, 2, dtype=torch.int64)
    w.copy_(torch.tensor([[1.9], [-1.9]]))
    print(w, torch.empty_like(w).shape, torch.empty_like(t).dtype)
    print(torch.full_like(w, 4), torch.full_like(t, 0.5), torch.zeros_like(t, dtype=torch.int32))
    s = torch.zeros(3, 4).shape
    print(s, isinstance(s, tuple), s.numel(), s[1], s[-1:], len(s), s == (3, 4), tuple(s))
    print(torch.Size([2, 3]), list(torch.ones(2, 5).size()), torch.ones(2, 5).size(1))
    one = torch.tensor([2.75])
    loss = torch.tensor(0.123456)
    print(float(one), int(one), bool(one), f"{loss:.4f}", f"{loss.item():.2e}", loss.item())
    print(torch.tensor([[1, 2], [3, 4]]).tolist(), torch.tensor(3).tolist(), t.tolist())
    print(type(torch.tensor(3).item()), type(one.item()), type(torch.tensor(True).item()))
    pair = "{} {}".format(torch.tensor(3), torch.tensor([1, 2]))  # noqa: UP032
    print(f"loss: {loss}", pair, "%.2f" % one)  # noqa: UP031
    for convert, value in ((float, [1., 2.]), (bool, []), (lambda x: x.item(), [1, 2])):
        try:
            convert(torch.tensor(value))
        except (ValueError, RuntimeError) as e:
            print(type(e).__name__, e)
    print(torch.ones(1, dtype=torch.uint8).type(), torch.ones(1, dtype=torch.int16).type(),
          torch.ones(1, dtype=torch.int8).type(), t.half().type(), t.is_cuda)
    i = torch.tensor([-7, -2, 5, 8])
    print(i ** 2, i / 2, i // 3, i % 3, torch.remainder(i, -3), torch.fmod(i, 3), i * 1.5)
    print((i ** 2).dtype, torch.pow(i, 2).dtype, (i / 2).dtype, (i // 3).dtype, (2 ** i.abs()))
    print(i + 0.5, (i + 0.5).dtype, i.int() + i, (i.int() + i).dtype, i.int() + 2)
    b = torch.tensor([True, False, True])
    print(b + 1, (b + 1).dtype, b + b, b.sum(), b * 2.5, b.float().mean(), b & ~b)
    print(torch.tensor([1, 2], dtype=torch.int32) * torch.tensor(2.), i.max(), i.argmax())
    print(torch.tensor(5, dtype=torch.uint8) - 6, torch.tensor([1, 2]).sum().dtype)
    print(i + np.float64(0.5), (i * np.float32(2)).dtype, np.int64(2) * i.int())
    for bad in (lambda: i.mean(), lambda: i.requires_grad_(),
                lambda: torch.ones(2, dtype=torch.long, requires_grad=True)):
        try:
            bad()
        except RuntimeError as e:
            print(type(e).__name__, e)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(device, torch.device("cpu"), torch.device("cpu").type, t.device)
    moved = t.to(device)
    print(moved.device == t.device, t.to(torch.float64).dtype, t.to("cpu", torch.int32))
    a = np.array([1., 2., 3.])
    f = torch.from_numpy(a)
    a[0] = 10.
    f[1] = 20.
    print(f, a, f.dtype, torch.from_numpy(np.arange(3)).dtype)
    n = np.asarray(f)
    n[2] = 30.
    print(f, type(n).__name__, n.dtype, f.numpy().shape)
    print(np.asarray(torch.tensor([1, 2], dtype=torch.int32)).dtype, np.mean(np.asarray(f)))
