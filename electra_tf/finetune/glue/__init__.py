"""GLUE as the ELECTRA paper reports it: the nine tasks' files, metrics, medians, GLUE score.

`tasks` holds each task's layout, labels and metrics; `reader` reads the TSV
files as the GLUE download script writes them; `hparams` the paper's fine-tuning
hyperparameters (configs/finetune/); `report` the medians over seeds, the GLUE
score and the Markdown table; `runner.run_glue` runs it all (tools/glue.py).
"""
