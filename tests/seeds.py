"""The seed questions' models, written once for the tests (``from seeds import q1_model``).

Verbatim from the seeds apart from the import, as ``cnnlab.layers``'s docstring shows q1.
"""
from cnnlab import Sequential
from cnnlab.layers import Conv2D, Dense, MaxPooling2D


def q1_model():
    """Seed q1: 10 474 parameters, output (None, 6, 6, 10) as Keras reports."""
    model = Sequential()
    model.add(Conv2D(32, (3,3), activation='relu', input_shape=(32,32,3)))
    model.add(MaxPooling2D((2, 2)))
    model.add(Conv2D(32, (3,3), activation='relu'))
    model.add(MaxPooling2D((2, 2)))
    model.add(Dense(10, activation='softmax'))
    return model


def q2_model():
    """Seed q2 (100×100 gray input, 'same' convolutions, Dense on the 4-D map as Keras does)."""
    model = Sequential()
    model.add(Conv2D(60, (7, 7), input_shape = (100, 100, 1), padding="same", activation="relu")) # Layer 1
    model.add(Conv2D(100, (5, 5), padding="same", activation="relu")) # Layer 2
    model.add(MaxPooling2D(pool_size=(2, 2))) # Layer 3
    model.add(Dense(250)) # Layer 4
    model.add(Dense(200)) # Layer 5
    return model
