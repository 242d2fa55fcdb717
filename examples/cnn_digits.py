"""The PyTorch tutorial's CNN, trained on real handwritten digits with adc in torch's place.

The network, the training loop and the test loop are the tutorial's code (pytorch/examples'
MNIST `Net`: two 5x5 convolutions, max pooling, Dropout2d, batch norm, two linear layers,
log_softmax and nll_loss, SGD with momentum over a DataLoader); the only change is the import
line `import adc as torch` (the Net's class is defined inside `define_net(torch)` so the same
code also builds torch's Net, into which the trained weights are loaded at the end: both give
the same outputs). The data is scikit-learn's bundled digits set (1,797 8x8 images,
offline); the tutorial's Net expects 28x28 MNIST images, so each digit is scaled up to 28x28
by bilinear interpolation (and its pixel values from 0..16 to 0..1, normalized as the
tutorial does) — the network itself is unchanged.

    python examples/cnn_digits.py [--epochs 10] [--plot loss.png]

Needs scikit-learn (`pip install "adc-autodiff[examples]"` or `pip install scikit-learn`);
writes the loss curve as a PNG when matplotlib is installed.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

import adc as torch
import adc.nn.functional as F
import adc.optim as optim
from adc.utils.data import DataLoader, TensorDataset


def define_net(torch):
    """The tutorial's Net, for a library with torch's API (adc here, torch to compare)."""
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.bn = nn.BatchNorm2d(20)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.bn(self.conv2(x))), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    return Net


Net = define_net(torch)


def upscale(images: np.ndarray, size: int = 28) -> np.ndarray:
    """Bilinear interpolation of (N, h, w) images to (N, size, size)."""
    n, h, w = images.shape
    ys, xs = np.linspace(0, h - 1, size), np.linspace(0, w - 1, size)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (ys - y0)[None, :, None], (xs - x0)[None, None, :]
    top = images[:, y0][:, :, x0] * (1 - wx) + images[:, y0][:, :, x1] * wx
    bottom = images[:, y1][:, :, x0] * (1 - wx) + images[:, y1][:, :, x1] * wx
    return top * (1 - wy) + bottom * wy


def load_digits_28():
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit("this example needs scikit-learn's bundled digits: pip install scikit-learn "
                 '(or pip install "adc-autodiff[examples]")')
    digits = load_digits()
    images = upscale(digits.images / 16.0).astype(np.float32)
    images = (images - images.mean()) / images.std()
    return images[:, None], digits.target.astype(np.int64)


def train(model, loader, optimizer, epoch):
    model.train()
    total, batches = 0.0, 0
    for data, target in loader:
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    print(f"epoch {epoch}: train loss {total / batches:.4f}")
    return total / batches


def test(model, loader):
    model.eval()
    loss, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for data, target in loader:
            output = model(data)
            loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
            n += len(data)
    print(f"test: average loss {loss / n:.4f}, accuracy {correct}/{n} "
          f"({100.0 * correct / n:.1f}%)")
    return correct / n


def compare_with_torch(model, images):
    """The trained weights loaded into the same Net built with torch (its state_dict's keys and
    shapes are torch's): both give the same eval-mode log-probabilities."""
    try:
        import torch as real_torch
    except ImportError:
        print("torch is not installed: no comparison with torch (pip install torch)")
        return
    net = define_net(real_torch)()
    net.load_state_dict({k: real_torch.from_numpy(v.numpy().copy())
                         for k, v in model.state_dict().items()})
    net.eval()
    with real_torch.no_grad():
        theirs = net(real_torch.from_numpy(images)).numpy()
    with torch.no_grad():
        ours = model(torch.from_numpy(images)).numpy()
    print(f"max abs difference with torch: {np.abs(ours - theirs).max():.3g}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--plot", default="cnn_digits_loss.png",
                        help="where to write the loss curve (needs matplotlib)")
    args = parser.parse_args(argv)
    torch.manual_seed(1)
    images, labels = load_digits_28()
    order = np.random.default_rng(0).permutation(len(labels))
    train_idx, test_idx = order[:1437], order[1437:]
    train_set = TensorDataset(torch.from_numpy(images[train_idx]),
                              torch.from_numpy(labels[train_idx]))
    test_set = TensorDataset(torch.from_numpy(images[test_idx]),
                             torch.from_numpy(labels[test_idx]))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = Net()
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.5)
    losses = [train(model, train_loader, optimizer, epoch) for epoch in range(1, args.epochs + 1)]
    accuracy = test(model, test_loader)
    compare_with_torch(model, images[test_idx])
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no loss curve written (pip install matplotlib)")
    else:
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.plot(range(1, len(losses) + 1), losses, marker="o")
        plt.xlabel("epoch")
        plt.ylabel("train loss (nll)")
        plt.title("tutorial CNN on scikit-learn digits, with adc")
        plt.savefig(args.plot)
        print(f"loss curve written to {args.plot}")
    return accuracy


if __name__ == "__main__":
    main()
