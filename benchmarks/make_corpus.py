"""Write the real-style notebook corpus of ``bench_notebooks.py`` to ``benchmarks/corpus/``.

Our own notebooks in the styles the kernel extension met in third-party ones:
wide DataFrames and display options, ``plt.subplots`` grids, tuples of
arrays, seeded and unseeded randomness, scikit-learn example style, Python
Data Science Handbook style, plain numpy. Offline: data is generated or comes
with scikit-learn. Run: ``python benchmarks/make_corpus.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).parent / "corpus"

SETUP = "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt"

CORPUS: dict[str, list[str]] = {
    "wide_frames": [
        SETUP,
        "rng = np.random.default_rng(0)\ndf = pd.DataFrame(rng.normal(size=(500, 40)), "
        "columns=[f'feature_{i:02d}' for i in range(40)])\ndf.head()",
        "df.describe()",
        "df['target'] = (df['feature_00'] + df['feature_01'] > 0).astype(int)\ndf['target'].value_counts()",
        "corr = df.corr()\ncorr.iloc[:5, :8]",
        "X, y = df.drop(columns='target'), df['target']\nX.shape, y.shape",
        "X.T.head()",
    ],
    "display_options": [
        SETUP,
        "pd.get_option('display.max_columns'), pd.get_option('display.max_rows')",
        "pd.set_option('display.precision', 2)\npd.DataFrame(np.linspace(0, 1, 12).reshape(3, 4))",
        "pd.set_option('display.max_columns', 6)\npd.DataFrame(np.arange(40).reshape(2, 20))",
        "with pd.option_context('display.max_rows', 4):\n    print(pd.Series(range(20)))",
        "pd.reset_option('display.precision')\npd.DataFrame({'x': [1 / 3, 2 / 3]})",
        "pd.DataFrame({'name': ['a' * 80, 'b' * 5]})",
    ],
    "subplots_grid": [
        SETUP,
        "fig, axes = plt.subplots(3, 3, figsize=(8, 8), sharex=True)\naxes.shape",
        "x = np.linspace(0, 2 * np.pi, 200)\nfor i, ax in enumerate(axes.flat):\n    ax.plot(x, np.sin((i + 1) * x))\n"
        "    ax.set_title(f'k={i + 1}')\nfig.tight_layout()",
        "fig",
        "fig2, (left, right) = plt.subplots(1, 2)\nleft.hist(np.random.default_rng(1).normal(size=500), bins=20)\n"
        "right.scatter(x, np.cos(x), s=2)\nplt.show()",
        "axes[0, 0].get_title(), len(fig.axes)",
    ],
    "tuples_of_arrays": [
        SETUP,
        "rng = np.random.default_rng(3)\ndata = rng.normal(size=(200, 3))\n"
        "counts, edges = np.histogram(data[:, 0], bins=10)\ncounts",
        "split = (data[:150], data[150:])\ntrain, test = split\ntrain.shape, test.shape",
        "stats = tuple((col.mean(), col.std()) for col in data.T)\nstats",
        "pairs = np.empty(3, dtype=object)\npairs[:] = [(1, 2), (3, 4), (5, 6)]\npairs",
        "u, s, vt = np.linalg.svd(data, full_matrices=False)\ns.round(3)",
        "grid = np.meshgrid(np.arange(3), np.arange(4))\n[g.shape for g in grid]",
    ],
    "seeded_random": [
        SETUP,
        "import random\nrandom.seed(42)\nnp.random.seed(42)",
        "[random.randint(0, 100) for _ in range(5)], np.random.randint(0, 100, 5)",
        "sample = np.random.normal(size=1000)\nsample.mean().round(4), sample.std().round(4)",
        "random.shuffle(items := list(range(10)))\nitems",
        "pd.Series(np.random.choice(['a', 'b', 'c'], 50)).value_counts()",
    ],
    "unseeded_random": [
        SETUP,
        "noise = np.random.rand(1000)\nnoise.shape",
        "import random\nrandom.random() < 1.0",
        "frame = pd.DataFrame({'a': np.random.normal(size=100)})\nlen(frame)",
        "plt.plot(np.cumsum(np.random.normal(size=300)))\nplt.show()",
    ],
    "sklearn_classification": [
        SETUP,
        "from sklearn.datasets import make_classification\nX, y = make_classification(n_samples=1000, n_features=20, "
        "random_state=0)\nX.shape",
        "from sklearn.model_selection import train_test_split\nX_train, X_test, y_train, y_test = train_test_split("
        "X, y, random_state=0)",
        "from sklearn.linear_model import LogisticRegression\nclf = LogisticRegression(max_iter=500).fit(X_train, y_train)\n"
        "clf.score(X_test, y_test)",
        "from sklearn.metrics import confusion_matrix, ConfusionMatrixDisplay\ncm = confusion_matrix(y_test, "
        "clf.predict(X_test))\nConfusionMatrixDisplay(cm).plot()\nplt.show()",
        "from sklearn.model_selection import cross_val_score\ncross_val_score(clf, X, y, cv=5).round(3)",
    ],
    "sklearn_regression": [
        SETUP,
        "from sklearn.datasets import load_diabetes\nX, y = load_diabetes(return_X_y=True, as_frame=True)\nX.head()",
        "from sklearn.linear_model import Ridge, Lasso\nalphas = np.logspace(-3, 1, 12)\n"
        "coefs = [Ridge(alpha=a).fit(X, y).coef_ for a in alphas]\nlen(coefs)",
        "fig, ax = plt.subplots()\nax.plot(alphas, coefs)\nax.set_xscale('log')\nplt.show()",
        "lasso = Lasso(alpha=0.1).fit(X, y)\npd.Series(lasso.coef_, index=X.columns).round(2)",
        "results = pd.DataFrame({'alpha': alphas, 'score': [Ridge(alpha=a).fit(X, y).score(X, y) for a in alphas]})\n"
        "results",
    ],
    "sklearn_pipeline": [
        SETUP,
        "from sklearn.datasets import load_iris\nX, y = load_iris(return_X_y=True)",
        "from sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import StandardScaler\n"
        "from sklearn.svm import SVC\npipe = make_pipeline(StandardScaler(), SVC())",
        "from sklearn.model_selection import GridSearchCV\nsearch = GridSearchCV(pipe, {'svc__C': [0.1, 1, 10]}, cv=3)"
        ".fit(X, y)\nsearch.best_params_",
        "pd.DataFrame(search.cv_results_)[['param_svc__C', 'mean_test_score', 'rank_test_score']]",
        "search.best_estimator_",
    ],
    "sklearn_clustering": [
        SETUP,
        "from sklearn.datasets import make_blobs\nX, labels = make_blobs(n_samples=600, centers=4, random_state=1)",
        "from sklearn.cluster import KMeans\nkm = KMeans(n_clusters=4, n_init=4, random_state=0).fit(X)\n"
        "np.bincount(km.labels_)",
        "fig, axes = plt.subplots(1, 2, figsize=(8, 3))\naxes[0].scatter(X[:, 0], X[:, 1], c=labels, s=4)\n"
        "axes[1].scatter(X[:, 0], X[:, 1], c=km.labels_, s=4)\nplt.show()",
        "inertia = [KMeans(n_clusters=k, n_init=2, random_state=0).fit(X).inertia_ for k in range(1, 7)]\n"
        "np.round(inertia, 1)",
    ],
    "sklearn_decomposition": [
        SETUP,
        "from sklearn.datasets import load_digits\ndigits = load_digits()\ndigits.data.shape",
        "from sklearn.decomposition import PCA\npca = PCA(n_components=10).fit(digits.data)\n"
        "pca.explained_variance_ratio_.round(3)",
        "fig, axes = plt.subplots(2, 5, figsize=(8, 3))\nfor ax, comp in zip(axes.flat, pca.components_):\n"
        "    ax.imshow(comp.reshape(8, 8), cmap='gray')\n    ax.axis('off')\nplt.show()",
        "projected = pca.transform(digits.data)\nprojected[:3].round(2)",
    ],
    "pdsh_numpy_intro": [
        "import numpy as np\nnp.__name__",
        "x1 = np.random.randint(10, size=6)\nx2 = np.random.randint(10, size=(3, 4))\nx2.ndim, x2.shape, x2.size",
        "x = np.arange(10)\nx[::2], x[::-1], x[5::-2]",
        "grid = np.arange(1, 10).reshape((3, 3))\ngrid",
        "np.concatenate([grid, grid], axis=1)",
        "theta = np.linspace(0, np.pi, 3)\nnp.sin(theta).round(3), np.exp(np.arange(3)).round(3)",
        "M = np.ones((2, 3))\na = np.arange(3)\nM + a",
        "rand = np.random.RandomState(42)\nX = rand.randint(100, size=(3, 4))\nX[:, [2, 0, 1]]",
    ],
    "pdsh_pandas_series": [
        "import numpy as np\nimport pandas as pd",
        "data = pd.Series([0.25, 0.5, 0.75, 1.0], index=['a', 'b', 'c', 'd'])\ndata",
        "population = pd.Series({'California': 38332521, 'Texas': 26448193, 'New York': 19651127})\npopulation",
        "area = pd.Series({'California': 423967, 'Texas': 695662, 'New York': 141297})\n"
        "states = pd.DataFrame({'population': population, 'area': area})\nstates",
        "states['density'] = states['population'] / states['area']\nstates.loc[states.density > 100, ['population']]",
        "states.T",
        "data.loc['a':'c'], data.iloc[1:3]",
    ],
    "pdsh_groupby": [
        "import numpy as np\nimport pandas as pd",
        "rng = np.random.RandomState(0)\ndf = pd.DataFrame({'key': list('ABCABC'), 'data1': range(6), "
        "'data2': rng.randint(0, 10, 6)})\ndf",
        "df.groupby('key').sum()",
        "df.groupby('key').aggregate(['min', 'median', 'max'])",
        "df.groupby('key').filter(lambda x: x['data2'].std() > 4)",
        "titanic = pd.DataFrame({'sex': rng.choice(['male', 'female'], 300), 'class': rng.choice(['First', 'Second', "
        "'Third'], 300), 'survived': rng.randint(0, 2, 300)})\ntitanic.pivot_table('survived', index='sex', "
        "columns='class', observed=False)",
    ],
    "pdsh_timeseries": [
        "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt",
        "index = pd.date_range('2024-01-01', periods=365, freq='D')\n"
        "ts = pd.Series(np.random.RandomState(1).normal(size=365).cumsum(), index=index)\nts.head()",
        "ts.resample('ME').mean().round(2)",
        "rolling = ts.rolling(30, center=True)\npd.DataFrame({'input': ts, 'mean': rolling.mean(), "
        "'std': rolling.std()}).dropna().head()",
        "ts.plot()\nts.rolling(30).mean().plot()\nplt.show()",
        "ts.shift(7).head(10)",
    ],
    "pdsh_missing": [
        "import numpy as np\nimport pandas as pd",
        "df = pd.DataFrame([[1, np.nan, 2], [2, 3, 5], [np.nan, 4, 6]])\ndf",
        "df.isnull(), df.dropna(), df.dropna(axis='columns')",
        "df.fillna(0)",
        "df.ffill(axis=1)",
        "pd.Series([1, np.nan, 'hello', None]).notnull()",
    ],
    "pdsh_merge": [
        "import pandas as pd",
        "df1 = pd.DataFrame({'employee': ['Bob', 'Jake', 'Lisa', 'Sue'], 'group': ['Accounting', 'Engineering', "
        "'Engineering', 'HR']})\ndf2 = pd.DataFrame({'employee': ['Lisa', 'Bob', 'Jake', 'Sue'], "
        "'hire_date': [2004, 2008, 2012, 2014]})",
        "df3 = pd.merge(df1, df2)\ndf3",
        "pd.concat([df1, df2], keys=['x', 'y'])",
        "df1.set_index('employee').join(df2.set_index('employee'))",
    ],
    "pdsh_matplotlib": [
        "import numpy as np\nimport matplotlib.pyplot as plt\nplt.style.use('default')",
        "x = np.linspace(0, 10, 100)\nfig = plt.figure()\nplt.plot(x, np.sin(x), '-')\nplt.plot(x, np.cos(x), '--')\n"
        "plt.show()",
        "plt.scatter(x, np.sin(x), marker='o', c=x, cmap='viridis')\nplt.colorbar()\nplt.show()",
        "data = np.random.RandomState(2).randn(1000)\nplt.hist(data, bins=30, alpha=0.5)\nplt.show()",
        "fig, ax = plt.subplots(2, 3, sharex='col', sharey='row')\nfor i in range(2):\n    for j in range(3):\n"
        "        ax[i, j].text(0.5, 0.5, str((i, j)), ha='center')\nplt.show()",
        "plt.rcParams['figure.figsize']",
    ],
    "plain_numpy_linalg": [
        "import numpy as np",
        "A = np.random.RandomState(0).normal(size=(200, 200))\nB = A @ A.T\nB.shape",
        "w, v = np.linalg.eigh(B)\nw[-3:].round(2)",
        "u, s, vt = np.linalg.svd(A)\ns[:3].round(3)",
        "x = np.linalg.solve(B + np.eye(200), np.ones(200))\nx[:3].round(5)",
        "np.linalg.norm(A, ord='fro').round(3), np.trace(B).round(2)",
    ],
    "plain_numpy_sim": [
        "import numpy as np\nrng = np.random.default_rng(5)",
        "walks = rng.choice([-1, 1], size=(500, 1000)).cumsum(axis=1)\nwalks.shape",
        "(np.abs(walks) >= 30).any(axis=1).mean()",
        "pi_estimate = 4 * (rng.random((200_000, 2)) ** 2).sum(axis=1).__le__(1).mean()\nround(pi_estimate, 2)",
        "results = []\nfor trial in range(50):\n    results.append(rng.exponential(2.0, 1000).mean())\n"
        "np.mean(results).round(2)",
    ],
    "string_frames": [
        "import numpy as np\nimport pandas as pd",
        "words = pd.Series(['apple', 'Banana', None, 'cherry pie', 'date'] * 2000)\nwords.str.upper().head()",
        "frame = pd.DataFrame({'text': words, 'length': words.str.len()})\nframe.describe()",
        "frame['first'] = frame['text'].str[0]\nframe['first'].value_counts(dropna=False)",
        "labels = np.array(['a', 'b', None, 'c'], dtype=object)\nlabels",
        "frame.groupby('first', dropna=False)['length'].mean().round(2)",
    ],
    "object_arrays": [
        "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt",
        "records = np.array([{'a': 1}, {'b': 2}], dtype=object)\nrecords",
        "mixed = pd.DataFrame({'pairs': [(1, 2), (3, 4), (5, 6)], 'lists': [[1], [2, 3], []]})\nmixed",
        "fig, axs = plt.subplots(2, 2)\ntype(axs).__name__, axs.dtype",
        "shapes = tuple(np.zeros((i, 2)) for i in range(1, 4))\n[s.shape for s in shapes]",
        "plt.close('all')",
    ],
    # two long ones (over 10 s bare): with no pause between cells, the capture's thread works during cells
    # once the oldest record waited 10 s (set-up, hashing, the store write), which short notebooks never show
    "long_feature_engineering": [
        SETUP,
        "rng = np.random.default_rng(11)\nraw = pd.DataFrame(rng.normal(size=(400_000, 12)), "
        "columns=[f'x{i}' for i in range(12)])\nraw['group'] = rng.integers(0, 50, len(raw))\nraw.shape",
        *[f"raw['x{i}'] = raw['x{i}'].clip(-3, 3)\nraw.loc[raw['x{i}'] > 2.5, 'x{i}'] = 2.5\n"
          f"stats_{i} = raw.groupby('group')['x{i}'].agg(['mean', 'std', 'max'])\n"
          f"ranks_{i} = raw['x{i}'].rank(pct=True)\nstats_{i}.head(3)" for i in range(12)],
        *[f"pivot_{k} = raw.assign(bucket=(raw['x{k}'] * 4).round()).pivot_table(index='group', "
          f"columns='bucket', values='x{(k + 1) % 12}', aggfunc='mean')\npivot_{k}.shape" for k in range(12)],
        *[f"arr_{k} = raw[[f'x{{j}}' for j in range(12)]].to_numpy()\narr_{k} -= arr_{k}.mean(axis=0)\n"
          f"cov_{k} = arr_{k}.T @ arr_{k} / len(arr_{k})\nnp.linalg.eigvalsh(cov_{k})[-3:].round(3)" for k in range(8)],
        "summary = pd.concat([stats_0, stats_1], axis=1, keys=['x0', 'x1'])\nsummary.tail()",
    ],
    "long_model_sweep": [
        SETUP + "\nfrom sklearn.datasets import make_classification\nfrom sklearn.model_selection import "
        "cross_val_score\nfrom sklearn.linear_model import LogisticRegression\n"
        "from sklearn.ensemble import RandomForestClassifier\nfrom sklearn.tree import DecisionTreeClassifier",
        "X, y = make_classification(n_samples=8000, n_features=30, n_informative=12, random_state=0)\nX.shape",
        *[f"scores_lr_{c} = cross_val_score(LogisticRegression(C={c}, max_iter=500), X, y, cv=5)\n"
          f"scores_lr_{c}.mean().round(4)" for c in ("0.01", "0.1", "1.0", "10.0")],
        *[f"scores_tree_{d} = cross_val_score(DecisionTreeClassifier(max_depth={d}, random_state=0), X, y, cv=5)\n"
          f"scores_tree_{d}.mean().round(4)" for d in (2, 4, 8, 16)],
        *[f"forest_{n} = RandomForestClassifier(n_estimators={n}, random_state=0, n_jobs=1)\n"
          f"scores_rf_{n} = cross_val_score(forest_{n}, X, y, cv=3)\nscores_rf_{n}.mean().round(4)"
          for n in (20, 40, 60)],
        "table = pd.DataFrame({name: [value.mean(), value.std()] for name, value in globals().items() "
        "if name.startswith('scores_')}, index=['mean', 'std']).T\ntable.sort_values('mean').tail()",
    ],
}


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for name, cells in CORPUS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {name.replace('_', ' ')}")]
        nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
        nbformat.write(nb, HERE / f"{name}.ipynb")
    print(f"{len(CORPUS)} notebooks in {HERE}")


if __name__ == "__main__":
    main()
