"""MirroredStrategy on two CPU replicas and a real 2-worker MultiWorkerMirroredStrategy
run on localhost (two processes, free ports, bounded time).

Besides whole runs, one update on 2 replicas is compared with the same update on one
device over the same global batch (ragged padding, halves of unequal token counts):
the weights must agree to 1e-6 and the logged gradient norm to 1e-5.
"""

import json
import os
import re
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.conftest import REPO
from tests.training.numerics import TOLERANCE
from tests.training.numerics import deterministic_config
from tests.training.numerics import eager_functions
from tests.training.numerics import max_difference
from tests.training.numerics import ragged_batch
from tests.training.numerics import reference_update

TIMEOUT = 240


def _wait_for_all(processes):
    """(returncode, stdout, stderr) of each worker; none is left running."""
    outputs = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=TIMEOUT)
            outputs.append((process.returncode, stdout, stderr))
    finally:
        for process in processes:
            process.kill()
    return outputs


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


# One update of the deterministic step (tests/training/numerics.py) on this
# process's share of the global batch; writes the weights before and after.
_ONE_UPDATE = """
import json, sys
import numpy as np
sys.path.insert(0, {repo!r})
from tests.training.numerics import deterministic_config, new_model, one_update, ragged_batch
import tensorflow as tf
tf.config.run_functions_eagerly(True)  # tracing costs more than the tiny update
config, batch = deterministic_config(), ragged_batch()
halves = [{{k: v[:16] for k, v in batch.items()}}, {{k: v[16:] for k, v in batch.items()}}]
with strategy.scope():
    model = new_model(config)
initial = [np.array(w) for w in model.get_weights()]
loss, grad_norm = one_update(model, config, {batches}, strategy=strategy)
final = [np.array(w) for w in model.get_weights()]
np.savez({out!r}, **{{f"initial_{{i}}": w for i, w in enumerate(initial)}},
         **{{f"final_{{i}}": w for i, w in enumerate(final)}})
print("RESULT", json.dumps(dict(loss=loss, grad_norm=grad_norm,
                                replicas=strategy.num_replicas_in_sync)))
"""


def _saved_update(path, stdout):
    data = np.load(path)
    count = len([k for k in data.files if k.startswith("initial_")])
    result = json.loads(stdout.split("RESULT", 1)[1].splitlines()[0])
    return ([data[f"initial_{i}"] for i in range(count)],
            [data[f"final_{i}"] for i in range(count)], result)


def _assert_same_as_one_device(path, stdout):
    initial, final, result = _saved_update(path, stdout)
    assert result["replicas"] == 2
    with eager_functions():
        expected, loss, grad_norm = reference_update(deterministic_config(), initial,
                                                     ragged_batch())
    difference = max_difference(final, expected)
    assert difference <= TOLERANCE
    assert result["grad_norm"] == pytest.approx(grad_norm, rel=1e-5)
    assert result["loss"] == pytest.approx(loss, rel=1e-5)
    return final


@pytest.mark.slow
def test_two_mirrored_replicas_update_like_one_device(tmp_path):
    out = str(tmp_path / "update.npz")
    script = textwrap.dedent("""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    """)
    # Consecutive dataset elements go to consecutive replicas: the halves, in order.
    script += _ONE_UPDATE.format(repo=REPO, out=out, batches="halves")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=TIMEOUT, cwd=REPO)
    assert result.returncode == 0, result.stderr[-4000:]
    _assert_same_as_one_device(out, result.stdout)


@pytest.mark.slow
def test_two_workers_update_like_one_device(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    processes = []
    for index in range(2):
        script = "import tensorflow as tf\nstrategy = tf.distribute.MultiWorkerMirroredStrategy()\n"
        # Each worker reads its own half of the global batch.
        script += _ONE_UPDATE.format(repo=REPO, out=str(tmp_path / f"worker_{index}.npz"),
                                     batches=f"[halves[{index}]]")
        env = dict(os.environ, TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        processes.append(subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True, env=env, cwd=REPO))
    outputs = _wait_for_all(processes)
    for code, _, stderr in outputs:
        assert code == 0, stderr[-4000:]
    final = _assert_same_as_one_device(str(tmp_path / "worker_0.npz"), outputs[0][1])
    _, other, _ = _saved_update(str(tmp_path / "worker_1.npz"), outputs[1][1])
    assert max_difference(final, other) == 0.0  # the workers hold one model


@pytest.mark.slow
def test_mirrored_strategy_on_two_cpu_replicas(tmp_path, pretraining_data):
    script = textwrap.dedent(f"""
        import json, sys
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        sys.path.insert(0, {REPO!r})
        from tests.training.conftest import tiny_config
        from electra_tf.training.pretraining import TrainingOptions, run_pretraining
        summary = run_pretraining(
            tiny_config(train_steps=6, batch_size=8),
            TrainingOptions(model_dir={str(tmp_path)!r}, train_data={pretraining_data['train']!r},
                            vocab={pretraining_data['vocab']!r}, strategy="mirrored",
                            log_every=3, sample_every=3, show_progress=False,
                            eval_data={pretraining_data['train']!r}, eval_steps=2))
        print("SUMMARY", json.dumps(summary))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=TIMEOUT, cwd=REPO)
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads(result.stdout.split("SUMMARY", 1)[1])
    assert summary["strategy"] == "MirroredStrategy" and summary["replicas"] == 2
    assert summary["step"] == 6 and summary["train"]["loss"] > 0
    assert 0.0 <= summary["eval"]["disc_auc"] <= 1.0


@pytest.mark.slow
def test_two_worker_multi_worker_mirrored_strategy_on_localhost(tmp_path, pretraining_data):
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    processes = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        processes.append(subprocess.Popen(
            [sys.executable, os.path.join(REPO, "tools", "pretrain.py"),
             "--strategy=multi_worker", f"--train_data={pretraining_data['train']}",
             f"--model_dir={tmp_path / 'run'}", "--max_seq_length=64", "--train_steps=6",
             "--batch_size=8", "--hidden_size=64", "--num_heads=2", "--log_every=3",
             "--save_every=3", "--noprogress", "--noexport"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO))
    outputs = _wait_for_all(processes)
    for code, stdout, stderr in outputs:
        assert code == 0, stderr[-4000:]
        assert "Finished at step 6/6" in stdout, stdout
        assert "2 replica(s), CollectiveAllReduceStrategy" in stdout  # = MultiWorkerMirrored
    losses = [re.search(r"train: loss ([0-9.]+)", stdout).group(1) for _, stdout, _ in outputs]
    assert losses[0] == losses[1]  # one global loss, reduced across both workers
    run = tmp_path / "run"
    assert (run / "ckpt-6.index").exists()
    assert not [p for p in os.listdir(run) if p.startswith(".worker_")]  # worker copies removed
