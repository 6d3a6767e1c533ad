"""Evaluation of single-object trackers on LaSOT, TrackingNet, UAV123, NfS, OTB-100 and GOT-10k.

Dataset readers and a synthetic-dataset writer. Depends on numpy, pandas and OpenCV only;
none of the other packages of the project.
"""
from .annotations import (parse_table, read_boxes, read_flags, read_got10k_meta,
                          read_nfs_annotation, read_table, read_values)
from .datasets import (DATASETS, ROOT_VARIABLES, DatasetNotFoundError, dataset_root,
                       get_dataset)
from .sequence import Sequence
from .synthetic import (LAYOUTS as SYNTHETIC_LAYOUTS, default_synthetic_root, load_synthetic,
                        locate_object, write_synthetic_dataset)
