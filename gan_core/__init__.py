"""ToyGAN Lab's engine and the science around it. Pure torch + numpy (plotly only in `report`);
imports nothing from `server` or any web/async library (a test enforces it).

    engine/   the maths: config, targets, models, objectives, regularizers, optimizers, the step
              plan, the trainer, probes (what a frame shows), metrics
    science/  what is proven with the engine: presets and their claims, the mode-coverage study
    report/   self-contained HTML pages of runs and studies (plotly)
    cli/      the headless command line (`toygan run|presets|claims|reproduce`)

A notebook needs only the names below: `Trainer(ExperimentConfig(...)).step(100)`.
"""

from gan_core.engine.config import ConfigError, ExperimentConfig, apply_patch, parse_config
from gan_core.engine.snapshot import Snapshot, SnapshotOptions
from gan_core.engine.trainer import Trainer
from gan_core.science.presets import get_preset, list_presets, preset_config

__all__ = ["ConfigError", "ExperimentConfig", "Snapshot", "SnapshotOptions", "Trainer", "apply_patch",
           "get_preset", "list_presets", "parse_config", "preset_config"]
__version__ = "0.1.0"
