"""Reading the nine GLUE tasks from their exact downloaded layouts, and the clear errors."""

import os

import pytest

from electra_tf.errors import UsageError
from electra_tf.finetune.glue.reader import GlueSplit
from electra_tf.finetune.glue.reader import read_split
from electra_tf.finetune.glue.reader import read_task
from electra_tf.finetune.glue.tasks import TASKS
from electra_tf.finetune.glue.tasks import parse_task_names
from tests.glue.glue_files import write_glue

# (first text, second text or None, label) of each file's first and last example.
EXPECTED = {
    ("cola", "train"): [("Our friends won't buy this analysis, let alone the next one we "
                         "propose.", None, "1"), ("He said \"so\" and left.", None, "1")],
    ("cola", "dev"): [("The sailors rode the breeze clear of the rocks.", None, "1"),
                      ("\"Who's there?\" she asked.", None, "1")],
    ("sst2", "train"): [("hide new secretions from the parental units ", None, "0"),
                        ("the greatest musicians \"ever ", None, "1")],
    ("sst2", "dev"): [("it 's a charming and often affecting journey . ", None, "1"),
                      ("unflinchingly bleak and desperate ", None, "0")],
    ("mrpc", "train"): [
        ("Amrozi accused his brother , whom he called \" the witness \" , of deliberately "
         "distorting his evidence .", "Referring to him as only \" the witness \" , Amrozi "
         "accused his brother of deliberately distorting his evidence .", "1"),
        ("Yucaipa owned Dominick 's before selling the chain to Safeway in 1998 for $ 2.5 "
         "billion .", "Yucaipa bought Dominick 's in 1995 for $ 693 million and sold it to "
         "Safeway for $ 1.8 billion in 1998 .", "0")],
    ("mrpc", "dev"): [
        ("He said the foodservice pie business doesn 't fit .", "The foodservice pie "
         "business does not fit , he said .", "1"),
        ("Magnarelli said Racicot hated the Iraqi regime .", "His wife said he was \" 100 "
         "percent behind George Bush \" .", "0")],
    ("stsb", "train"): [("A plane is taking off.", "An air plane is taking off.", 5.0),
                        ("A man is playing a large flute.", "A man is playing a \"flute\".",
                         3.8)],
    ("stsb", "dev"): [("A man with a hard hat is dancing.", "A man wearing a hard hat is "
                       "dancing.", 5.0),
                      ("A young child is riding a horse.", "A child is riding a horse.", 4.75)],
    ("qqp", "train"): [
        ("How is the life of a math student? Could you describe your own experiences?",
         "Which level of prepration is enough for the exam jlpt5?", "0"),
        ("How do I control my horny emotions?", "How do you control your horniness?", "1")],
    ("qqp", "dev"): [
        ("Why are African-Americans so beautiful?", "Why are hispanics so beautiful?", "0"),
        ("I want to pursue PhD in Computer Science about social network,what is the open "
         "problem in social networks?", "I handle social media for a non-profit. Should I "
         "start going to social media networking events? Are there any good ones in the bay "
         "area?", "0")],
    ("mnli", "train"): [
        ("Conceptually cream skimming has two basic dimensions - product and geography.",
         "Product and geography are what make cream skimming work. ", "neutral"),
        ("One of our number will carry out your instructions minutely.", "A member of my "
         "team will execute your orders with \"immense precision.", "contradiction")],
    ("mnli", "dev"): [
        ("The new rights are nice enough", "Everyone really likes the newest benefits ",
         "neutral"),
        ("This site includes a list of all award winners.", "The Government Executive "
         "articles housed on the website are not able to be searched.", "contradiction")],
    ("mnli", "mismatched"): [
        ("Your contribution helped make it possible for us to provide our students with a "
         "quality education.", "Your contributions were of no help with our students' "
         "education.", "contradiction"),
        ("The \"Reagan\" era is over.", "\"It ended.", "entailment")],
    ("qnli", "train"): [
        ("When did the third Digimon series begin?", "Unlike the two seasons before it and "
         "most of the seasons that followed, Digimon Tamers takes a darker approach.",
         "not_entailment"),
        ("Which missile batteries often have individual launchers several kilometres from "
         "one another?", "When MANPADS is operated by specialists, batteries may have "
         "several dozen teams deploying separately in small sections.", "entailment")],
    ("qnli", "dev"): [
        ("What came into force after the new constitution was herald?", "As of that day, "
         "the new constitution heralding the Second Republic came into force.", "entailment"),
        ("What is the first major city in the stream of the Rhine?", "The most important "
         "tributaries in this area are the Ill below of \"Strasbourg\".", "not_entailment")],
    ("rte", "train"): [
        ("No Weapons of Mass Destruction Found in Iraq Yet.", "Weapons of Mass Destruction "
         "Found in Iraq.", "not_entailment"),
        ("A place of sorrow, after Pope John Paul II died, became a place of celebration.",
         "Pope Benedict XVI is the new leader of the Roman Catholic Church.", "entailment")],
    ("rte", "dev"): [
        ("Dana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at "
         "age 44.", "Christopher Reeve had an \"accident.", "not_entailment"),
        ("Yet, we now are discovering that antibiotics are losing their effectiveness.",
         "Bacteria is winning the war against antibiotics.", "entailment")],
    ("wnli", "train"): [
        ("I stuck a pin through a carrot. When I pulled the pin out, it had a hole.",
         "The carrot had a hole.", "1"),
        ("The police arrested all of the gang members. They were trying to stop the drug "
         "trade in the neighborhood.", "The police were trying to stop the drug trade.", "0")],
    ("wnli", "dev"): [
        ("The drain is clogged with hair. It has to be cleaned.", "The hair has to be "
         "cleaned.", "0"),
        ("Jane knocked on Susan's door but she did not answer.", "Susan did not answer.", "1")],
}
COUNTS = {("cola", "train"): 3, ("cola", "dev"): 3, ("mnli", "train"): 3, ("wnli", "train"): 3}


