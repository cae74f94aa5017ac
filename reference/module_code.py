"""The module's own code that the exercises build on (section 4 of the notebook)."""
from keras import layers, models   # Keras 3 itself, as tensorflow.keras is


# Model with dropout
def create_dropout_model(dropout_rate=0.5):
    """
    Create model with dropout regularization.
    
    Parameters:
    -----------
    dropout_rate : float
        Fraction of neurons to drop (typically 0.2 to 0.5)
    """
    model = models.Sequential([
        layers.Input(shape=(784,)),
        
        layers.Dense(512, activation='relu'),
        layers.Dropout(dropout_rate),  # Drop 50% of neurons
        
        layers.Dense(512, activation='relu'),
        layers.Dropout(dropout_rate),
        
        layers.Dense(512, activation='relu'),
        layers.Dropout(dropout_rate),
        
        layers.Dense(512, activation='relu'),
        layers.Dropout(dropout_rate),
        
        layers.Dense(10, activation='softmax')
    ], name='dropout_model')
    return model
