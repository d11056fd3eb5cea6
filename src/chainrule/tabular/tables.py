"""``read_table``: a CSV, Parquet or NPZ file as named columns, checked before any training.

* CSV (``.csv``): a header row of unique names, then one row per sample, every row as long
  as the header. A column whose every cell reads as a number is numeric; any other is text
  (fine for a class label, refused as a feature).
* Parquet (``.parquet``, ``.pq``): its columns, through pyarrow (the ``parquet`` extra).
* NPZ (``.npz``, from ``np.savez``): each 1-D array is a column named by its key; a 2-D
  array ``X`` of shape (n, k) gives the columns ``X[0]`` ... ``X[k-1]``. Arrays are read
  without pickle, each one's declared size checked against the archive before it is read.

Every error is a ``TableError`` (a ``ValueError``) that names the file and the column, row
or array at fault, on one line.
"""
from __future__ import annotations

import csv
import os
import zipfile
from dataclasses import dataclass

import numpy as np

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".npz": "npz"}


class TableError(ValueError):
    """A data file that cannot be used: the message names the file and what is wrong."""


@dataclass
class Table:
    """Named columns of equal length: float64 arrays for numbers, str arrays for text."""
    path: str
    names: list[str]
    columns: dict[str, np.ndarray]
    lines: list[int] | None = None              # CSV: each row's line number in the file

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def column(self, name: str) -> np.ndarray:
        if name not in self.columns:
            raise TableError(f"{self.path} has no column {name!r}; its columns are "
                             f"{_preview(self.names)}.")
        return self.columns[name]

    def numeric(self, names: list[str], what: str = "feature") -> np.ndarray:
        """The ``names`` columns as one float64 array (n, len(names)), finite values only."""
        for name in names:
            values = self.column(name)
            if values.dtype.kind != "f":
                row, cell = next((i, str(v)) for i, v in enumerate(values) if not _is_number(v))
                if not cell.strip():
                    raise TableError(f"{self.path}: {what} column {name!r} has an empty cell "
                                     f"(a missing value) at {self.where(row)}; fill or drop "
                                     f"such rows first.")
                raise TableError(f"{self.path}: {what} column {name!r} is not numeric: "
                                 f"{self.where(row)} holds {cell!r}.")
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                raise TableError(f"{self.path}: {what} column {name!r} has a missing or "
                                 f"infinite value ({values[bad[0]]}) at {self.where(bad[0])}; "
                                 f"fill or drop such rows first.")
        if not names:
            return np.empty((len(self), 0))
        return np.stack([self.columns[name] for name in names], axis=1)

    def where(self, row: int) -> str:
        """Where row ``row`` is in the file: its line (CSV) or its index."""
        return f"line {self.lines[row]}" if self.lines is not None else f"row {row}"


def read_table(path) -> Table:
    """Read a ``.csv``, ``.parquet``/``.pq`` or ``.npz`` file (see the module docstring)."""
    path = os.fspath(path)
    kind = FORMATS.get(os.path.splitext(path)[1].lower())
    if kind is None:
        raise TableError(f"{path}: unknown file type; chainrule reads "
                         f"{', '.join(sorted(FORMATS))} files.")
    if not os.path.isfile(path):
        raise TableError(f"No data file at {path!r}.")
    table = {"csv": _read_csv, "parquet": _read_parquet, "npz": _read_npz}[kind](path)
    if not table.names:
        raise TableError(f"{path} has no columns.")
    if len(table) == 0:
        raise TableError(f"{path} has columns but no rows.")
    return table


