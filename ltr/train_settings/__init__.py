"""Training settings: one package per module (e.g. ``dimp``), one file per setting."""
