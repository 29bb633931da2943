"""digitpad: a drawing pad that recognizes handwritten digits.

The core (ink, preprocessing, predictor, recognizer) knows nothing of Qt;
the window lives in :mod:`digitpad.ui`.
"""

from .ink import Ink, InkError, load_ink, rasterize
from .predictor import ModelError, Predictor
from .preprocess import ImageReadError, image_to_input, ink_to_input, load_image
from .profile import Example, Profile, ProfileWarning
from .recognize import DigitPrediction, Prediction, Recognizer

__version__ = "0.1.0"

__all__ = [
    "DigitPrediction",
    "Example",
    "ImageReadError",
    "Ink",
    "InkError",
    "ModelError",
    "Prediction",
    "Predictor",
    "Profile",
    "ProfileWarning",
    "Recognizer",
    "image_to_input",
    "ink_to_input",
    "load_image",
    "load_ink",
    "rasterize",
]
