"""One call that seeds everything."""


def set_seed(seed=42, deterministic=True):
    """Seed Python, NumPy and the Keras backend; deterministic ops where the backend has them."""
    import keras
    keras.utils.set_random_seed(seed)
    if deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()
