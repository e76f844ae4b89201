"""A self-normalising network (Klambauer et al. 2017) that breaks its own premise: SELU
needs LeCun normal weights and AlphaDropout; this model uses Keras defaults and plain
Dropout."""
import tensorflow as tf

model = tf.keras.Sequential([
    tf.keras.Input(shape=(100,)),
    tf.keras.layers.Dense(256, activation="selu"),
    tf.keras.layers.Dropout(0.1),
    tf.keras.layers.Dense(256, activation="selu", kernel_initializer="lecun_normal"),
    tf.keras.layers.Dense(1, activation="sigmoid"),
])
