"""The `portwise` command: the one composition root, which wires settings, models, store and services."""
