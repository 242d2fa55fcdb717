"""The MNIST CNN tutorial's `Net` (two convolutions, Dropout2d, max pooling, two linear layers,
log_softmax): its repr, parameter names, shapes and count; deterministic weights; an eval-mode
forward, nll_loss, backward and gradient sums; one SGD step with momentum; BatchNorm2d's
running statistics in train and eval mode; a DataLoader over a TensorDataset with drop_last."""


def run(torch):
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    net = Net()
    print(net)
    for name, p in net.named_parameters():
        print(name, p.shape, p.requires_grad)
    print(sum(p.numel() for p in net.parameters()), len(list(net.parameters())))
    print(net.conv1, net.fc2.weight.shape, [type(m).__name__ for m in net.children()])
    for bad in (lambda: net(torch.zeros(1, 3, 28, 28)), lambda: net(torch.zeros(1, 1, 20, 20)),
                lambda: net.fc1(torch.zeros(2, 300))):
        try:
            bad()
        except RuntimeError:  # adc's messages name the shapes its own way
            print("RuntimeError")
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.linspace(-0.1, 0.1, p.numel()).reshape(p.shape))
    net.conv1.bias.data = torch.linspace(-0.2, 0.2, 10)
    net.eval()
    x = torch.cos(torch.arange(2 * 28 * 28, dtype=torch.float32) / 7).reshape(2, 1, 28, 28)
    target = torch.tensor([3, 7])
    out = net(x)
    print(out.shape, out.dtype, out.grad_fn.name(), out.round(decimals=3))
    loss = F.nll_loss(out, target)
    print(f"loss {loss.item():.5f}", loss.grad_fn.name())
    loss.backward()
    # float32 sums of many terms: 4 significant digits (the last bits differ with the order)
    for name, p in net.named_parameters():
        print(name, f"{p.grad.abs().sum().item():.4g}", f"{p.grad.abs().max().item():.4g}")
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    opt.step()
    opt.zero_grad()
    print(net.fc2.weight.grad, round(net.fc2.bias.abs().sum().item(), 5))
    loss2 = F.nll_loss(net(x), target)
    loss2.backward()
    opt.step()
    # loss2 follows a large step: float32 reductions in another order move its 6th digit
    print(f"{loss2.item():.4g}", round(net.fc1.bias.sum().item(), 5))
    print(f"{F.nll_loss(net(x), target).item():.4f}")

    bn = nn.BatchNorm2d(3)
    print(bn, bn.running_mean, bn.running_var, bn.num_batches_tracked)
    batch = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2) / 10
    y = bn(batch)
    print(y.shape, y.mean(dim=(0, 2, 3)).abs().max() < 1e-6, bn.running_mean, bn.running_var)
    print(bn.num_batches_tracked, bn.training)
    bn.eval()
    print(bn(batch)[0, :, 0, 0], bn.training)
    with torch.no_grad():
        bn.weight.fill_(2.0)
    print(bn(batch)[1, 2], [n for n, _ in bn.named_buffers()])

    data = torch.arange(10 * 1 * 2 * 2, dtype=torch.float32).reshape(10, 1, 2, 2)
    labels = torch.arange(10) % 3
    dataset = torch.utils.data.TensorDataset(data, labels)
    print(len(dataset), dataset[4][0].shape, dataset[4][1])
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=False)
    for i, (xb, yb) in enumerate(loader):
        print(i, xb.shape, yb.shape, yb, xb.sum())
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=False, drop_last=True)
    print(len(loader), [tuple(xb.shape) for xb, _ in loader])
    first = next(iter(loader))
    print(type(first).__name__, len(first), first[1].dtype)
