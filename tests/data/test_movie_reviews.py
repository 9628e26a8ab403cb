from electra_tf.data import movie_reviews
from electra_tf.data.corpus import read_documents


def test_review_becomes_sentence_lines_without_html():
    lines = movie_reviews.review_to_lines(
        "Great film. I loved it!<br /><br />The end (really).<i>Bye</i> now? Yes.")
    assert lines == ["Great film.", "I loved it!", "The end (really).", "Bye now?", "Yes."]


def test_corpus_split_is_fixed_disjoint_and_about_ten_percent(tmp_path):
    paths = movie_reviews.write_corpus(str(tmp_path))
    train = list(read_documents([paths["train"]]))
    heldout = list(read_documents([paths["heldout"]]))
    assert len(train) == paths["train_documents"] and len(heldout) == paths["heldout_documents"]
    share = len(heldout) / (len(train) + len(heldout))
    assert 0.08 < share < 0.12
    assert not {" ".join(d) for d in train} & {" ".join(d) for d in heldout}
    assert not any("<br" in line for doc in heldout for line in doc)
    # The rule depends on the text only: the same review always lands on the same side.
    text = next(t for t, _, _ in movie_reviews.read_reviews() if movie_reviews.is_heldout(t))
    assert movie_reviews.is_heldout(text) and " ".join(movie_reviews.review_to_lines(text)) in {
        " ".join(d) for d in heldout}
