"""Small GLUE folders in the tasks' exact downloaded layouts, written from literal text.

The rows are real-looking GLUE rows (headers, column counts, bare quotes, SST-2's
space before the tab, MRPC's byte-order mark, CoLA without a header, MNLI's 12-column
train and 16-column dev files, a QQP row broken by a newline inside a question),
typed out as the files hold them rather than produced by the code under test.
"""

import os

MNLI_TRAIN_HEADER = ("index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\t"
                     "sentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\t"
                     "sentence2\tlabel1\tgold_label")
MNLI_DEV_HEADER = ("index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\t"
                   "sentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\t"
                   "sentence2\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label")
STSB_HEADER = ("index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\t"
               "sentence2\tscore")


def _mnli_row(index, premise, hypothesis, labels):
    parses = "\t".join(["( ( x ) )", "( ( y ) )", "(ROOT (S x))", "(ROOT (S y))"])
    return f"{index}\t31193\t31193n\tgovernment\t{parses}\t{premise}\t{hypothesis}\t" + \
        "\t".join(labels)


FILES = {
    "CoLA/train.tsv": (
        "gj04\t1\t\tOur friends won't buy this analysis, let alone the next one we propose.\n"
        "gj04\t0\t*\tThey drank the pub.\n"
        "bc01\t1\t\tHe said \"so\" and left.\n"),
    "CoLA/dev.tsv": (
        "gj04\t1\t\tThe sailors rode the breeze clear of the rocks.\n"
        "gj04\t0\t*\tThe more you \"eat, the less you want.\n"
        "bc01\t1\t\t\"Who's there?\" she asked.\n"),
    "SST-2/train.tsv": (
        "sentence\tlabel\n"
        "hide new secretions from the parental units \t0\n"
        "the greatest musicians \"ever \t1\n"),
    "SST-2/dev.tsv": (
        "sentence\tlabel\n"
        "it 's a charming and often affecting journey . \t1\n"
        "unflinchingly bleak and desperate \t0\n"),
    "MRPC/train.tsv": (
        "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
        "1\t702876\t702977\tAmrozi accused his brother , whom he called \" the witness \" , of "
        "deliberately distorting his evidence .\tReferring to him as only \" the witness \" , "
        "Amrozi accused his brother of deliberately distorting his evidence .\n"
        "0\t2108705\t2108831\tYucaipa owned Dominick 's before selling the chain to Safeway "
        "in 1998 for $ 2.5 billion .\tYucaipa bought Dominick 's in 1995 for $ 693 million "
        "and sold it to Safeway for $ 1.8 billion in 1998 .\n"),
    "MRPC/dev.tsv": (
        "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
        "1\t1355540\t1355592\tHe said the foodservice pie business doesn 't fit .\tThe "
        "foodservice pie business does not fit , he said .\n"
        "0\t2029631\t2029565\tMagnarelli said Racicot hated the Iraqi regime .\tHis wife "
        "said he was \" 100 percent behind George Bush \" .\n"),
    "STS-B/train.tsv": (
        STSB_HEADER + "\n"
        "0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane is taking off.\tAn air "
        "plane is taking off.\t5.000\n"
        "1\tmain-captions\tMSRvid\t2012test\t0004\tnone\tnone\tA man is playing a large "
        "flute.\tA man is playing a \"flute\".\t3.800\n"),
    "STS-B/dev.tsv": (
        STSB_HEADER + "\n"
        "0\tmain-captions\tMSRvid\t2012test\t0000\tnone\tnone\tA man with a hard hat is "
        "dancing.\tA man wearing a hard hat is dancing.\t5.000\n"
        "1\tmain-captions\tMSRvid\t2012test\t0002\tnone\tnone\tA young child is riding a "
        "horse.\tA child is riding a horse.\t4.750\n"),
    "QQP/train.tsv": (
        "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
        "133273\t213221\t213222\tHow is the life of a math student? Could you describe your "
        "own experiences?\tWhich level of prepration is enough for the exam jlpt5?\t0\n"
        "402555\t536040\t536041\tHow do I control my horny emotions?\tHow do you control "
        "your horniness?\t1\n"
        # A question with a newline inside: the row is broken into two lines.
        "360472\t364011\t490273\tWhat causes stool color to change to yellow?\n"
        "\tWhat can cause stool to come out as little balls?\t0\n"),
    "QQP/dev.tsv": (
        "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
        "201359\t303345\t303346\tWhy are African-Americans so beautiful?\tWhy are hispanics "
        "so beautiful?\t0\n"
        "263843\t69383\t380476\tI want to pursue PhD in Computer Science about social "
        "network,what is the open problem in social networks?\tI handle social media for a "
        "non-profit. Should I start going to social media networking events? Are there any "
        "good ones in the bay area?\t0\n"),
    "MNLI/train.tsv": (
        MNLI_TRAIN_HEADER + "\n"
        + _mnli_row(0, "Conceptually cream skimming has two basic dimensions - product and "
                    "geography.", "Product and geography are what make cream skimming work. ",
                    ["neutral", "neutral"]) + "\n"
        + _mnli_row(1, "you know during the season and i guess at at your level uh you lose "
                    "them to the next level if", "You lose the things to the following level "
                    "if the people recall.", ["entailment", "entailment"]) + "\n"
        + _mnli_row(2, "One of our number will carry out your instructions minutely.",
                    "A member of my team will execute your orders with \"immense precision.",
                    ["contradiction", "contradiction"]) + "\n"),
    "MNLI/dev_matched.tsv": (
        MNLI_DEV_HEADER + "\n"
        + _mnli_row(0, "The new rights are nice enough", "Everyone really likes the newest "
                    "benefits ", ["entailment", "neutral", "neutral", "neutral", "entailment",
                                  "neutral"]) + "\n"
        + _mnli_row(1, "This site includes a list of all award winners.", "The Government "
                    "Executive articles housed on the website are not able to be searched.",
                    ["contradiction"] * 6) + "\n"),
    "MNLI/dev_mismatched.tsv": (
        MNLI_DEV_HEADER + "\n"
        + _mnli_row(0, "Your contribution helped make it possible for us to provide our "
                    "students with a quality education.", "Your contributions were of no "
                    "help with our students' education.", ["contradiction"] * 6) + "\n"
        + _mnli_row(1, "The \"Reagan\" era is over.", "\"It ended.",
                    ["entailment"] * 6) + "\n"),
    "QNLI/train.tsv": (
        "index\tquestion\tsentence\tlabel\n"
        "0\tWhen did the third Digimon series begin?\tUnlike the two seasons before it and "
        "most of the seasons that followed, Digimon Tamers takes a darker approach.\t"
        "not_entailment\n"
        "1\tWhich missile batteries often have individual launchers several kilometres from "
        "one another?\tWhen MANPADS is operated by specialists, batteries may have several "
        "dozen teams deploying separately in small sections.\tentailment\n"),
    "QNLI/dev.tsv": (
        "index\tquestion\tsentence\tlabel\n"
        "0\tWhat came into force after the new constitution was herald?\tAs of that day, the "
        "new constitution heralding the Second Republic came into force.\tentailment\n"
        "1\tWhat is the first major city in the stream of the Rhine?\tThe most important "
        "tributaries in this area are the Ill below of \"Strasbourg\".\tnot_entailment\n"),
    "RTE/train.tsv": (
        "index\tsentence1\tsentence2\tlabel\n"
        "0\tNo Weapons of Mass Destruction Found in Iraq Yet.\tWeapons of Mass Destruction "
        "Found in Iraq.\tnot_entailment\n"
        "1\tA place of sorrow, after Pope John Paul II died, became a place of celebration.\t"
        "Pope Benedict XVI is the new leader of the Roman Catholic Church.\tentailment\n"),
    "RTE/dev.tsv": (
        "index\tsentence1\tsentence2\tlabel\n"
        "0\tDana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at "
        "age 44.\tChristopher Reeve had an \"accident.\tnot_entailment\n"
        "1\tYet, we now are discovering that antibiotics are losing their effectiveness.\t"
        "Bacteria is winning the war against antibiotics.\tentailment\n"),
    "WNLI/train.tsv": (
        "index\tsentence1\tsentence2\tlabel\n"
        "0\tI stuck a pin through a carrot. When I pulled the pin out, it had a hole.\tThe "
        "carrot had a hole.\t1\n"
        "1\tJohn couldn't see the stage with Billy in front of him because he is so short.\t"
        "John is so short.\t1\n"
        "2\tThe police arrested all of the gang members. They were trying to stop the drug "
        "trade in the neighborhood.\tThe police were trying to stop the drug trade.\t0\n"),
    "WNLI/dev.tsv": (
        "index\tsentence1\tsentence2\tlabel\n"
        "0\tThe drain is clogged with hair. It has to be cleaned.\tThe hair has to be "
        "cleaned.\t0\n"
        "1\tJane knocked on Susan's door but she did not answer.\tSusan did not answer.\t1\n"),
}


def write_glue(root, names=None, files=None):
    """Writes the literal files (all, or those of the folders in `names`) under `root`."""
    for relative, text in (files or FILES).items():
        if names is not None and relative.split("/")[0] not in names:
            continue
        path = os.path.join(str(root), relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return str(root)
