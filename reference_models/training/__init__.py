"""The training engine shared by all reference models: data stream, presets, checkpoints, evaluation trail."""
