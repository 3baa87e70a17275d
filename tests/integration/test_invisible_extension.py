"""The kernel extension is invisible: notebooks run bare and with ``%load_ext mlm_jupyter`` in fresh kernels
(nbclient) show the same outputs and leave the same user-visible state after every cell, and our kernel log
stays empty. Styles covered: wide DataFrames and display options, ``plt.subplots`` grids, tuples of arrays,
seeded and unseeded randomness, warnings filters, logging, a working directory and an environment variable
the user sets, and a pause long enough for every background flush to run between cells."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from mlm_jupyter.tracking.client import MlmClient

pytestmark = pytest.mark.slow

# Runs after every cell, in both kernels. It imports nothing that is not already imported.
PROBE_DEFINITION = r'''
def __mlm_probe():
    import sys as _sys, os as _os, json as _json, hashlib as _hashlib, random as _random, warnings as _warnings
    import logging as _logging
    state = {"cwd": _os.getcwd(), "env": sorted(_os.environ.items()),
             "random": _hashlib.sha256(repr(_random.getstate()).encode()).hexdigest(),
             "warnings": [repr(f) for f in _warnings.filters],
             "showwarning": getattr(_warnings.showwarning, "__qualname__", "?"),
             "logging": [_logging.root.level, [repr(h) for h in _logging.root.handlers], _logging.root.manager.disable,
                         sorted((name, getattr(lg, "level", None), getattr(lg, "propagate", None),
                                 len(getattr(lg, "handlers", [])))
                                for name, lg in _logging.root.manager.loggerDict.items()
                                if "mlm_jupyter" not in name and isinstance(lg, _logging.Logger))]}
    import threading as _threading, signal as _signal
    state["interpreter"] = [list(_sys.path), [type(f).__qualname__ for f in _sys.meta_path],
                            [getattr(h, "__qualname__", repr(h)) for h in _sys.path_hooks],
                            _sys.getrecursionlimit(), _sys.getswitchinterval(),
                            getattr(_sys.excepthook, "__qualname__", "?"),
                            getattr(_threading.excepthook, "__qualname__", "?"),
                            repr(_signal.getsignal(_signal.SIGINT)).split(" at ")[0],
                            repr(_signal.getsignal(_signal.SIGTERM)).split(" at ")[0]]
    pd = _sys.modules.get("pandas")
    if pd is not None:
        from pandas._config.config import _deprecated_options, _registered_options
        state["pandas"] = {k: repr(pd.get_option(k)) for k in sorted(_registered_options)
                           if k not in _deprecated_options}
    np = _sys.modules.get("numpy")
    if np is not None and not getattr(np.__spec__, "_initializing", False):
        st = np.random.get_state()
        state["numpy.random"] = _hashlib.sha256(st[1].tobytes() + repr(st[2:]).encode()).hexdigest()
        state["numpy"] = [sorted(np.geterr().items()), sorted((k, repr(v)) for k, v in np.get_printoptions().items())]
    mpl = _sys.modules.get("matplotlib")
    if mpl is not None:
        state["matplotlib"] = [mpl.get_backend(), sorted((k, repr(v)) for k, v in mpl.rcParams.items())]
    allowed = set(_sys.stdlib_module_names) | {"mlm_jupyter", "pyarrow", "duckdb", "numpy", "psutil", "cloudpickle",
                                               "xxhash", "requests", "urllib3", "idna", "certifi",
                                               "charset_normalizer", "packaging", "click"}
    # (DuckDB would import ipywidgets when it connects inside a kernel: store.quiet_connect keeps it out)
    allowed |= {"_duckdb", "_cyutility"}
    state["modules"] = sorted({m.partition(".")[0] for m in list(_sys.modules) if not m.startswith("_cython_")}
                              - allowed)
    return _json.dumps(state, sort_keys=True, default=repr)
'''
PROBE = "print(__mlm_probe())"

PANDAS_STYLE = [
    "import time\ntime.sleep(2.5)  # every background flush runs here, outside any cell",
    "import numpy as np\nx = np.arange(12.0).reshape(3, 4)\npair = (x, x * 2)\nx.sum()",
    "import time\ntime.sleep(1.2)",
    "import pandas as pd\npd.get_option('display.max_columns')",
    "wide = pd.DataFrame(np.arange(60).reshape(2, 30), columns=[f'feature_{i}' for i in range(30)])\nwide",
    "pd.set_option('display.precision', 3)\npd.DataFrame({'a': [1.23456789, 2.5], 'b': ['x', 'y']})",
    "rng_stats = (np.array([1.0, 2.0]), np.array([3.0, 4.0]))\nmeans = tuple(a.mean() for a in rng_stats)\nmeans",
    "import random\nrandom.seed(7)\nnp.random.seed(7)\n[random.random() for _ in range(3)], np.random.rand(3)",
    "random.random(), np.random.randint(0, 100, 5)",
    "import warnings\nwarnings.filterwarnings('ignore', category=FutureWarning)\nwarnings.warn('shown', UserWarning)",
    "import logging\nlogging.basicConfig(level=logging.INFO)\nlogging.getLogger('user').info('hello')",
    "objs = pd.DataFrame({'t': [(1, 2), (3, 4)], 'n': [1, 2]})\nobjs",
    "import os\nos.environ['USER_FLAG'] = '1'\nos.makedirs('sub', exist_ok=True)\nos.chdir('sub')\nos.getcwd().endswith('sub')",
    "unseeded = np.random.default_rng().random(3)  # nondeterministic",
    "time.sleep(1.2)\nwide.describe().shape",
]

PLOT_STYLE = [
    "import numpy as np\nimport matplotlib\nmatplotlib.get_backend()",
    "import matplotlib.pyplot as plt\nfig, axes = plt.subplots(2, 3, figsize=(6, 4))\naxes.shape",
    "for i, ax in enumerate(axes.flat):\n    ax.plot(np.arange(5) * i)\nfig.savefig('grid.png')\nlen(fig.axes)",
    "import time\ntime.sleep(2.5)",
    "np.random.seed(0)\nsample = np.random.normal(size=(100, 2))\nsample.mean(axis=0).round(6)",
    "hist = np.histogram(sample[:, 0], bins=5)\ntype(hist).__name__, hist[0]",
    "plt.rcParams['lines.linewidth']",
    "from sklearn.linear_model import LinearRegression\nmodel = LinearRegression().fit(sample[:, :1], sample[:, 1])\n"
    "round(float(model.coef_[0]), 6)",
    "random_noise = np.random.default_rng().normal(size=2)  # nondeterministic",
    "time.sleep(1.2)\nsorted(k for k in dir() if not k.startswith('_'))[:8]",
]


# pandas only in the fifth cell, after pauses in which every background step runs; warnings and logging
# configured by the user (basicConfig must still work: we never add a handler to the root logger)
LATE_STYLE = [
    "import warnings\nwarnings.simplefilter('always')\nwarnings.warn('first', UserWarning)",
    "import logging\nlogging.basicConfig(level=logging.INFO, format='%(levelname)s:%(name)s:%(message)s')\n"
    "logging.getLogger('nb').info('configured')",
    "import time\ntime.sleep(1.5)",
    "values = [i * i for i in range(100)]\nsum(values)",
    "import pandas as pd\nimport numpy as np\npd.get_option('display.max_columns')",
    "pd.DataFrame(np.arange(80).reshape(2, 40))",
    "np.random.seed(5)\nnp.random.rand(3)",
    "time.sleep(1.2)\nnp.random.rand(2), [type(h).__name__ for h in logging.getLogger().handlers]",
    "warnings.warn('second', DeprecationWarning)\nlogging.getLogger('nb.step').warning('careful')",
    "import os, tempfile\nhere = os.getcwd()\nos.chdir(tempfile.gettempdir())\nos.environ['LATE_FLAG'] = 'x'",
    "time.sleep(1.0)\nos.chdir(here)\nos.getcwd() == here",
]


def _notebook(cells: list[str], with_extension: bool) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    first = "%load_ext mlm_jupyter" if with_extension else "pass"
    sources = [first, PROBE_DEFINITION, PROBE]
    for cell in cells:
        sources += [cell, PROBE]
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def _run(cells: list[str], folder: Path, with_extension: bool) -> dict[str, Any]:
    folder.mkdir(parents=True)
    nb = _notebook(cells, with_extension)
    path = folder / "styles.ipynb"
    nbformat.write(nb, path)
    env = {**os.environ, "MLM_STORE": str(folder / "store"), "JPY_SESSION_NAME": str(path)}
    for key in ("MLM_RUN_OWNER", "MPLBACKEND"):
        env.pop(key, None)
    log_path = folder / "kernel.log"
    client = NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(folder)}})
    with open(log_path, "wb") as log:
        with client.setup_kernel(env=env, stderr=log, stdout=log):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
    return {"nb": nb, "path": path, "log": log_path.read_text(errors="replace"), "folder": folder}


def _state(run: dict[str, Any], index: int) -> dict[str, Any]:
    printed = [o["text"] for o in run["nb"].cells[index].outputs if o.get("name") == "stdout"]
    text = printed[0].replace(str(run["folder"]), "<notebook folder>")
    return dict(json.loads(text))


def _outputs(cell: Any) -> list[Any]:
    out = []
    for output in cell.outputs:
        item = {k: v for k, v in output.items() if k not in ("execution_count", "metadata")}
        text = re.sub(r"ipykernel_\d+", "ipykernel_<pid>", json.dumps(item, sort_keys=True))  # warnings' paths
        out.append(json.loads(text))
    return out


STYLES = {"pandas": PANDAS_STYLE, "plots": PLOT_STYLE, "late": LATE_STYLE}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_notebooks_look_and_behave_the_same_with_the_extension(style: str, tmp_path: Path) -> None:
    cells = STYLES[style]
    bare = _run(cells, tmp_path / "bare", False)
    loaded = _run(cells, tmp_path / "loaded", True)
    nb_bare, nb_loaded = bare["nb"], loaded["nb"]
    assert len(nb_bare.cells) == len(nb_loaded.cells)
    seeded: set[str] = set()  # before the notebook seeds them, each process's random streams start from entropy
    for index in range(1, len(nb_bare.cells)):
        source = nb_bare.cells[index].source
        seeded |= {key for key, call in (("random", "random.seed("), ("numpy.random", "np.random.seed("))
                   if call in source and not source.count(call) == source.count("np." + call)}
        seeded |= {"numpy.random"} if "np.random.seed(" in source else set()
        if "nondeterministic" in source:
            continue
        if source == PROBE:
            state_bare, state_loaded = _state(bare, index), _state(loaded, index)
            for key in sorted(set(state_bare) | set(state_loaded)):
                if key in ("random", "numpy.random") and key not in seeded:
                    continue
                if key == "numpy.random" and key not in state_bare:  # numpy comes with pyarrow (ours)
                    continue
                if key == "modules":  # modules the extension added or kept out, by name
                    added = sorted(set(state_loaded[key]) - set(state_bare[key]))
                    missing = sorted(set(state_bare[key]) - set(state_loaded[key]))
                    assert (added, missing) == ([], []), f"after {nb_bare.cells[index - 1].source!r}"
                    continue
                assert state_loaded.get(key) == state_bare.get(key), (
                    f"{key} differs after {nb_bare.cells[index - 1].source!r}")
        else:
            assert _outputs(nb_loaded.cells[index]) == _outputs(nb_bare.cells[index]), source
    ours = [line for line in loaded["log"].splitlines() if "mlm" in line.lower() or "Traceback" in line]
    assert ours == [], "\n".join(ours)
    client = MlmClient(tmp_path / "loaded" / "store")
    try:
        history = client.cell_history()
        assert len(history) == len(nb_loaded.cells)  # every executed cell recorded, once
        assert history["source"].tolist() == [c.source for c in nb_loaded.cells]
    finally:
        client.close()

