"""Embedded benchmark tables: the LaSOT test list and the OTB-100, UAV123 and NfS sequence tables.

Plain text, one row per line, tab-separated columns described in each file's header comment.
"""
