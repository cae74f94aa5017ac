"""How the grader retrains each exercise model: named protocols and budget profiles.

The notebook states these to the student (``Protocol.describe``): the student designs the
network and its regularization; the data, batch size, epoch budget and early stopping are
the grader's.
"""
import os
from dataclasses import asdict, dataclass, field

PROFILE_VARIABLE = "AUTOGRADER_PROFILE"


@dataclass(frozen=True)
class Budget:
    epochs: int
    patience: int
    train_samples: int = None       # None: the whole training split
    valid_samples: int = None


@dataclass(frozen=True)
class Protocol:
    name: str
    dataset: str                    # "fashion_mnist" or "cifar10"
    split: str                      # how the validation set is cut
    optimizer: dict                 # Keras optimizer config used when the student's is not honoured
    honour_student_optimizer: bool
    loss: str
    batch_size: int
    monitor: str
    budgets: dict = field(default_factory=dict)     # profile name -> Budget
    seed: int = 0

    def budget(self, profile):
        if profile not in self.budgets:
            raise ValueError(f"Expected a profile in {sorted(self.budgets)}. Received: profile={profile!r}")
        return self.budgets[profile]

    def to_dict(self, profile):
        data = asdict(self)
        data["budgets"] = {profile: asdict(self.budget(profile))}
        return data

    def describe(self, profile):
        b = self.budget(profile)
        data = "all of the training split" if b.train_samples is None else f"{b.train_samples} training images"
        opt = ("the optimizer and learning rate you compiled the model with (Adam(1e-3) if it is not compiled)"
               if self.honour_student_optimizer else "Adam(1e-3)")
        return (f"{data}, batch {self.batch_size}, up to {b.epochs} epochs, EarlyStopping on "
                f"{self.monitor} with patience {b.patience} restoring the best weights, {opt}, "
                f"seed {self.seed}")


ADAM = {"class_name": "Adam", "config": {"learning_rate": 1e-3}}

PROTOCOLS = {p.name: p for p in (
    Protocol("fashion_mnist_mlp", "fashion_mnist", "module: first 50000 train / last 10000 valid",
             ADAM, False, "sparse_categorical_crossentropy", 128, "val_accuracy",
             {"full": Budget(epochs=20, patience=4),
              "quick": Budget(epochs=2, patience=1, train_samples=4000, valid_samples=2000)}),
    Protocol("cifar10_mlp", "cifar10", "train_test_split(test_size=0.2, random_state=42)",
             ADAM, True, "sparse_categorical_crossentropy", 128, "val_accuracy",
             {"full": Budget(epochs=60, patience=8),
              "quick": Budget(epochs=4, patience=2, train_samples=5000, valid_samples=2000)}),
)}

PROFILES = ("full", "quick")
# "auto": the module's own budgets (full) where a GPU makes them affordable, quick otherwise.
PROFILE_CHOICES = ("auto",) + PROFILES


def get_protocol(name):
    if name not in PROTOCOLS:
        raise ValueError(f"Expected a protocol in {sorted(PROTOCOLS)}. Received: {name!r}")
    return PROTOCOLS[name]


def current_profile():
    """The course's profile: AUTOGRADER_PROFILE (``c.Retrain.profile``, put in force by
    ``retrain.settings.apply``), default auto:
    full when a GPU is visible to the retraining, quick otherwise."""
    profile = os.environ.get(PROFILE_VARIABLE) or "auto"
    if profile not in PROFILE_CHOICES:
        raise ValueError(f"{PROFILE_VARIABLE} must be one of {PROFILE_CHOICES}. Received: {profile!r}")
    if profile == "auto":
        from .devices import gpu_visible
        return "full" if gpu_visible() else "quick"
    return profile


def profile_line():
    """One line for the start of a batch: which profile, and why when it was chosen for us."""
    asked = os.environ.get(PROFILE_VARIABLE) or "auto"
    profile = current_profile()
    if asked == "auto":
        why = "a GPU is visible to the retraining" if profile == "full" else "no GPU is visible to the retraining"
        return f"Profile: {profile} (auto: {why}; set c.Retrain.profile to choose)"
    return f"Profile: {profile} (chosen: c.Retrain.profile or AUTOGRADER_PROFILE)"
