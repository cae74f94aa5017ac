"""Reading what a submission controls, safely, in trusted code: its files below a trusted
folder without following a link (``files``), its notebook's structure and metadata
type-checked and repaired (``metadata``), and what the sandbox hands back validated as typed
records (``sandbox_output``). Imports only ``autograder.common``, the student package and
itself, besides the retraining's JSON depth bound (``retrain.safety``); a test holds it."""
