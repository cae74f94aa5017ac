"""Reference solution of Exercise 2: BatchNorm placement."""
from keras import layers, models   # Keras 3 itself, as tensorflow.keras is

# --- solution cell ex2_solution ---
def create_bn_before_activation():
    """Dense -> BatchNormalization -> ReLU, per hidden layer (256, then 128)."""
    ### BEGIN SOLUTION
    return models.Sequential([
        layers.Input(shape=(784,)),
        layers.Dense(256),
        layers.BatchNormalization(),
        layers.Activation('relu'),
        layers.Dense(128),
        layers.BatchNormalization(),
        layers.Activation('relu'),
        layers.Dense(10, activation='softmax')
    ], name='bn_before_activation')
    ### END SOLUTION


def create_bn_after_activation():
    """Dense with ReLU -> BatchNormalization, per hidden layer (256, then 128)."""
    ### BEGIN SOLUTION
    return models.Sequential([
        layers.Input(shape=(784,)),
        layers.Dense(256, activation='relu'),
        layers.BatchNormalization(),
        layers.Dense(128, activation='relu'),
        layers.BatchNormalization(),
        layers.Dense(10, activation='softmax')
    ], name='bn_after_activation')
    ### END SOLUTION


def create_no_bn_baseline():
    """The same stack (784 -> 256 -> 128 -> 10) without BatchNormalization."""
    ### BEGIN SOLUTION
    return models.Sequential([
        layers.Input(shape=(784,)),
        layers.Dense(256, activation='relu'),
        layers.Dense(128, activation='relu'),
        layers.Dense(10, activation='softmax')
    ], name='no_bn_baseline')
    ### END SOLUTION
