"""python -m ltr.dataset.semireal {write,photos,list}: semi-real tracking sequences from real photographs.

    python -m ltr.dataset.semireal photos --pool train --out photos_train   # copy a photo pool
    python -m ltr.dataset.semireal write --out SEMIREAL --split train --sequences 400 --frames 100 --seed 0 --workers 2
    python -m ltr.dataset.semireal write --out SEMIREAL --split val --sequences 8 --frames 150 --seed 1
    python -m ltr.dataset.semireal list                                     # the pools found here
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .photos import POOLS, HeldOutPhotoError, catalogue, copy_pool
from .photos import TABLE
from .writer import SPLIT_POOLS, write_split


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ltr.dataset.semireal", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="render sequences into <out>/<split> (GOT-10k layout)")
    w.add_argument("--out", required=True, help="root folder; <out>/<split> must not exist yet")
    w.add_argument("--split", choices=sorted(SPLIT_POOLS), required=True)
    w.add_argument("--sequences", type=int, required=True)
    w.add_argument("--frames", type=int, default=100)
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--workers", type=int, default=1)
    w.add_argument("--photo-dir", help="a folder written by the 'photos' command (default: the installed pool)")
    p = sub.add_parser("photos", help="copy the photographs of a pool into a folder")
    p.add_argument("--pool", choices=[q for q in POOLS if q != "heldout"], required=True)
    p.add_argument("--out", required=True)
    sub.add_parser("list", help="the photographs found on this machine and their pools")
    args = parser.parse_args(argv)
    try:
        if args.command == "write":
            write_split(args.out, args.split, args.sequences, args.frames, seed=args.seed, workers=args.workers,
                        photo_dir=args.photo_dir)
        elif args.command == "photos":
            files = copy_pool(args.pool, args.out)
            print(f"semireal: {len(files)} photographs of the {args.pool} pool in {args.out}")
        else:
            for photo in catalogue():
                print(f"{TABLE[(photo.source, photo.name)]:8s} {photo.key}")
    except (FileExistsError, FileNotFoundError, ValueError, HeldOutPhotoError) as err:
        print(f"semireal: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