@pytest.fixture(scope="module")
def glue_dir(tmp_path_factory):
    return write_glue(tmp_path_factory.mktemp("glue"))


def _example(split, index):
    pair = split.text_pairs[index] if split.text_pairs is not None else None
    return split.texts[index], pair, split.labels[index]


@pytest.mark.parametrize("name", list(TASKS))
def test_each_task_reads_its_layout(glue_dir, name):
    """Texts, pairs and labels come from the right columns, bare quotes kept, header skipped."""
    data = read_task(TASKS[name], glue_dir)
    splits = {"train": data.train, **data.dev}
    assert sorted(splits) == sorted(split for task, split in EXPECTED if task == name)
    for split_name, split in splits.items():
        first, last = EXPECTED[(name, split_name)]
        assert len(split) == COUNTS.get((name, split_name), 2), (name, split_name)
        assert _example(split, 0) == first
        assert _example(split, -1) == last
        assert (split.text_pairs is None) == (TASKS[name].text_pair is None)


def test_qqp_skips_rows_broken_by_a_newline_and_counts_them(glue_dir):
    split = read_split(TASKS["qqp"], os.path.join(glue_dir, "QQP", "train.tsv"))
    assert len(split) == 2
    assert split.skipped_lines == [4, 5]


def test_mnli_reads_both_dev_files(glue_dir):
    data = read_task(TASKS["mnli"], glue_dir)
    assert data.dev["dev"].path.endswith("dev_matched.tsv")
    assert data.dev["mismatched"].path.endswith("dev_mismatched.tsv")


def test_label_lists_are_fixed_with_the_positive_class_at_index_1():
    assert TASKS["mnli"].label_names == ("contradiction", "entailment", "neutral")
    for name in ("qnli", "rte"):
        assert TASKS[name].label_names == ("entailment", "not_entailment")
    for name in ("cola", "sst2", "mrpc", "qqp", "wnli"):
        assert TASKS[name].label_names == ("0", "1")
    assert TASKS["stsb"].regression


def _write(tmp_path, relative, text):
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_missing_folder_names_the_folder_and_files(tmp_path):
    write_glue(tmp_path, names=["CoLA"])
    with pytest.raises(UsageError) as error:
        read_task(TASKS["mnli"], str(tmp_path))
    message = str(error.value)
    assert os.path.join(str(tmp_path), "MNLI") in message
    assert "dev_matched.tsv" in message and "--tasks" in message


