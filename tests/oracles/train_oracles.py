#!/usr/bin/env python3
"""Expected values for tests/train_oracles.rs and tests/train_busi.rs.

Writes JSON files into tests/fixtures/train/, each recording the package versions used:

* auc_delong.json  - AUC (scikit-learn roc_auc_score and the exact pair-count fraction), and the
                     DeLong variance, covariance, 95% CI and paired p value from an independent
                     implementation of fast DeLong (Sun & Xu 2014, midrank algorithm) below.
* lasso.json       - L1 logistic regression at fixed lambdas on standardized data: scikit-learn
                     LogisticRegression(l1, saga) with C = 1 / (n * lambda), which minimizes
                     C * sum(logloss) + |w|_1, i.e. glmnet's (1/n) sum(logloss) + lambda |w|_1.
* mrmr.json        - selection order of mrmr-selection's mrmr_classif (F statistic, mean |Pearson|).
* icc.json         - Shrout & Fleiss (1979) Table 2 ratings; ICC(2,1) = 0.29 as published, and the
                     unrounded value from the two-way ANOVA mean squares.
* logistic.json    - unpenalized logistic regression coefficients from statsmodels Logit.
* tree.json        - scikit-learn DecisionTreeClassifier (gini) leaf probabilities on test points,
                     for the CART trees of sonorad's random forest: depth 1, 2, 3 on four
                     features, and unlimited depth on one feature (no ties between features).
                     Values are multiples of 1/64, so scikit-learn's float32 copy is exact.
* busi.json        - validation AUC of a scikit-learn pipeline (z-score, mrmr_classif, glmnet's own
                     L1 logistic path (python-glmnet's Fortran) cross-validated as cv.glmnet does,
                     LogisticRegression tuned by GridSearchCV) on the BUSI features, with
                     sonorad's split and folds
                     (tests/fixtures/train/busi_split.csv, sonorad's split.csv for the default
                     settings, written by
                     `cargo test --release --test train_busi -- --ignored write_busi_split`).

Run: /path/to/venv/bin/python tests/oracles/train_oracles.py  (needs numpy, scipy, pandas,
scikit-learn, statsmodels, mrmr-selection, python-glmnet).
"""
import json
import os
import platform
import sys
import warnings
from importlib.metadata import version

import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.api as sm
from glmnet import LogitNet
from mrmr import mrmr_classif
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, PredefinedSplit

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures", "train")
VERSIONS = {
    "python": platform.python_version(),
    **{p: version(p) for p in ["numpy", "scipy", "pandas", "scikit-learn", "statsmodels", "mrmr-selection",
                                "python-glmnet"]},
}


