# Depthwise and transposed convs in Keras: DepthwiseConv2D counts its fan_in as ∏k·in
# (keras#11773), so he_normal there is `in` times too small; Conv2DTranspose's fans are
# swapped by its (*k, filters, in) kernel layout.
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    keras.Input(shape=(16, 16, 64)),
    layers.DepthwiseConv2D(3, padding="same", activation="relu", depthwise_initializer="he_normal"),
    layers.Conv2D(64, 1, activation="relu", kernel_initializer="he_normal"),
    layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
    layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu", kernel_initializer="he_normal"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(10, activation="softmax"),
])