def test_missing_file_names_it(tmp_path):
    write_glue(tmp_path, names=["MNLI"])
    os.remove(tmp_path / "MNLI" / "dev_mismatched.tsv")
    with pytest.raises(UsageError, match="dev_mismatched.tsv' does not exist"):
        read_task(TASKS["mnli"], str(tmp_path))


def test_bad_label_names_file_and_line(tmp_path):
    path = _write(tmp_path, "RTE/dev.tsv", "index\tsentence1\tsentence2\tlabel\n"
                  "0\tA.\tB.\tentailment\n1\tC.\tD.\tcontradiction\n")
    with pytest.raises(UsageError, match=r"dev.tsv:3: label 'contradiction' is not a RTE "
                                         r"label \(entailment, not_entailment\)"):
        read_split(TASKS["rte"], path)


def test_bad_score_names_file_and_line(tmp_path):
    from tests.glue.glue_files import STSB_HEADER

    row = "0\tg\tf\t2012\t1\tnone\tnone\tA.\tB.\t{}\n"
    path = _write(tmp_path, "STS-B/dev.tsv", STSB_HEADER + "\n" + row.format("4.5")
                  + row.format("high"))
    with pytest.raises(UsageError, match="dev.tsv:3: the STS-B score 'high' is not a number"):
        read_split(TASKS["stsb"], path)
    path = _write(tmp_path, "STS-B/dev.tsv", STSB_HEADER + "\n" + row.format("5.5"))
    with pytest.raises(UsageError, match=r"dev.tsv:2: .* outside \[0.0, 5.0\]"):
        read_split(TASKS["stsb"], path)


def test_wrong_column_count_names_file_and_line(tmp_path):
    # A stray tab inside an RTE sentence: 5 columns where the header has 4.
    path = _write(tmp_path, "RTE/train.tsv", "index\tsentence1\tsentence2\tlabel\n"
                  "0\tA.\tB.\tentailment\n1\tC.\tD\t.\tentailment\n")
    with pytest.raises(UsageError, match="train.tsv:3: 5 tab-separated columns where the GLUE "
                                         "RTE layout has 4"):
        read_split(TASKS["rte"], path)
    path = _write(tmp_path, "CoLA/train.tsv", "gj04\t1\t\tFine.\nindex\tsentence\n")
    with pytest.raises(UsageError, match="train.tsv:2: 2 tab-separated columns"):
        read_split(TASKS["cola"], path)


def test_wrong_header_says_which_layout(tmp_path):
    # The dev file of another task in MNLI's place.
    path = _write(tmp_path, "MNLI/train.tsv", "index\tsentence1\tsentence2\tlabel\n"
                  "0\tA.\tB.\tentailment\n")
    with pytest.raises(UsageError, match=r"train.tsv:1: not the GLUE MNLI layout: column 9 "
                                         r"of the header should be 'sentence1'"):
        read_split(TASKS["mnli"], path)


def test_task_names_parse_in_glue_order_with_aliases():
    assert parse_task_names("all") == list(TASKS)
    assert parse_task_names("RTE, cola,SST-2,sts") == ["cola", "sst2", "stsb", "rte"]
    with pytest.raises(UsageError, match="unknown GLUE task 'squad'"):
        parse_task_names("cola,squad")


def test_sample_is_fixed_and_both_orders_swap_pairs(glue_dir):
    many = GlueSplit(path="x", texts=[str(i) for i in range(1000)], text_pairs=None,
                     labels=["0", "1"] * 500)
    assert many.sample(10).texts == many.sample(10).texts  # the same draw on every run
    assert many.sample(10).texts != many.sample(10, seed=1).texts
    assert many.sample(10).texts != many.texts[:10]  # drawn, not the first rows
    split = read_task(TASKS["mnli"], glue_dir).train
    assert len(split.sample(2)) == 2 and split.sample(10) is split
    both = split.with_both_orders()
    assert both.texts == split.texts + split.text_pairs
    assert both.text_pairs == split.text_pairs + split.texts
    assert both.labels == split.labels * 2
