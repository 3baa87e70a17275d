"""What a cell does besides binding names: global RNG use, files read and written, network and clock reads.

Slicing a session by names alone misses dependencies that go through hidden
state: ``np.random.seed(0)`` in one cell decides what ``np.random.rand()``
gives in a later one, and a file one cell writes is what a later cell reads.
``effects(source)`` finds these from the syntax tree (no execution) and names
them as pseudo-names that the slicer treats like variables:

- ``RNG``: the global random streams (``random``, ``numpy.random``, torch,
  TensorFlow). A cell that seeds them writes it; a cell that draws from them
  (``np.random.rand()``, ``random.shuffle(x)``, a scikit-learn estimator or
  splitter given no ``random_state``) reads and writes it.
- ``file:<path>``: a file named by a string literal that the cell reads
  (``pd.read_csv("x.csv")``, ``open("x")``) or writes (``df.to_csv("x.csv")``,
  ``open("x", "w")``).

It also lists what makes a re-run differ even when every cell is kept:
network reads, clock reads, and estimators left without ``random_state``.
The rules are syntactic and name-based, so they err on the side of keeping
a cell; an alias the cell does not show (``rand = np.random.rand`` in an
earlier cell) is missed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache

from mlm_jupyter.core.cell_names import parse_cell

__all__ = ["RNG", "CellEffects", "effects", "file_name"]

RNG = "<global RNG>"
_FILE = "file:"

_NUMPY_RANDOM_LOCAL = frozenset({"default_rng", "RandomState", "Generator", "SeedSequence", "PCG64", "MT19937",
                                 "Philox", "SFC64", "BitGenerator"})
_SEEDERS = frozenset({"seed", "manual_seed", "set_seed", "manual_seed_all", "set_random_seed"})
_RANDOM_MODULES = frozenset({"random", "numpy.random", "torch", "torch.random", "tensorflow.random",
                             "tf.random"})

# scikit-learn callables that draw from numpy's global RNG when given no random_state
_STOCHASTIC_ESTIMATORS = frozenset({
    "train_test_split", "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier",
    "ExtraTreesRegressor", "GradientBoostingClassifier", "GradientBoostingRegressor",
    "HistGradientBoostingClassifier", "HistGradientBoostingRegressor", "DecisionTreeClassifier",
    "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor", "BaggingClassifier",
    "BaggingRegressor", "AdaBoostClassifier", "AdaBoostRegressor", "IsolationForest", "KMeans",
    "MiniBatchKMeans", "MLPClassifier", "MLPRegressor", "SGDClassifier", "SGDRegressor", "Perceptron",
    "LogisticRegressionCV", "ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit",
    "RandomizedSearchCV", "make_classification", "make_regression", "make_blobs", "make_moons",
    "make_circles", "make_friedman1", "TSNE", "SpectralClustering", "GaussianMixture",
    "RandomTreesEmbedding", "RBFSampler", "Nystroem", "TruncatedSVD", "NMF", "LinearSVC", "SVC",
    "PassiveAggressiveClassifier", "shuffle", "resample", "permutation_importance"})
_SHUFFLING_SPLITTERS = frozenset({"KFold", "StratifiedKFold", "GroupKFold", "RepeatedKFold",
                                  "RepeatedStratifiedKFold"})
# SVC draws only with probability=True; LinearSVC only with the dual solver; keep them: a re-run that differs
# then gets the right explanation, a re-run that does not costs nothing.

_READERS = frozenset({"read_csv", "read_parquet", "read_json", "read_excel", "read_feather", "read_table",
                      "read_pickle", "read_hdf", "read_orc", "read_fwf", "read_sas", "read_stata", "load",
                      "loadtxt", "genfromtxt", "fromfile", "load_svmlight_file", "imread", "read_text",
                      "read_bytes", "scan_csv", "scan_parquet", "read_ipc", "read_ndjson", "read_file"})
_WRITERS = frozenset({"to_csv", "to_parquet", "to_json", "to_excel", "to_feather", "to_pickle", "to_hdf",
                      "save", "savez", "savez_compressed", "savetxt", "tofile", "savefig", "dump",
                      "write_text", "write_bytes", "write_csv", "write_parquet", "imsave",
                      "dump_svmlight_file"})
_NETWORK_CALLS = frozenset({"urlopen", "urlretrieve", "fetch_openml", "fetch_california_housing",
                            "fetch_20newsgroups", "fetch_20newsgroups_vectorized", "fetch_covtype",
                            "fetch_kddcup99", "fetch_lfw_people", "fetch_lfw_pairs", "fetch_olivetti_faces",
                            "fetch_rcv1", "fetch_species_distributions", "load_dataset", "download"})
_REQUESTS_VERBS = frozenset({"get", "post", "put", "request", "head"})
_CLOCK_CALLS = frozenset({"time", "perf_counter", "monotonic", "process_time", "now", "utcnow", "today",
                          "time_ns", "perf_counter_ns"})
_TIMING_WORDS = ("fit_time", "score_time", "mean_fit_time", "mean_score_time", "timeit")


@dataclass(frozen=True)
class CellEffects:
    """Hidden-state effects of one cell, as pseudo-names and plain findings."""

    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    seeds_rng: bool = False
    draws_rng: bool = False
    unseeded_estimators: tuple[str, ...] = ()
    network: tuple[str, ...] = ()
    clock: tuple[str, ...] = ()
    files_read: tuple[str, ...] = ()
    files_written: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def file_name(pseudo: str) -> str | None:
    """The path in a ``file:<path>`` pseudo-name, else None."""
    return pseudo[len(_FILE):] if pseudo.startswith(_FILE) else None


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _module_aliases(tree: ast.AST) -> dict[str, str]:
    """Local names of imported modules and functions -> their full dotted names."""
    aliases = {"np": "numpy", "random": "random", "torch": "torch", "tf": "tensorflow"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.partition(".")[0]] = (
                    alias.name if alias.asname else alias.name.partition(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _resolve(dotted: str, aliases: dict[str, str]) -> str:
    head, _, rest = dotted.partition(".")
    full = aliases.get(head, head)
    return f"{full}.{rest}" if rest else full


def _string_literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) < 4096:
        return node.value
    if isinstance(node, ast.JoinedStr):
        return None
    if isinstance(node, ast.Call) and _dotted(node.func) in {"Path", "pathlib.Path"} and node.args:
        return _string_literal(node.args[0])
    return None


def _open_mode(call: ast.Call) -> str:
    mode: ast.AST | None = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "mode":
            mode = keyword.value
    return mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else "r"


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://", "ftp://", "s3://", "gs://"))


class _Visitor(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases
        self.seeds = False
        self.draws = False
        self.unseeded: list[str] = []
        self.network: list[str] = []
        self.clock: list[str] = []
        self.read_files: list[str] = []
        self.written_files: list[str] = []

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        dotted = _dotted(node.func)
        if dotted is None:
            return
        full = _resolve(dotted, self.aliases)
        module, _, function = full.rpartition(".")
        self._random(node, full, module, function)
        self._files(node, dotted, function)
        if function in _NETWORK_CALLS or (module in {"requests", "httpx"} and function in _REQUESTS_VERBS) \
                or any(_is_url(text) for text in self._literal_args(node)):
            self.network.append(dotted)
        if function in _CLOCK_CALLS and module in {"time", "datetime", "datetime.datetime", "datetime.date",
                                                     "pd.Timestamp", "pandas.Timestamp"}:
            self.clock.append(dotted)

    @staticmethod
    def _literal_args(node: ast.Call) -> list[str]:
        texts = [_string_literal(arg) for arg in node.args]
        texts += [_string_literal(k.value) for k in node.keywords]
        return [text for text in texts if text]

    def _random(self, node: ast.Call, full: str, module: str, function: str) -> None:
        if module in _RANDOM_MODULES or full.startswith(("numpy.random.", "random.", "torch.")):
            if function in _SEEDERS and (module in _RANDOM_MODULES or module == "torch.cuda"):
                self.seeds = True
            elif (module in {"random", "numpy.random", "torch.random"} or full.startswith("numpy.random.")) \
                    and function not in _NUMPY_RANDOM_LOCAL and function not in {"get_state", "getstate"}:
                if function in {"set_state", "setstate"}:
                    self.seeds = True
                else:
                    self.draws = True
            elif module == "torch" and function in {"rand", "randn", "randint", "randperm", "normal",
                                                    "bernoulli", "multinomial", "rand_like", "randn_like"}:
                self.draws = True
        if function in _STOCHASTIC_ESTIMATORS or (function in _SHUFFLING_SPLITTERS and _keyword_true(node,
                                                                                                  "shuffle")):
            if not any(k.arg == "random_state" and not _is_none(k.value) for k in node.keywords) \
                    and not any(k.arg is None for k in node.keywords):  # **params may carry it
                self.draws = True
                self.unseeded.append(function)

    def _files(self, node: ast.Call, dotted: str, function: str) -> None:
        path = _string_literal(node.args[0]) if node.args else None
        for keyword in node.keywords:
            if keyword.arg in {"path", "filepath_or_buffer", "fname", "file", "path_or_buf", "filename"}:
                path = path or _string_literal(keyword.value)
        if function == "open" and dotted in {"open", "io.open", "gzip.open", "bz2.open", "lzma.open"}:
            if path and not _is_url(path):
                mode = _open_mode(node)
                (self.written_files if any(c in mode for c in "wax+") else self.read_files).append(path)
            return
        if isinstance(node.func, ast.Attribute) and function in {"read_text", "read_bytes", "write_text",
                                                                 "write_bytes", "open"}:
            owner = _string_literal(node.func.value)
            if owner:
                (self.written_files if function.startswith("write") else self.read_files).append(owner)
            return
        if not path or _is_url(path):
            return
        if function in _READERS:
            self.read_files.append(path)
        elif function in _WRITERS:
            self.written_files.append(path)


def _keyword_true(node: ast.Call, name: str) -> bool:
    return any(k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is True
               for k in node.keywords)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


@lru_cache(maxsize=4096)
def effects(source: str) -> CellEffects:
    """The hidden-state effects of ``source`` (a cell as typed; IPython syntax allowed). Pure and cached."""
    tree = parse_cell(source)
    if tree is None:
        return CellEffects()
    visitor = _Visitor(_module_aliases(tree))
    visitor.visit(tree)
    reads: set[str] = {_FILE + path for path in visitor.read_files}
    writes: set[str] = {_FILE + path for path in visitor.written_files}
    if visitor.seeds:  # a seed resets the stream: what the cell draws after it depends on nothing earlier
        writes.add(RNG)
    elif visitor.draws:
        reads.add(RNG)
        writes.add(RNG)
    timing = [word for word in _TIMING_WORDS if word in source]
    return CellEffects(
        reads=frozenset(reads), writes=frozenset(writes), seeds_rng=visitor.seeds, draws_rng=visitor.draws,
        unseeded_estimators=tuple(dict.fromkeys(visitor.unseeded)), network=tuple(dict.fromkeys(visitor.network)),
        clock=tuple(dict.fromkeys([*visitor.clock, *timing])),
        files_read=tuple(dict.fromkeys(visitor.read_files)),
        files_written=tuple(dict.fromkeys(visitor.written_files)))
