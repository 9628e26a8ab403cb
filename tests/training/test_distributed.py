"""MirroredStrategy on two CPU replicas and a real 2-worker MultiWorkerMirroredStrategy
run on localhost (two processes, free ports, bounded time)."""

import json
import os
import re
import socket
import subprocess
import sys
import textwrap

from tests.conftest import REPO

TIMEOUT = 240


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


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
    outputs = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=TIMEOUT)
            outputs.append((process.returncode, stdout, stderr))
    finally:
        for process in processes:
            process.kill()
    for code, stdout, stderr in outputs:
        assert code == 0, stderr[-4000:]
        assert "Finished at step 6/6" in stdout, stdout
        assert "2 replica(s), CollectiveAllReduceStrategy" in stdout  # = MultiWorkerMirrored
    losses = [re.search(r"train: loss ([0-9.]+)", stdout).group(1) for _, stdout, _ in outputs]
    assert losses[0] == losses[1]  # one global loss, reduced across both workers
    run = tmp_path / "run"
    assert (run / "ckpt-6.index").exists()
    assert not [p for p in os.listdir(run) if p.startswith(".worker_")]  # worker copies removed
