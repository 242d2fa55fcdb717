"""The tutorial training loop: a linear model and a small MLP with nn.Module, MSELoss /
CrossEntropyLoss and SGD/Adam, initial weights copied in so the runs compare, over a
DataLoader without shuffling."""
import numpy as np


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.5], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    return x, y


def run(torch):
    nn, optim = torch.nn, torch.optim
    from_np = torch.from_numpy
    x, y = _data()
    model = nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.copy_(from_np(np.array([[0.1, 0.2, 0.3]], np.float32)))
        model.bias.fill_(0.0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()
    for epoch in range(5):
        opt.zero_grad()
        loss = loss_fn(model(from_np(x)), from_np(y))
        loss.backward()
        opt.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
    print([tuple(p.shape) for p in model.parameters()], [n for n, _ in model.named_parameters()])

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(3, 8)
            self.fc2 = nn.Linear(8, 4)

        def forward(self, t):
            return self.fc2(torch.relu(self.fc1(t)))

    net = Net()
    rng = np.random.default_rng(1)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(from_np((rng.normal(size=tuple(p.shape)) * 0.3).astype(np.float32)))
    labels = (np.abs(x).argmax(1) + (x[:, 0] > 0)).astype(np.int64)
    data = torch.utils.data.TensorDataset(from_np(x), from_np(labels))
    loader = torch.utils.data.DataLoader(data, batch_size=16, shuffle=False)
    opt = optim.Adam(net.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(3):
        total = 0.0
        for inputs, targets in loader:
            opt.zero_grad()
            loss = criterion(net(inputs), targets)
            loss.backward()
            opt.step()
            total += loss.item()
        print(f"epoch {epoch}: mean loss {total / len(loader):.4f}")
    with torch.no_grad():
        correct = (net(from_np(x)).argmax(1) == from_np(labels)).sum().item()
    print("correct", correct, "of", len(data))
