"""What is proven with the engine: presets and their claims, the mode-coverage study."""
