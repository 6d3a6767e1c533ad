"""Tracker parameter files: one package per tracker, one file per parameter set."""
