import numpy as np
import pytest
import tensorflow as tf
from tokenizers import BertWordPieceTokenizer

from electra_tf.text import ElectraTokenizer
from tests.conftest import real_review_documents

EXTRA_SENTENCES = [
    "Café déjà vu — naïve façade! Émigré's résumé, Ångström.",
    "北京大学 is in 中国. 東京タワー and 서울.",
    "Hello,world!!! (test) don't stop; \"quoted\" — dash… ellipsis?",
    "Straße ﬁne ＡＢＣ ｆｕｌｌ-width",
    "tab\there nbsp\u00a0here zero\u200bwidth nel\u0085end",
    "it´s the president´s man",
    "bullet \uf0b7 private-use \ue000 chars",
    "x" * 150 + " supercalifragilisticexpialidocious qwzxqwzx",
]


def test_ids_agree_with_hugging_face_on_real_text(bert_vocab_path):
    sentences = [line for doc in real_review_documents(120) for line in doc][:400]
    sentences += EXTRA_SENTENCES
    peer = BertWordPieceTokenizer(bert_vocab_path, lowercase=True, strip_accents=True,
                                  clean_text=True, handle_chinese_chars=True)
    ours = ElectraTokenizer.from_vocab_file(bert_vocab_path)
    ragged = tf.function(lambda x: ours.tokenize(x))(tf.constant(sentences))
    assert len(sentences) >= 300
    for sentence, got in zip(sentences, ragged.to_list()):
        assert got == peer.encode(sentence, add_special_tokens=False).ids, sentence


def test_special_tokens_found_by_name_in_a_bert_vocab(bert_vocab_path):
    tokenizer = ElectraTokenizer.from_vocab_file(bert_vocab_path)
    assert (tokenizer.pad_id, tokenizer.unk_id, tokenizer.cls_id, tokenizer.sep_id,
            tokenizer.mask_id) == (0, 100, 101, 102, 103)


def test_unknown_words_cjk_and_punctuation(bert_vocab_path):
    tokenizer = ElectraTokenizer.from_vocab_file(bert_vocab_path)
    ids = tf.function(tokenizer.tokenize)(tf.constant(["\u2603\u2604 中国!"])).to_list()[0]
    tokens = [tokenizer.id_to_token(i) for i in ids]
    assert tokens == ["[UNK]", "中", "国", "!"]


def test_cased_tokenizer_keeps_case(tmp_path):
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Hello", "hello", "é", "e"]
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    cased = ElectraTokenizer.from_vocab_file(str(path), lowercase=False)
    uncased = ElectraTokenizer.from_vocab_file(str(path), lowercase=True)
    run = lambda tok, text: tf.function(tok.tokenize)(tf.constant([text])).to_list()[0]
    assert run(cased, "Hello é") == [5, 7]
    assert run(uncased, "Hello é") == [6, 8]


def test_same_tokenizer_runs_in_tf_data_and_round_trips_config(small_vocab_path, tmp_path):
    tokenizer = ElectraTokenizer.from_vocab_file(small_vocab_path)
    dataset = tf.data.Dataset.from_tensor_slices(["A great movie.", "Terrible acting!"])
    from_data = [x.numpy().tolist() for x in dataset.map(tokenizer)]
    eager = tf.function(tokenizer.tokenize)(tf.constant(["A great movie.", "Terrible acting!"]))
    assert from_data == eager.to_list()
    # keras-hub keeps the vocabulary as an asset file beside the config.
    tokenizer.save_assets(str(tmp_path))
    clone = ElectraTokenizer.from_config(tokenizer.get_config())
    clone.load_assets(str(tmp_path))
    assert clone.bert_lowercase is True
    assert clone.get_vocabulary() == tokenizer.get_vocabulary()
    np.testing.assert_array_equal(
        tf.function(clone.tokenize)(tf.constant(["Terrible acting!"])).flat_values,
        eager[1:].flat_values,
    )


@pytest.mark.parametrize("drop", ["[MASK]", "[CLS]"])
def test_vocab_missing_a_special_token_is_refused(tmp_path, bert_vocab_path, drop):
    from electra_tf.errors import UsageError

    lines = open(bert_vocab_path, encoding="utf-8").read().split("\n")
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(l for l in lines if l != drop), encoding="utf-8")
    with pytest.raises(UsageError, match=r"lacks the special token.*\[" + drop[1:-1]):
        ElectraTokenizer.from_vocab_file(str(path))
