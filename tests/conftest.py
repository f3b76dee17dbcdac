"""Suite-wide setup: one torch thread (the tiny models here run faster on one, and two pytest-
driven trainers must not fight over this machine's 2 cores), and a clear Chromium path."""

import os

import torch

torch.set_num_threads(1)
os.environ.setdefault("TOYGAN_CHROMIUM", "/usr/bin/chromium")
