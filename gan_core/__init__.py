"""ToyGAN Lab's engine: targets, models, objectives, trainer, metrics, presets.

Pure torch + numpy; imports nothing from `server` or any web/async library (a test enforces it).
"""

from gan_core.config import ExperimentConfig, apply_patch, parse_config

__all__ = ["ExperimentConfig", "apply_patch", "parse_config"]
__version__ = "0.1.0"
