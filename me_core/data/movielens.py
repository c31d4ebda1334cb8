"""MovieLens-100k as a CTR task: real data that ships offline (from the package registry).

Source: the ``recbole==1.2.1`` wheel on PyPI ships ml-100k as atomic files
(``recbole/dataset_example/ml-100k/ml-100k.{inter,user,item}``). :func:`fetch_movielens_100k`
downloads that wheel with ``pip download --no-deps`` (recbole is never installed or imported)
and extracts the three files into the cache; a path to the official ml-100k folder (u.data,
u.user, u.item from GroupLens) or to a folder with the atomic files works too.

The CTR task (100,000 ratings, 10 fields, label = rating >= 4, positive rate 0.55):

==============  ======================================================================
field           definition
==============  ======================================================================
user_id         raw id (943 users)
item_id         raw id (1,682 movies)
age             the MovieLens-1M age groups: <18, 18-24, 25-34, 35-44, 45-49, 50-55, 56+
gender          M / F
occupation      21 occupations
zip3            first three characters of the zip code (US ZIP3 region; raw for others)
release_year    year of release ("NULL" unless 4 digits: recbole's copy has 'unkonwn'
                and 'V' for two movies)
genres          the movie's genre set as one token, e.g. "Action|Adventure|Thriller"
hour            hour of day of the rating (UTC, from the timestamp)
weekday         day of week of the rating (UTC, 0 = Monday)
==============  ======================================================================

Every value is kept (``min_count=1``): the smallest field has 2 values and the data set is
small enough that rare users and movies are part of the signal.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from me_core.data.cache import EncodedDataset
from me_core.data.downloads import registry_source
from me_core.data.errors import DataError
from me_core.data.frame import encode_frame_cached, frame_fingerprint

WHEEL = "recbole==1.2.1"
ATOMIC_FILES = ("ml-100k.inter", "ml-100k.user", "ml-100k.item")
OFFICIAL_FILES = ("u.data", "u.user", "u.item")
FIELDS = ["user_id", "item_id", "age", "gender", "occupation", "zip3", "release_year", "genres",
          "hour", "weekday"]
GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western")
AGE_GROUPS = ((18, "<18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (50, "45-49"),
              (56, "50-55"), (200, "56+"))

__all__ = ["fetch_movielens_100k", "load_movielens_100k_frame", "preprocess_movielens", "FIELDS"]


def fetch_movielens_100k(cache_dir: Path | str | None = None) -> Path:
    """The folder with ml-100k's atomic files, downloaded from PyPI (recbole's wheel) once."""
    def extract(wheel_path: Path, work: Path) -> None:
        with zipfile.ZipFile(wheel_path) as wheel:
            for name in ATOMIC_FILES:
                (work / name).write_bytes(wheel.read(f"recbole/dataset_example/ml-100k/{name}"))

    try:
        return registry_source(WHEEL, "recbole-*.whl", "ml-100k-recbole-1.2.1", ATOMIC_FILES,
                               extract, cache_dir)
    except DataError as exc:
        raise DataError(f"{exc}; MovieLens-100k comes from that wheel: pass the path of "
                        f"the official ml-100k folder instead") from None


def _age_group(age: pd.Series) -> pd.Series:
    bounds = [b for b, _ in AGE_GROUPS]
    labels = [name for _, name in AGE_GROUPS]
    return pd.cut(age, bins=[-1, *[b - 1 for b in bounds]], labels=labels).astype(str)


def _read_atomic(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    def read(name: str) -> pd.DataFrame:
        frame = pd.read_csv(folder / name, sep="\t", dtype=str, keep_default_na=False,
                            quoting=3)
        frame.columns = [c.split(":")[0] for c in frame.columns]
        return frame

    inter, user, item = (read(name) for name in ATOMIC_FILES)
    item["genres"] = item["class"].map(lambda s: "|".join(sorted(s.split())) or "unknown")
    return inter, user, item[["item_id", "release_year", "genres"]]


def _read_official(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    inter = pd.read_csv(folder / "u.data", sep="\t", dtype=str, header=None,
                        names=["user_id", "item_id", "rating", "timestamp"])
    user = pd.read_csv(folder / "u.user", sep="|", dtype=str, header=None, keep_default_na=False,
                       names=["user_id", "age", "gender", "occupation", "zip_code"])
    item = pd.read_csv(folder / "u.item", sep="|", dtype=str, header=None, encoding="latin-1",
                       keep_default_na=False,
                       names=["item_id", "title", "release_date", "video", "url", *GENRES])
    flags = item[list(GENRES)] == "1"
    item["genres"] = flags.apply(lambda row: "|".join(sorted(g for g in GENRES if row[g])) or
                                 "unknown", axis=1)
    item["release_year"] = item["release_date"].str[-4:]
    return inter, user, item[["item_id", "release_year", "genres"]]


def load_movielens_100k_frame(path: Path | str | None = None,
                              cache_dir: Path | str | None = None) -> pd.DataFrame:
    """The CTR table (10 fields + label), from ``path`` or from the registry download."""
    folder = Path(path) if path is not None else fetch_movielens_100k(cache_dir)
    if not folder.is_dir():
        what = "not a folder" if folder.exists() else "no such folder"
        raise DataError(f"{folder}: {what} (expected the ml-100k folder with u.data, "
                        f"u.user, u.item, or recbole's ml-100k.inter/.user/.item)")
    if all((folder / n).is_file() for n in ATOMIC_FILES):
        inter, user, item = _read_atomic(folder)
    elif all((folder / n).is_file() for n in OFFICIAL_FILES):
        inter, user, item = _read_official(folder)
    else:
        raise DataError(f"{folder}: neither the official files {OFFICIAL_FILES} nor recbole's "
                        f"{ATOMIC_FILES} are all there")
    frame = inter.merge(user, on="user_id", how="left").merge(item, on="item_id", how="left")
    when = pd.to_datetime(frame["timestamp"].astype(float).astype("int64"), unit="s", utc=True)
    rating = frame["rating"].astype(float)
    return pd.DataFrame({
        "user_id": frame["user_id"], "item_id": frame["item_id"],
        "age": _age_group(frame["age"].astype(int)), "gender": frame["gender"],
        "occupation": frame["occupation"], "zip3": frame["zip_code"].str[:3],
        "release_year": frame["release_year"].where(
            frame["release_year"].fillna("").str.fullmatch(r"\d{4}"), "NULL"),
        "genres": frame["genres"].fillna("unknown"),
        "hour": when.dt.hour.astype(str), "weekday": when.dt.day_of_week.astype(str),
        "label": (rating >= 4).astype("int8"),
    })


def preprocess_movielens(path: Path | str | None = None, *, min_count: int = 1,
                         cache_dir: Path | str | None = None, rebuild: bool = False
                         ) -> EncodedDataset:
    """MovieLens-100k in the cached format (downloads recbole's copy when ``path`` is None)."""
    frame = load_movielens_100k_frame(path, cache_dir)
    source = {"movielens": "ml-100k", "from": str(path) if path else WHEEL,
              **frame_fingerprint(frame)}
    preprocessing = {"format": "movielens-100k", "fields": FIELDS, "label": "rating >= 4",
                     "min_count": min_count, "time": "UTC"}
    return encode_frame_cached("movielens", source, preprocessing, lambda: (frame, {}), "label",
                               FIELDS, min_count, cache_dir, rebuild, where=f"MovieLens {path}")
