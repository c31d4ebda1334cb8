"""The real-data chapter's helpers: what the models chapter's widget reads from the records."""

from __future__ import annotations

from me_core.experiments import real_data as RD
from me_core.train import RunConfig, train

TINY = {"rows": 3000, "cardinalities": [5, 10, 20, 50], "teacher": "A3", "interacting_pairs": 2}


def test_recorded_curves_keep_table1_seeds_and_models_and_skip_missing_data(tmp_path, cache):
    records = tmp_path / "movielens" / "records.jsonl"
    for model, seed in (("dnn", 0), ("dnn", 7), ("fm", 0)):  # 7: an ensemble member's seed
        train(RunConfig(model=model, seed=seed, data_options=TINY, max_epochs=1,
                        batch_size=512), records=records, cache_dir=cache)
    curves = RD.recorded_curves(str(tmp_path / "{dataset}" / "records.jsonl"))
    assert list(curves) == ["movielens"]  # flights has no records: left out, nothing trained
    frame = curves["movielens"]
    assert set(frame.model) == {"dnn"} and set(frame.seed) == {0}
    # the base run is shared by SE and ME (Table 1's "base" cell)
    assert sorted(frame.embedding) == ["ME", "SE"]
