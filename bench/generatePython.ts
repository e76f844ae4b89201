/**
 * A realistic Python model file of about N lines for the benchmarks: PyTorch modules
 * (residual blocks, nn.init in __init__, apply(fn)), Keras Sequential and functional
 * models, Flax linen modules; most are initialised correctly, one in five is not (a
 * typical file has a few findings, not hundreds).
 */
const HEADER = `"""Benchmark models (generated)."""
import math

import flax.linen as nn_flax
import keras
import torch
import torch.nn as nn
import torch.nn.functional as F
from keras import layers

WIDTH = 256
`;

function torchModel(i: number, bad: boolean): string {
  return `

class Block${i}(nn.Module):
    def __init__(self, dim, expansion=4):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * expansion)
        self.fc2 = nn.Linear(dim * expansion, dim)
        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity="relu")
        nn.init.zeros_(self.fc2.weight)

    def forward(self, x):
        h = F.relu(self.fc1(self.norm(x)))
        return x + self.fc2(h)


class Net${i}(nn.Module):
    def __init__(self, d_in=784, dim=WIDTH, depth=4, n_classes=10):
        super().__init__()
        self.stem = nn.Linear(d_in, dim)
        self.blocks = nn.ModuleList([Block${i}(dim) for _ in range(depth)])
        self.head = nn.Linear(dim, n_classes)
        self.drop = nn.Dropout(0.1)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear) and m is not self.head:
            ${bad ? 'nn.init.xavier_uniform_(m.weight)' : 'nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")'}
            if m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.relu(self.stem(x.flatten(1)))
        for block in self.blocks:
            x = block(x)
        return self.head(self.drop(x))
`;
}

function convModel(i: number, bad: boolean): string {
  return `

class ConvNet${i}(nn.Module):
    def __init__(self, channels=32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels * 2, 3, stride=2, padding=1${bad ? '' : ', bias=False'}),
            ${bad ? '' : 'nn.BatchNorm2d(channels * 2),'}
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Linear(channels * 2, 10)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.classifier(self.features(x))
`;
}

function kerasModel(i: number, bad: boolean): string {
  return `

def build_keras_${i}(units=WIDTH):
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer="he_normal")(inputs)
    x = layers.Conv2D(32, 3, padding="same", kernel_initializer="he_normal")(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(units, activation="relu"${bad ? '' : ', kernel_initializer="he_normal"'})(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


sequential_${i} = keras.Sequential([
    keras.Input(shape=(64,)),
    layers.Dense(128, activation="tanh"),
    layers.Dense(128, activation="tanh"),
    layers.Dense(1, activation="sigmoid"),
])
`;
}

function flaxModel(i: number): string {
  return `

class FlaxMlp${i}(nn_flax.Module):
    features: tuple = (256, 256, 10)

    @nn_flax.compact
    def __call__(self, x):
        for feat in self.features[:-1]:
            x = nn_flax.Dense(feat, kernel_init=nn_flax.initializers.he_normal())(x)
            x = nn_flax.relu(x)
        return nn_flax.Dense(self.features[-1])(x)
`;
}

/** About `lines` lines of model code (never fewer). */
export function generatePython(lines: number): string {
  const parts = [HEADER];
  let count = HEADER.split('\n').length;
  for (let i = 0; count < lines; i++) {
    const bad = i % 5 === 4;
    const block = [torchModel(i, bad), convModel(i, bad), kerasModel(i, bad), flaxModel(i)][i % 4]!;
    parts.push(block);
    count += block.split('\n').length - 1;
  }
  return parts.join('');
}
