"""Reference solution of Exercise 1: dropout rate sensitivity."""
import matplotlib.pyplot as plt

from reference.module_code import create_dropout_model  # noqa: F401  (looked up at call time)

# --- solution cell ex1_solution ---
DROPOUT_RATES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]


def run_dropout_sweep(rates, X_train, y_train, X_valid, y_valid, epochs):
    """Train create_dropout_model(rate) once per rate, all with the same configuration.

    Returns {rate: {"best_val_acc": float, "final_val_acc": float}}.
    """
    ### BEGIN SOLUTION
    results = {}
    for rate in rates:
        model = create_dropout_model(dropout_rate=rate)
        model.compile(optimizer='adam',
                      loss='sparse_categorical_crossentropy',
                      metrics=['accuracy'])
        history = model.fit(X_train, y_train, epochs=epochs, batch_size=128,
                            validation_data=(X_valid, y_valid), verbose=0)
        results[rate] = {
            'best_val_acc': float(max(history.history['val_accuracy'])),
            'final_val_acc': float(history.history['val_accuracy'][-1]),
        }
    return results
    ### END SOLUTION


def best_dropout_rate(results):
    """The rate with the highest best_val_acc; on a tie, the smallest rate."""
    ### BEGIN SOLUTION
    return min(results, key=lambda rate: (-results[rate]['best_val_acc'], rate))
    ### END SOLUTION


def plot_dropout_sweep(results):
    """Plot validation accuracy against dropout rate; return the matplotlib Axes."""
    ### BEGIN SOLUTION
    rates = sorted(results)
    fig, ax = plt.subplots(figsize=(10, 6))
    ax.plot(rates, [results[r]['best_val_acc'] for r in rates],
            marker='o', linewidth=2, label='Best validation accuracy')
    ax.plot(rates, [results[r]['final_val_acc'] for r in rates],
            marker='s', linestyle='--', linewidth=2, label='Final validation accuracy')
    ax.set_xlabel('Dropout Rate')
    ax.set_ylabel('Validation Accuracy')
    ax.set_title('Dropout Rate vs Model Performance')
    ax.legend()
    ax.grid(True)
    return ax
    ### END SOLUTION