def _read_csv(path: str) -> Table:
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file))
    except (UnicodeDecodeError, csv.Error) as error:
        raise TableError(f"{path} is not a readable CSV file: {error}.") from error
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise TableError(f"{path} is empty: a CSV file needs a header row of column names.")
    names = [cell.strip() for cell in rows[0]]
    _check_names(path, names)
    numbered = [(number, row) for number, row in enumerate(rows[1:], start=2) if row]
    for number, row in numbered:                      # blank lines are skipped
        if len(row) != len(names):
            raise TableError(f"{path}: line {number} has {len(row)} cells, the header "
                             f"{len(names)}.")
    cells = np.array([row for _, row in numbered], dtype=str).reshape(len(numbered), len(names))
    return Table(path, names, {name: _as_column(cells[:, j]) for j, name in enumerate(names)},
                 [number for number, _ in numbered])


def _as_column(cells: np.ndarray) -> np.ndarray:
    """float64 if every cell reads as a number, else the stripped text."""
    try:
        return cells.astype(np.float64)
    except ValueError:
        return np.char.strip(cells)


def _read_parquet(path: str) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise TableError(f"{path}: reading Parquet needs pyarrow: "
                         f"pip install 'chainrule[parquet]'.") from None
    try:
        table = pq.read_table(path)
    except Exception as error:          # pyarrow's ArrowInvalid and friends
        raise TableError(f"{path} is not a readable Parquet file: {error}.") from error
    names = [str(name) for name in table.column_names]
    _check_names(path, names)
    columns = {}
    for name, column in zip(names, table.columns):
        values = column.to_numpy(zero_copy_only=False)
        if values.dtype.kind in "biuf":
            columns[name] = values.astype(np.float64)
        else:               # text, or anything else: as text, refused as a feature
            columns[name] = np.array(["" if v is None else str(v) for v in values], dtype=str)
    return Table(path, names, columns)


def _read_npz(path: str) -> Table:
    _check_npz_sizes(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except ValueError as error:
        raise TableError(f"{path} holds Python objects (a pickle); chainrule never unpickles "
                         f"files: {error}.") from error
    except (OSError, zipfile.BadZipFile) as error:
        raise TableError(f"{path} is not a readable NPZ file: {error}.") from error
    for key, array in arrays.items():
        if array.ndim not in (1, 2):
            raise TableError(f"{path}: array {key!r} has shape {array.shape}; columns are 1-D "
                             f"arrays or the columns of a 2-D one.")
    if len({len(array) for array in arrays.values()}) > 1:
        raise TableError(f"{path}: the arrays have different numbers of rows: "
                         f"{', '.join(f'{k} {len(a)}' for k, a in arrays.items())}.")
    columns = {}
    for key, array in arrays.items():
        parts = [(key, array)] if array.ndim == 1 else \
            [(f"{key}[{j}]", array[:, j]) for j in range(array.shape[1])]
        for name, values in parts:
            columns[name] = values.astype(np.float64) if values.dtype.kind in "biuf" \
                else values.astype(str)
    names = list(columns)
    _check_names(path, names)
    return Table(path, names, columns)


def _check_npz_sizes(path: str) -> None:
    """Each member's header must not declare more bytes than the archive holds for it."""
    try:
        with zipfile.ZipFile(path) as archive:
            declared = [(info.filename, info.file_size, *_npy_header(archive, info))
                        for info in archive.infolist()]
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise TableError(f"{path} is not a readable NPZ file: {error}.") from error
    for name, size, shape, dtype in declared:
        needed = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if needed > size:
            raise TableError(f"{path}: array {name!r} declares shape {shape} ({needed} bytes) "
                             f"but holds {size} bytes.")


def _npy_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple:
    """(shape, dtype) from the header of one ``.npy`` member, without reading its data."""
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) \
            else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(member)
    return shape, dtype


def _check_names(path: str, names: list[str]) -> None:
    empty = [i for i, name in enumerate(names) if not name]
    if empty:
        raise TableError(f"{path}: column {empty[0] + 1} has no name.")
    seen = set()
    for name in names:
        if name in seen:
            raise TableError(f"{path}: two columns are named {name!r}.")
        seen.add(name)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _preview(names: list[str], count: int = 12) -> str:
    shown = ", ".join(map(repr, names[:count]))
    return shown + (f" and {len(names) - count} more" if len(names) > count else "")
