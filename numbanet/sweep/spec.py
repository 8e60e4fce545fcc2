"""Experiment specs: read, validate, and expand into trials.

A spec is a TOML file (read with the standard library's ``tomllib``) or
the same structure as a Python dict::

    name = "mnist1d-random"

    [data]                      # what to train on
    name = "mnist1d"            # mnist1d | mnist | semeion | moons | circles | blobs | spiral
    val_fraction = 0.2          # held out of the training set for the validation metrics

    [model]                     # one training run; every field can be searched over
    depth = 2                   # hidden layers of `width` units (or give `hidden = [64, 32]`)
    width = 64
    activation = "relu"         # any name numbanet.nn.activation() knows
    init = "he_normal"          # any name in numbanet.init.WEIGHT_INITS
    optimizer = "sgd"           # any name numbanet.optim.get() knows
    lr = 0.1
    batch_size = 32
    epochs = 10
    l2 = 0.0                    # Nielsen's lambda (weight decay on weights only)
    dropout = 0.0               # Dropout(p) after every hidden activation

    [search]
    method = "random"           # "grid": every combination; "random": `trials` samples
    trials = 12
    seeds = [0, 1]              # every configuration is trained once per seed
    seed = 0                    # seed of the random sampler

    [search.space]              # field -> values (grid) or a distribution (random)
    lr = { log_uniform = [0.01, 1.0] }
    width = { choice = [16, 32, 64, 128] }
    depth = { int_uniform = [1, 3] }

    [metrics]
    objective = "best_val_accuracy"   # what "best" means (mode: max for accuracies)
    record = ["final_val_accuracy", "best_val_accuracy", "final_loss", "train_time"]

Search keys are model fields (``lr``) or data fields prefixed with ``data.`` (``"data.noise"``).
In a grid every value is a list; in a random search a value is a list (uniform choice) or one of
``{choice = [...]}``, ``{uniform = [a, b]}``, ``{log_uniform = [a, b]}``, ``{int_uniform = [a, b]}``
(both ends included), ``{int_log_uniform = [a, b]}``.

A *trial* is one fully resolved configuration plus a seed. Its id is a hash of that
configuration, so the same trial has the same id in every run of the sweep (this is what resume
relies on).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import tomllib  # standard library from Python 3.11, numbanet's minimum
from pathlib import Path

import numpy as np

from ..errors import ValidationError

DATASETS = ("mnist1d", "mnist", "semeion", "moons", "circles", "blobs", "spiral")
TOY = {"moons", "circles", "blobs", "spiral"}

TOP_FIELDS = {"name", "data", "model", "search", "metrics", "results", "description"}

# field -> (python types, default). None default means "optional, absent".
DATA_FIELDS = {
    "name": ((str,), "mnist1d"),
    "val_fraction": ((float, int), 0.2),
    "n_train": ((int,), None),  # keep only the first n_train training examples
    "seed": ((int,), None),  # seed of the data generator / of the train/validation split
    "standardize": ((bool,), None),  # default: True for toy sets, False otherwise
    # generator parameters of the toy sets and of MNIST-1D
    "n": ((int,), None),
    "noise": ((float, int), None),
    "factor": ((float, int), None),
    "centers": ((int,), None),
    "std": ((float, int), None),
    "classes": ((int,), None),
    "n_samples": ((int,), None),
}

MODEL_FIELDS = {
    "hidden": ((list,), None),
    "depth": ((int,), 1),
    "width": ((int,), 32),
    "activation": ((str,), "relu"),
    "init": ((str,), "he_normal"),
    "loss": ((str,), "cross_entropy"),
    "optimizer": ((str,), "sgd"),
    "optimizer_args": ((dict,), {}),
    "lr": ((float, int), 0.1),
    "batch_size": ((int,), 32),
    "epochs": ((int,), 10),
    "l2": ((float, int), 0.0),
    "dropout": ((float, int), 0.0),
    "backend": ((str,), "cpu"),
    "dtype": ((str,), "float32"),
}

SEARCH_FIELDS = {"method", "trials", "seeds", "seed", "space", "grid"}

METRICS = {
    "final_val_accuracy": "max",
    "best_val_accuracy": "max",
    "final_val_loss": "min",
    "best_val_loss": "min",
    "final_accuracy": "max",
    "final_loss": "min",
    "best_epoch": None,
    "epochs_run": None,
    "n_params": None,
    "train_time": "min",
}
DEFAULT_RECORD = [
    "final_val_accuracy",
    "best_val_accuracy",
    "final_val_loss",
    "final_loss",
    "train_time",
]
DISTRIBUTIONS = ("choice", "uniform", "log_uniform", "int_uniform", "int_log_uniform")


def _type_name(types):
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    return " or ".join(dict.fromkeys(names[t] for t in types))


def _check_type(value, types, where):
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        raise ValidationError(
            f"spec field {where} must be {_type_name(types)}; got {value!r} "
            f"({type(value).__name__})"
        )


def _unknown(keys, allowed, where):
    extra = sorted(set(keys) - set(allowed))
    if extra:
        raise ValidationError(
            f"unknown spec field {where}{extra[0]!r}; allowed fields are: {', '.join(sorted(allowed))}"
        )


def load_spec(path_or_dict):
    """Read a spec from a TOML file (or take a dict), validate it and fill in the defaults.

    Parameters
    ----------
    path_or_dict : str, Path or dict

    Returns
    -------
    dict
        The validated spec, with ``data``, ``model``, ``search`` and ``metrics`` complete. A spec
        read from a file remembers its folder in ``"_base"`` (relative ``results`` paths start there).

    Raises
    ------
    ValidationError
        Naming the offending field: unknown fields, wrong types, empty grids, unknown names.
    """
    base = None
    if isinstance(path_or_dict, dict):
        raw = copy.deepcopy(path_or_dict)
        raw.pop("_base", None)
        base = path_or_dict.get("_base")
    elif isinstance(path_or_dict, (str, Path)):
        path = Path(path_or_dict)
        if not path.is_file():
            raise ValidationError(f"spec file {str(path)!r} does not exist")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ValidationError(f"spec file {str(path)!r} is not valid TOML: {e}") from None
        base = str(path.resolve().parent)
        raw.setdefault("name", path.stem)
    else:
        raise ValidationError(
            f"spec must be a path to a TOML file or a dict; got {type(path_or_dict).__name__}"
        )
    spec = validate_spec(raw)
    if base is not None:
        spec["_base"] = base
    return spec


def validate_spec(raw):
    """Validate a spec dict and return a completed copy (see :func:`load_spec`)."""
    if not isinstance(raw, dict):
        raise ValidationError(f"spec must be a table (dict); got {type(raw).__name__}")
    _unknown(raw, TOP_FIELDS, "")
    spec = {"name": raw.get("name", "sweep")}
    _check_type(spec["name"], (str,), "'name'")
    if "results" in raw:
        _check_type(raw["results"], (str,), "'results'")
        spec["results"] = raw["results"]
    for section in ("data", "model", "search", "metrics"):
        if section in raw:
            _check_type(raw[section], (dict,), f"[{section}]")

    data = _fill(raw.get("data", {}), DATA_FIELDS, "data")
    model = _fill(raw.get("model", {}), MODEL_FIELDS, "model")
    raw_model = raw.get("model", {})
    if "hidden" in raw_model:
        both = [f for f in ("depth", "width") if f in raw_model]
        if both:
            raise ValidationError(
                f"spec fields model.hidden and model.{both[0]} both set the layer sizes; give "
                "either hidden = [...] or depth and width"
            )
        model.pop("depth"), model.pop("width")
    search = _search(raw.get("search", {}))
    metrics = _metrics(raw.get("metrics", {}))
    spec.update(data=data, model=model, search=search, metrics=metrics)
    # every value the search can produce is checked now, not on a worker twenty minutes later
    for key, values in _space_values(search):
        for v in values:
            section, field = _split_key(key)
            _check_field(section, field, v)
    _check_data(data)
    _check_model(model)
    return spec


def _fill(section, fields, name):
    _unknown(section, fields, f"{name}.")
    out = {}
    for field, (_types, default) in fields.items():
        if field in section:
            _check_field(name, field, section[field])
            out[field] = copy.deepcopy(section[field])
        elif default is not None:
            out[field] = copy.deepcopy(default)
    return out


def _check_field(section, field, value):
    fields = DATA_FIELDS if section == "data" else MODEL_FIELDS
    if field not in fields:
        raise ValidationError(
            f"unknown spec field {section}.{field!r}; allowed fields are: {', '.join(sorted(fields))}"
        )
    types = fields[field][0]
    where = f"{section}.{field}"
    _check_type(value, types, where)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValidationError(f"spec field {where} must be finite; got {value!r}")
        positive = {
            "lr",
            "batch_size",
            "epochs",
            "width",
            "depth",
            "n",
            "n_train",
            "centers",
            "classes",
            "n_samples",
        }
        if field in positive and value <= 0:
            raise ValidationError(f"spec field {where} must be > 0; got {value!r}")
        if field in {"l2", "noise", "std"} and value < 0:
            raise ValidationError(f"spec field {where} must be >= 0; got {value!r}")
        if field == "dropout" and not 0 <= value < 1:
            raise ValidationError(f"spec field {where} must be in [0, 1); got {value!r}")
        if field == "val_fraction" and not 0 < value < 1:
            raise ValidationError(f"spec field {where} must be in (0, 1); got {value!r}")
    if field == "hidden":
        if not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in value):
            raise ValidationError(
                f"spec field {where} must be a list of positive layer sizes, e.g. [64, 32]; "
                f"got {value!r}"
            )
    if section == "model":
        _check_name(field, value, where)
    if section == "data" and field == "name" and value not in DATASETS:
        raise ValidationError(
            f"spec field {where} is {value!r}; choose one of {', '.join(DATASETS)}"
        )


def _check_name(field, value, where):
    """Names are checked against the live registries, so new optimisers etc. work at once."""
    if field == "activation":
        from ..nn import ACTIVATIONS

        table = ACTIVATIONS
        value = value.lower().replace("-", "_")
    elif field == "optimizer":
        from .. import optim

        table = optim.OPTIMIZERS
        value = value.lower()
    elif field == "init":
        from .. import init

        table = init.WEIGHT_INITS
    elif field == "loss":
        from .. import losses

        table = losses.LOSSES
        value = value.lower().replace("-", "_")
    elif field == "backend":
        table = ("reference", "cpu", "cuda", "auto")
    elif field == "dtype":
        table = ("float32", "float64")
    else:
        return
    if value not in table:
        raise ValidationError(
            f"spec field {where} is {value!r}; choose one of {', '.join(sorted(table))}"
        )


def _check_data(data):
    name = data["name"]
    toy_only = {"n", "noise", "factor", "centers", "std", "classes"}
    allowed = {
        "moons": {"n", "noise"},
        "circles": {"n", "noise", "factor"},
        "blobs": {"n", "centers", "std"},
        "spiral": {"n", "noise", "classes"},
        "mnist1d": {"n_samples"},
    }.get(name, set())
    for f in sorted((toy_only | {"n_samples"}) - allowed):
        if f in data:
            raise ValidationError(
                f"spec field data.{f} does not apply to data set {name!r}"
                + (f" (it takes: {', '.join(sorted(allowed))})" if allowed else "")
            )


def _check_model(model):
    if "optimizer_args" in model:
        for k in model["optimizer_args"]:
            if k in ("lr", "params"):
                raise ValidationError(
                    f"spec field model.optimizer_args.{k} is not allowed; set model.{k} instead"
                )


def _split_key(key):
    if key.startswith("data."):
        return "data", key[5:]
    if key.startswith("model."):
        return "model", key[6:]
    return "model", key


def _search(s):
    _unknown(s, SEARCH_FIELDS, "search.")
    method = s.get("method", "grid")
    _check_type(method, (str,), "search.method")
    if method not in ("grid", "random"):
        raise ValidationError(f"spec field search.method is {method!r}; choose 'grid' or 'random'")
    if "space" in s and "grid" in s:
        raise ValidationError(
            "give the search space once: [search.space] (or its alias [search.grid])"
        )
    space = s.get("space", s.get("grid", {}))
    _check_type(space, (dict,), "search.space")
    seeds = s.get("seeds", [0])
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = [seeds]
    _check_type(seeds, (list,), "search.seeds")
    if not seeds:
        raise ValidationError("spec field search.seeds is empty; give at least one seed, e.g. [0]")
    for sd in seeds:
        if not isinstance(sd, int) or isinstance(sd, bool) or sd < 0:
            raise ValidationError(f"spec field search.seeds must hold integers >= 0; got {sd!r}")
    if len(set(seeds)) != len(seeds):
        raise ValidationError(f"spec field search.seeds has repeated seeds: {seeds}")
    out = {"method": method, "seeds": list(seeds), "space": {}}
    sampler_seed = s.get("seed", 0)
    _check_type(sampler_seed, (int,), "search.seed")
    out["seed"] = sampler_seed
    if method == "random":
        if "trials" not in s:
            raise ValidationError(
                "a random search needs a budget: set search.trials (configurations to sample)"
            )
        _check_type(s["trials"], (int,), "search.trials")
        if s["trials"] <= 0:
            raise ValidationError(f"spec field search.trials must be > 0; got {s['trials']}")
        out["trials"] = s["trials"]
    elif "trials" in s:
        raise ValidationError("spec field search.trials applies to method = 'random' only")
    for key, val in space.items():
        where = f"search.space.{key}"
        section, field = _split_key(key)
        fields = DATA_FIELDS if section == "data" else MODEL_FIELDS
        if field not in fields:
            raise ValidationError(
                f"unknown field {where!r}: search keys are model fields ({', '.join(sorted(MODEL_FIELDS))}) "
                f"or data fields written 'data.<field>'"
            )
        canon = f"data.{field}" if section == "data" else field
        if isinstance(val, list):
            if not val:
                raise ValidationError(
                    f"spec field {where} is an empty list; give at least one value"
                )
            out["space"][canon] = {"choice": list(val)}
        elif isinstance(val, dict):
            if method == "grid":
                raise ValidationError(
                    f"spec field {where}: a grid takes a list of values, not a distribution {val!r}"
                )
            if len(val) != 1 or next(iter(val)) not in DISTRIBUTIONS:
                raise ValidationError(
                    f"spec field {where} must be a list or one of "
                    f"{{{' | '.join(d + ' = [...]' for d in DISTRIBUTIONS)}}}; got {val!r}"
                )
            ((kind, args),) = val.items()
            _check_type(args, (list,), f"{where}.{kind}")
            if kind == "choice":
                if not args:
                    raise ValidationError(f"spec field {where}.choice is empty")
            else:
                if len(args) != 2 or not all(
                    isinstance(a, (int, float)) and not isinstance(a, bool) for a in args
                ):
                    raise ValidationError(
                        f"spec field {where}.{kind} must be two numbers [low, high]; got {args!r}"
                    )
                lo, hi = args
                if not lo <= hi:
                    raise ValidationError(f"spec field {where}.{kind}: low {lo} > high {hi}")
                if "log" in kind and lo <= 0:
                    raise ValidationError(f"spec field {where}.{kind} needs low > 0; got {lo}")
                if kind.startswith("int") and not (isinstance(lo, int) and isinstance(hi, int)):
                    raise ValidationError(
                        f"spec field {where}.{kind} needs integer bounds; got {args!r}"
                    )
            out["space"][canon] = {kind: list(args)}
        else:
            raise ValidationError(
                f"spec field {where} must be a list of values"
                + (" or a distribution table" if method == "random" else "")
                + f"; got {val!r}"
            )
    return out


def _space_values(search):
    """(key, example values to type-check) for every searched field."""
    for key, dist in search["space"].items():
        ((kind, args),) = dist.items()
        if kind == "choice":
            yield key, args
        elif kind.startswith("int"):
            yield key, [int(args[0]), int(args[1])]
        else:
            yield key, [float(args[0]), float(args[1])]


def _metrics(m):
    _unknown(m, {"objective", "mode", "record"}, "metrics.")
    objective = m.get("objective", "best_val_accuracy")
    _check_type(objective, (str,), "metrics.objective")
    if objective not in METRICS or METRICS[objective] is None:
        ok = [k for k, v in METRICS.items() if v]
        raise ValidationError(
            f"spec field metrics.objective is {objective!r}; choose one of {', '.join(ok)}"
        )
    mode = m.get("mode", METRICS[objective])
    if mode not in ("max", "min"):
        raise ValidationError(f"spec field metrics.mode is {mode!r}; choose 'max' or 'min'")
    record = m.get("record", DEFAULT_RECORD)
    _check_type(record, (list,), "metrics.record")
    if not record:
        raise ValidationError("spec field metrics.record is empty; name at least one metric")
    for r in record:
        if r not in METRICS:
            raise ValidationError(
                f"spec field metrics.record names unknown metric {r!r}; choose from {', '.join(METRICS)}"
            )
    record = list(dict.fromkeys([*record, objective]))
    return {"objective": objective, "mode": mode, "record": record}


# ---------------------------------------------------------------------------------- expansion
def _canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def trial_id(config):
    """Stable id of a trial: the first 12 hex digits of SHA-256 of its canonical JSON config.

    The config holds the data, model and seed sections (not the metrics or the search), so
    changing the search space of a sweep keeps the ids (and the finished results) of trials it
    shares with the old one.
    """
    return hashlib.sha256(_canonical(config).encode()).hexdigest()[:12]


def _sample(dist, rng):
    ((kind, args),) = dist.items()
    if kind == "choice":
        return copy.deepcopy(args[int(rng.integers(len(args)))])
    lo, hi = args
    if kind == "uniform":
        return float(rng.uniform(lo, hi))
    if kind == "log_uniform":
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    if kind == "int_uniform":
        return int(rng.integers(lo, hi + 1))
    # int_log_uniform: floor of a log-uniform draw on [lo, hi + 1), so every integer can occur
    v = int(np.floor(np.exp(rng.uniform(np.log(lo), np.log(hi + 1)))))
    return min(hi, max(lo, v))


def _round_float(v):
    # 6 significant digits: readable tables, and ids that do not hinge on the last float bit
    return float(f"{v:.6g}") if isinstance(v, float) else v


def expand(spec):
    """The trials of a spec, in a fixed order.

    Returns
    -------
    list of dict
        Each ``{"id", "params", "seed", "config"}``: ``params`` the searched values, ``config``
        the full data/model/seed configuration the worker trains.
    """
    search = spec["search"]
    keys = list(search["space"])
    if search["method"] == "grid":
        lists = [search["space"][k]["choice"] for k in keys]
        points = [dict(zip(keys, combo)) for combo in itertools.product(*lists)]
    else:
        rng = np.random.default_rng(search["seed"])
        points = []
        for _ in range(search["trials"]):
            points.append({k: _round_float(_sample(search["space"][k], rng)) for k in keys})
    trials, seen = [], set()
    for params in points:
        for seed in search["seeds"]:
            data = copy.deepcopy(spec["data"])
            model = copy.deepcopy(spec["model"])
            for k, v in params.items():
                section, field = _split_key(k)
                (data if section == "data" else model)[field] = copy.deepcopy(v)
            if "hidden" in params:
                model.pop("depth", None), model.pop("width", None)
            elif "hidden" in model and ("depth" in params or "width" in params):
                model.pop("hidden")
            config = {"data": data, "model": model, "seed": seed}
            tid = trial_id(config)
            if tid in seen:  # a random search may draw the same point twice
                continue
            seen.add(tid)
            trials.append({"id": tid, "params": params, "seed": seed, "config": config})
    return trials


def layer_sizes(model):
    """Hidden layer sizes of a model section: ``hidden`` if given, else ``depth`` x ``width``."""
    if "hidden" in model:
        return list(model["hidden"])
    return [int(model["width"])] * int(model["depth"])
