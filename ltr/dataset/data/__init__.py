"""Embedded split files of the training sets (read with ``evaluation.datasets.common.read_data_lines``)."""