def save(name, payload):
    payload = {"generated_by": "tests/oracles/train_oracles.py", "versions": VERSIONS, **payload}
    with open(os.path.join(FIXTURES, name), "w") as f:
        json.dump(payload, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- fast DeLong (Sun & Xu 2014)
def compute_midrank(x):
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    n = len(x)
    ranks = np.zeros(n)
    i = 0
    while i < n:
        j = i
        while j < n and sorted_x[j] == sorted_x[i]:
            j += 1
        ranks[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = ranks
    return out


def fast_delong(predictions_sorted_transposed, m):
    """predictions: (k models, m positives first then n negatives)."""
    n = predictions_sorted_transposed.shape[1] - m
    positive = predictions_sorted_transposed[:, :m]
    negative = predictions_sorted_transposed[:, m:]
    k = predictions_sorted_transposed.shape[0]
    tx = np.array([compute_midrank(positive[r]) for r in range(k)])
    ty = np.array([compute_midrank(negative[r]) for r in range(k)])
    tz = np.array([compute_midrank(predictions_sorted_transposed[r]) for r in range(k)])
    aucs = tz[:, :m].sum(axis=1) / m / n - (m + 1.0) / 2.0 / n
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    sx = np.atleast_2d(np.cov(v01))
    sy = np.atleast_2d(np.cov(v10))
    return aucs, sx / m + sy / n


def auc_delong_oracle():
    rng = np.random.default_rng(20240601)
    n = 90
    labels = rng.random(n) < 0.4
    base = labels * 0.8 + rng.normal(size=n)
    scores = [
        np.round(base, 1),  # many ties
        base + rng.normal(scale=0.7, size=n),
        np.round(rng.normal(size=n) + labels * 0.3, 2),
    ]
    order = np.concatenate([np.where(labels)[0], np.where(~labels)[0]])
    m = int(labels.sum())
    aucs, cov = fast_delong(np.array([s[order] for s in scores]), m)
    models = []
    for i, s in enumerate(scores):
        pos, neg = s[labels], s[~labels]
        doubled = int(2 * (pos[:, None] > neg[None, :]).sum() + (pos[:, None] == neg[None, :]).sum())
        se = np.sqrt(cov[i, i])
        z = scipy.stats.norm.ppf(0.975)
        models.append({
            "scores": s.tolist(),
            "auc_sklearn": roc_auc_score(labels, s),
            "auc_numerator": doubled,
            "auc_denominator": int(2 * m * (n - m)),
            "auc_delong": aucs[i],
            "variance": cov[i, i],
            "ci_low": max(0.0, aucs[i] - z * se),
            "ci_high": min(1.0, aucs[i] + z * se),
        })
    pairs = []
    for a in range(3):
        for b in range(a + 1, 3):
            var = cov[a, a] + cov[b, b] - 2 * cov[a, b]
            zstat = (aucs[a] - aucs[b]) / np.sqrt(var)
            pairs.append({"a": a, "b": b, "covariance": cov[a, b], "z": zstat,
                          "p": 2 * scipy.stats.norm.sf(abs(zstat))})
    save("auc_delong.json", {"labels": labels.astype(int).tolist(), "models": models, "pairs": pairs})


# ---------------------------------------------------------------- LASSO at fixed lambda
def standardize(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


def sklearn_lasso(x, y, lam, tol=1e-12, max_iter=1_000_000, warm=None):
    n = len(y)
    model = LogisticRegression(penalty="l1", C=1.0 / (n * lam), solver="saga", tol=tol,
                               max_iter=max_iter, fit_intercept=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y)
    return model.intercept_[0], model.coef_[0]


def lasso_oracle():
    rng = np.random.default_rng(7)
    n, p = 150, 8
    x = rng.normal(size=(n, p))
    x[:, 3] += 0.6 * x[:, 0]
    eta = -0.3 + 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    z = standardize(x)
    fits = []
    for lam in [0.005, 0.02, 0.06]:
        b0, w = sklearn_lasso(z, y, lam)
        # check optimality (KKT) of the scikit-learn solution: |grad_j| <= lambda, = on support
        p_hat = 1 / (1 + np.exp(-(b0 + z @ w)))
        grad = z.T @ (y - p_hat) / n
        assert np.all(np.abs(grad) <= lam + 1e-7), "saga did not converge"
        fits.append({"lambda": lam, "intercept": b0, "coefficients": w.tolist()})
    save("lasso.json", {"x": z.tolist(), "y": y.tolist(), "fits": fits})


# ---------------------------------------------------------------- mRMR
def mrmr_oracle():
    rng = np.random.default_rng(11)
    n, p = 120, 15
    y = rng.random(n) < 0.45
    x = rng.normal(size=(n, p))
    x[:, :5] += y[:, None] * np.linspace(1.0, 0.3, 5)
    x[:, 5] = x[:, 0] + rng.normal(scale=0.3, size=n)  # redundant copy of the best feature
    x[:, 6] = x[:, 1] * 0.8 + rng.normal(scale=0.5, size=n)
    z = standardize(x)
    columns = [f"f{j:02d}" for j in range(p)]
    order = mrmr_classif(X=pd.DataFrame(z, columns=columns), y=pd.Series(y.astype(int)), K=10,
                         show_progress=False)
    save("mrmr.json", {"x": z.tolist(), "y": y.astype(int).tolist(), "k": 10,
                       "order": [columns.index(c) for c in order]})


# ---------------------------------------------------------------- ICC
def icc_oracle():
    # Shrout & Fleiss (1979), Psychological Bulletin 86:420, Table 2: 6 targets x 4 judges.
    ratings = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
                       dtype=float)
    n, k = ratings.shape
    grand = ratings.mean()
    msr = k * ((ratings.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((ratings.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    sse = ((ratings - ratings.mean(axis=1, keepdims=True) - ratings.mean(axis=0, keepdims=True) + grand) ** 2).sum()
    mse = sse / ((n - 1) * (k - 1))
    icc21 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    save("icc.json", {"ratings": ratings.tolist(), "published_icc_2_1": 0.29, "icc_2_1": icc21})


# ---------------------------------------------------------------- logistic regression
def logistic_oracle():
    rng = np.random.default_rng(3)
    n, p = 200, 4
    x = rng.normal(size=(n, p))
    eta = 0.4 + x @ np.array([1.0, -0.7, 0.3, 0.0])
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    fit = sm.Logit(y, sm.add_constant(x)).fit(method="newton", tol=1e-14, maxiter=100, disp=False)
    save("logistic.json", {"x": x.tolist(), "y": y.tolist(), "intercept": fit.params[0],
                           "coefficients": fit.params[1:].tolist()})


# ---------------------------------------------------------------- CART tree
def tree_oracle():
    from sklearn.tree import DecisionTreeClassifier
    rng = np.random.default_rng(5)
    n, p = 160, 4
    x = rng.integers(-256, 256, size=(n, p)) / 64.0
    eta = x @ np.array([1.0, -0.8, 0.5, 0.0]) + rng.normal(scale=1.0, size=n)
    y = (eta > 0).astype(int)
    test = rng.integers(-300, 300, size=(60, p)) / 64.0
    trees = []
    for depth, features in [(1, p), (2, p), (3, p), (None, 1)]:
        model = DecisionTreeClassifier(criterion="gini", max_depth=depth, random_state=0)
        model.fit(x[:, :features], y)
        trees.append({"max_depth": depth, "features": features,
                      "probability": model.predict_proba(test[:, :features])[:, 1].tolist()})
    save("tree.json", {"x": x.tolist(), "y": y.tolist(), "test": test.tolist(), "trees": trees})


# ---------------------------------------------------------------- BUSI pipeline
def glmnet_path(x, y, lambdas=None):
    """glmnet's L1 logistic path (standardize=TRUE, intercept unpenalized) on x; coefficients on
    x's scale. glmnet chooses the lambdas (100, down to 1e-4 of lambda_max) unless given, and may
    end the path early by its deviance-ratio rule."""
    model = LogitNet(alpha=1, n_lambda=100, min_lambda_ratio=1e-4, lambda_path=lambdas, standardize=True,
                     fit_intercept=True, n_splits=0, tol=1e-12, max_iter=1_000_000)
    model.fit(x, y)
    lam = model.lambda_path_ if lambdas is None else np.asarray(lambdas)[: model.coef_path_.shape[2]]
    return lam, [(model.intercept_path_[0, k], model.coef_path_[0, :, k]) for k in range(len(lam))]


def deviance(fit, x, y, clip):
    eta = fit[0] + x @ fit[1]
    if clip == 0:
        # 2 sum[log(1 + e^eta) - y eta]: finite however extreme the probabilities
        return 2 * (np.logaddexp(0, eta) - y * eta).sum()
    p = np.clip(1 / (1 + np.exp(-eta)), clip, 1 - clip)
    return -2 * (y * np.log(p) + (1 - y) * np.log(1 - p)).sum()


def busi_oracle():
    table = pd.read_csv(os.path.join(FIXTURES, "busi_features.csv"))
    split = pd.read_csv(os.path.join(FIXTURES, "busi_split.csv"))
    table = table.set_index("case_id").loc[split["case_id"]]
    features = [c for c in table.columns if "_original_" in c]
    x_all = table[features].to_numpy(float)
    y_all = split["outcome"].to_numpy(int)
    train = (split["cohort"] == "training").to_numpy()
    xtr, ytr = x_all[train], y_all[train]
    keep = xtr.std(axis=0) > 0
    xtr, xva = xtr[:, keep], x_all[~train][:, keep]
    names = [f for f, k in zip(features, keep) if k]
    mean, sd = xtr.mean(axis=0), xtr.std(axis=0)
    ztr, zva = (xtr - mean) / sd, (xva - mean) / sd
    order = mrmr_classif(X=pd.DataFrame(ztr, columns=names), y=pd.Series(ytr), K=20, show_progress=False)
    idx = [names.index(c) for c in order]
    ztr, zva = ztr[:, idx], zva[:, idx]

    # cv.glmnet (type.measure = "deviance") with glmnet's path and sonorad's folds
    lambdas, full = glmnet_path(ztr, ytr)
    folds = split.loc[train, "lasso_fold"].to_numpy(int)
    nf = folds.max() + 1
    dev = np.zeros((nf, len(lambdas)))
    sizes = np.zeros(nf)
    for f in range(nf):
        fit_rows, test_rows = folds != f, folds == f
        sizes[f] = test_rows.sum()
        _, path = glmnet_path(ztr[fit_rows], ytr[fit_rows], lambdas)
        for k in range(len(lambdas)):
            # a fold whose path ended early predicts with its last fit, as cv.glmnet does
            fit = path[min(k, len(path) - 1)]
            dev[f, k] = deviance(fit, ztr[test_rows], ytr[test_rows], 1e-5) / sizes[f]
    cvm = (sizes[:, None] * dev).sum(0) / sizes.sum()
    cvsd = np.sqrt((sizes[:, None] * (dev - cvm) ** 2).sum(0) / sizes.sum() / (nf - 1))
    i_min = int(np.argmax(cvm <= cvm.min()))
    i_1se = int(np.argmax(cvm <= cvm[i_min] + cvsd[i_min]))
    coef = full[i_1se][1]
    selected = np.flatnonzero(coef != 0)
    if len(selected) == 0:
        selected = np.arange(ztr.shape[1])
    tuning = split.loc[train, "tuning_fold"].to_numpy(int)
    grid = GridSearchCV(LogisticRegression(tol=1e-10, max_iter=10000),
                        {"C": [0.01, 0.1, 1.0, 10.0, 100.0]}, scoring="roc_auc",
                        cv=PredefinedSplit(tuning))
    grid.fit(ztr[:, selected], ytr)
    auc = roc_auc_score(y_all[~train], grid.predict_proba(zva[:, selected])[:, 1])
    # Rad-score (glmnet's linear predictor at lambda.1se) of every case, training and validation
    z_all = np.empty((len(y_all), ztr.shape[1]))
    z_all[train], z_all[~train] = ztr, zva
    radscore = full[i_1se][0] + z_all @ coef
    save("busi.json", {
        "mrmr_order": list(order),
        "lambda_min": lambdas[i_min],
        "lambda_1se": lambdas[i_1se],
        "lasso_selected": [order[i] for i in selected],
        "lasso_intercept_1se": full[i_1se][0],
        "lasso_coefficients_1se": coef.tolist(),
        "radscore": dict(zip(split["case_id"], radscore.tolist())),
        "logistic_C": grid.best_params_["C"],
        "validation_auc_logistic": auc,
    })


if __name__ == "__main__":
    os.makedirs(FIXTURES, exist_ok=True)
    parts = sys.argv[1:] or ["auc", "lasso", "mrmr", "icc", "logistic", "tree", "busi"]
    for part in parts:
        {"auc": auc_delong_oracle, "lasso": lasso_oracle, "mrmr": mrmr_oracle, "icc": icc_oracle,
         "logistic": logistic_oracle, "tree": tree_oracle, "busi": busi_oracle}[part]()
        print("done:", part, file=sys.stderr)
