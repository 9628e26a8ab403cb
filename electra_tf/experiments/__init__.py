"""The equal-compute experiment behind `tools/compare_objectives.py`.

Pretrains several objectives/strategies on one corpus at the same model-FLOPs
budget, fine-tunes each encoder on held-out labelled tasks with several seeds,
and reports median dev scores (docs/experiments.md):

- `runs`: run names -> `ElectraConfig` overrides (the one place that names
  objective/strategy fields).
- `budget`: FLOPs per step, steps per run, checkpoint points, minutes -> FLOPs.
- `splits`: the default corpus split into a pretraining corpus and the held-out
  Rotten Tomatoes / IMDB fine-tuning sets.
- `checkpoint_views`: a pretraining checkpoint as a model_dir fine-tuning can load.
- `progress`: one progress line per unit of work, with elapsed time and ETA.
- `runner`: the phases, resuming what is finished.
- `report`: medians/spreads over seeds, results.json and the Markdown table.
- `plots`: dev score vs pretraining FLOPs (matplotlib, the `experiments` extra).
"""
