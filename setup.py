"""Installs the four packages of pytracking-ebm: pytracking_ebm, ltr, pytracking, evaluation."""
from setuptools import find_packages, setup

setup(
    name="pytracking-ebm",
    version="0.1.0",
    description="Energy-based models for regression: losses, refinement, tracking, detection, 1D regression",
    python_requires=">=3.9",
    packages=find_packages(include=["pytracking_ebm*", "ltr*", "pytracking*", "evaluation*"]),
    package_data={"": ["*.txt", "*.json", "*.toml"], "pytracking": ["pretrained/*.pth", "pretrained/*.md"]},
    include_package_data=True,
    install_requires=[
        "torch==2.14.1",
        "torchvision==0.29.1",
        "opencv-python-headless<5",
        "numpy",
        "scipy",
        "pandas",
        "matplotlib",
        "tqdm",
        "tensorboard",
        "pycocotools",
        "scikit-image",
        "scikit-learn",
        "jpeg4py",
        "tabulate",
    ],
    # optional: the toolkits our trackers plug into (pip install .[vot], .[got10k], .[toolkits]).
    # The vot-toolkit package itself is not an extra: it requires opencv-python, which would
    # replace the opencv-python-headless above; install.sh installs it without that dependency.
    extras_require={
        "vot": ["vot-trax>=4.0.2"],
        "got10k": ["got10k>=0.1.3"],
        "toolkits": ["vot-trax>=4.0.2", "got10k>=0.1.3"],
    },
)
