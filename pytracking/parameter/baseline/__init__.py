"""Baseline tracker parameters."""
