"""The results file: one row per finished trial, written as trials finish, safe against crashes.

Two formats, chosen by the file's extension:

* **JSON lines** (``.jsonl``, the default; also ``.json``/``.ndjson``): each finished trial is
  *appended* as one line and the file is ``fsync``-ed before the next trial is recorded. JSON
  escapes newlines, so one line is one record. Crash story: a crash (power loss, SIGKILL of the
  driver) can only tear the line being written, which is then the last line and lacks its final
  newline or does not parse. :func:`read_rows` ignores such a line, and :class:`ResultsFile`
  removes it (rewriting the valid part atomically) before it appends again, so a resumed sweep
  never glues a new row to a torn one. Every earlier line was fsynced and is intact.
* **CSV** (``.csv``): every recorded trial rewrites the whole file atomically
  (:func:`numbanet._io.atomic_write_text`: temporary file, fsync, rename), so a reader sees the
  old file or the new one and never a torn row. Cells hold JSON values (strings as plain text).

Rerunning a sweep reads the file first and skips the trials it already holds (resume).
"""

from __future__ import annotations

import csv
import io
import json
import os
import warnings
from pathlib import Path

from .._io import atomic_write_text
from ..errors import ValidationError

FIRST = ["trial_id", "status", "seed"]
LAST = ["error", "worker", "pid", "duration", "cpu_time", "finished_at", "config", "traceback"]


def _fmt(path):
    ext = Path(path).suffix.lower()
    if ext == ".csv":
        return "csv"
    if ext in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    raise ValidationError(
        f"results file {str(path)!r} has extension {ext or '(none)'!r}; use .jsonl (JSON lines) or .csv"
    )


def _flatten(row):
    out = {k: v for k, v in row.items() if k != "params"}
    for k, v in (row.get("params") or {}).items():
        out[f"param:{k}"] = v
    return out


def _unflatten(flat):
    row, params = {}, {}
    for k, v in flat.items():
        if k.startswith("param:"):
            params[k[6:]] = v
        else:
            row[k] = v
    row["params"] = params
    return row


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return json.dumps(v)


TEXT = {"trial_id", "status", "error", "worker", "finished_at", "config", "traceback"}


def _uncell(s, key=None):
    if key in TEXT:  # an all-digit trial id must stay a string
        return s if s != "" else None
    if s == "":
        return None
    try:
        return json.loads(s)
    except (ValueError, TypeError):
        return s


def _csv_text(rows):
    flats = [_flatten(r) for r in rows]
    cols = list(FIRST)
    middle = []
    for f in flats:
        for k in f:
            if k not in cols and k not in middle and k not in LAST:
                middle.append(k)
    cols += [c for c in middle if c.startswith("param:")] + [
        c for c in middle if not c.startswith("param:")
    ]
    cols += LAST
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, restval="", lineterminator="\n")
    w.writeheader()
    for f in flats:
        w.writerow({k: _cell(v) for k, v in f.items()})
    return buf.getvalue()


def _read_jsonl(path):
    """(rows, valid_text, torn) from a JSON-lines file."""
    data = Path(path).read_bytes().decode("utf-8", errors="replace")
    rows, good, torn = [], [], 0
    lines = data.split("\n")
    last_complete = data.endswith("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        is_last = i == len(lines) - 1
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or "trial_id" not in row:
                raise ValueError("not a result row")
        except ValueError:
            torn += 1
            continue
        if is_last and not last_complete:  # parsed, but its newline never made it to disk
            torn += 1
            continue
        rows.append(row)
        good.append(line)
    # a trial rerun with retry_failed appends a second row: the last one wins
    latest = {r["trial_id"]: i for i, r in enumerate(rows)}
    rows = [r for i, r in enumerate(rows) if latest[r["trial_id"]] == i]
    return rows, "".join(x + "\n" for x in good), torn


def read_rows(path):
    """All complete rows of a results file (a torn last line is ignored); [] if it is absent."""
    path = Path(path)
    if not path.exists():
        return []
    if _fmt(path) == "jsonl":
        rows, _, torn = _read_jsonl(path)
        if torn:
            warnings.warn(
                f"{path}: ignored {torn} incomplete line(s) (an interrupted write)", stacklevel=2
            )
        return rows
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            _unflatten({k: _uncell(v, k) for k, v in r.items() if k is not None})
            for r in csv.DictReader(fh)
        ]


class ResultsFile:
    """Appends finished trials to a results file (see the module docstring for the crash story)."""

    def __init__(self, path):
        self.path = Path(path)
        self.format = _fmt(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows = []
        if self.path.exists():
            if self.format == "jsonl":
                self.rows, valid, torn = _read_jsonl(self.path)
                if torn:  # drop the torn line before appending after it
                    atomic_write_text(self.path, valid)
            else:
                self.rows = read_rows(self.path)

    def done_ids(self, include_errors=True):
        return {r["trial_id"] for r in self.rows if include_errors or r.get("status") == "ok"}

    def append(self, row):
        self.rows = [r for r in self.rows if r["trial_id"] != row["trial_id"]] + [row]
        if self.format == "jsonl":
            line = json.dumps(row, sort_keys=False, allow_nan=True) + "\n"
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            atomic_write_text(self.path, _csv_text(self.rows))
