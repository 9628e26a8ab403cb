"""Hostile requests for the serving fuzz tests: random Unicode, invalid UTF-8,
huge strings, empty and mismatched batches, out-of-range ids."""

import numpy as np

# Code point pools a server meets in the wild.
_POOLS = [
    list(range(0x20, 0x7F)),                      # ASCII
    [0x00, 0x01, 0x07, 0x1B, 0x7F, 0x85, 0xAD],   # NUL, controls, NEL, soft hyphen
    [0x200E, 0x200F, 0x202A, 0x202E, 0x2066],     # bidi marks and overrides (RTL)
    list(range(0x0300, 0x0370)),                  # combining marks
    list(range(0x4E00, 0x4E80)),                  # CJK ideographs
    list(range(0x1F600, 0x1F650)) + [0x200D, 0xFE0F],  # emoji, ZWJ, variation selector
    list(range(0x0590, 0x0600)),                  # Hebrew
    [0x3000, 0x00A0, 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0xE000, 0x10FFFF],  # odd spaces, BOM
]
_INVALID = [b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"]


def random_text(rng, max_chars=40):
    """One hostile request string, as bytes (it may be invalid UTF-8)."""
    kind = rng.integers(0, 10)
    if kind == 0:
        return b""
    if kind == 1:  # about 1 MB: must cost no more than its first max_input_bytes
        unit = rng.choice(["a b ", "中文", "😀", "\u0301"])
        return (unit * (1_000_000 // len(unit.encode()))).encode()
    if kind == 2:  # invalid UTF-8 mixed into text
        parts = [bytes(rng.choice(_INVALID)) if rng.random() < 0.4 else b"word "
                 for _ in range(rng.integers(1, 12))]
        return b"".join(parts)
    if kind == 3:
        return b"[MASK] " * int(rng.integers(1, 5)) + b"and [MASK]"
    chars = []
    for _ in range(rng.integers(1, max_chars)):
        pool = _POOLS[rng.integers(0, len(_POOLS))]
        chars.append(chr(pool[rng.integers(0, len(pool))]))
    return "".join(chars).encode("utf-8", "surrogatepass")


def texts(rng, batch):
    return np.array([random_text(rng) for _ in range(batch)], dtype=object)


def text_requests(signature, input_names, rng, count):
    """`count` fuzz requests for a signature of string inputs [batch].

    Returns:
        list of `(signature, inputs, expect_error)`; `expect_error` is True
        where a multi-input request has unequal batch sizes.
    """
    requests = []
    for index in range(count):
        batch = int(rng.choice([0, 1, 2, 3, 5]))
        mismatched = len(input_names) > 1 and index % 3 == 2
        inputs = {}
        for position, name in enumerate(input_names):
            size = batch + 1 if mismatched and position == len(input_names) - 1 else batch
            inputs[name] = texts(rng, size)
        requests.append((signature, inputs, mismatched))
    return requests


def ids_requests(signature, rng, count, vocab_size, num_segments, max_length):
    """Fuzz requests for an ids signature (token_ids, segment_ids, padding_mask).

    Returns:
        list of `(signature, inputs, expect_error)`.
    """
    requests = []
    for index in range(count):
        batch, length = int(rng.choice([0, 1, 3])), int(rng.choice([1, 8, max_length]))
        ids = rng.integers(0, vocab_size, (batch, length)).astype(np.int32)
        segments = rng.integers(0, num_segments, (batch, length)).astype(np.int32)
        mask = np.ones((batch, length), np.int32)
        fault = index % 6
        if batch and fault == 1:
            ids[0, 0] = -1
        elif batch and fault == 2:
            ids[-1, -1] = vocab_size
        elif batch and fault == 3:
            segments[0, -1] = num_segments
        elif fault == 4:
            mask = np.ones((batch, length + 1), np.int32)
        elif fault == 5:
            ids = rng.integers(0, vocab_size, (batch, max_length + 1)).astype(np.int32)
            segments = np.zeros_like(ids)
            mask = np.ones_like(ids)
        expect_error = fault == 4 or fault == 5 or (batch > 0 and fault in (1, 2, 3))
        requests.append((signature, {"token_ids": ids, "segment_ids": segments,
                                     "padding_mask": mask}, expect_error))
    return requests


def check_fuzz_results(requests, run):
    """Every fuzz request got well-formed outputs, or InvalidArgumentError where
    it was malformed; nothing else (the process surviving is checked by the caller).

    Args:
        requests: list of `(signature, inputs, expect_error)`.
        run: `serving_session.ServingRun` of `[(signature, inputs), ...]`.
    """
    assert len(run.results) == len(requests)
    for (signature, inputs, expect_error), result in zip(requests, run.results):
        batch = len(next(iter(inputs.values())))
        context = (signature, {k: np.shape(v) for k, v in inputs.items()})
        if expect_error:
            assert result.get("error") == "InvalidArgumentError", (context, result)
            continue
        assert "error" not in result, (context, result)
        for name, value in result["outputs"].items():
            assert value.shape[0] == batch, (context, name, value.shape)
            if value.dtype.kind == "f":
                assert np.isfinite(value).all(), (context, name)
