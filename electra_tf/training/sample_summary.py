"""The text summary that shows what the generator wrote and what the discriminator saw."""

import numpy as np


def replaced_token_table(tokenizer, outputs, batch, index=0, max_tokens=64):
    """A Markdown table for one example of a step.

    Columns: position, original token, the token the discriminator saw (bold
    where the generator replaced it, `[chosen]` where it was chosen but the
    generator wrote the original back), and the discriminator's replaced
    probability.

    Args:
        tokenizer: `ElectraTokenizer` (for id -> token).
        outputs: dict from `ElectraPretrainer.compute_outputs`.
        batch: the input batch (dict with "token_ids", "padding_mask").
        index: int. Which example of the batch.
        max_tokens: int. Rows shown at most.

    Returns:
        str (Markdown), for `tf.summary.text`.
    """
    original = np.asarray(batch["token_ids"])[index]
    length = int(np.asarray(batch["padding_mask"])[index].sum())
    seen = np.asarray(outputs["disc_input_ids"])[index]
    probs = np.asarray(outputs["disc_probs"])[index]
    weights = np.asarray(outputs["masked_weights"])[index]
    chosen = set(np.asarray(outputs["masked_positions"])[index][weights > 0].tolist())
    vocab = tokenizer.get_vocabulary()
    words = " ".join(vocab[i] for i in original[:length]).replace(" ##", "")
    rows = [
        f"**original:** {words}",
        "",
        "| pos | original | discriminator input | p(replaced) |",
        "|---:|---|---|---:|",
    ]
    for position in range(min(length, max_tokens)):
        token = vocab[original[position]]
        shown = vocab[seen[position]]
        if seen[position] != original[position]:
            shown = f"**{shown}**"
        elif position in chosen:
            shown = f"{shown} [chosen]"
        rows.append(f"| {position} | {token} | {shown} | {probs[position]:.2f} |")
    return "\n".join(rows)
