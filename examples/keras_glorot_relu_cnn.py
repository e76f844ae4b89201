"""A Keras CNN written with the functional API. Keras layers default to glorot_uniform,
which is designed for tanh; under ReLU the signal halves per layer. The first convolution
asks for He explicitly; the others are reported, and the quick fix writes
kernel_initializer="he_normal" in the file's own string style."""
import keras
from keras import layers

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu", kernel_initializer="he_normal")(inputs)
x = layers.Conv2D(64, 3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Flatten()(x)
x = layers.Dense(128, activation="relu", kernel_initializer="glorot_uniform")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
