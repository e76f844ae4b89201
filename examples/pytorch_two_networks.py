"""Two networks in one file. SmallCNN initialises its convolutions in a loop, with ReLU's
gain, but its activation is tanh: IW102 fixes the one call for both layers. TabularMLP
keeps PyTorch's default init under ReLU: ×1/6 per layer, compounding over six 2048-wide
layers, so its findings are warnings, anchored at the class (the script below builds it as
`mlp`)."""
import torch
import torch.nn as nn


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 32, 3, padding=1)
        self.head = nn.Linear(32, 10)
        for conv in (self.c1, self.c2):
            nn.init.kaiming_normal_(conv.weight, nonlinearity='relu')

    def forward(self, x):
        x = torch.tanh(self.c1(x))
        x = torch.tanh(self.c2(x))
        x = x.mean(dim=(2, 3))
        return self.head(x)


class TabularMLP(nn.Module):
    def __init__(self, d_in=64, hidden=2048, depth=6):
        super().__init__()
        layers = []
        width = d_in
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(self.body(x))


if __name__ == '__main__':
    mlp = TabularMLP()
    print(mlp(torch.randn(8, 64)).shape)
