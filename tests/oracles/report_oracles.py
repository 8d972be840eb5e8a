#!/usr/bin/env python3
"""Expected values of the clinical / evaluation tests (tests/report_oracles.rs), computed with
independent implementations:

* logistic regression OR, 95% CI and Wald p: statsmodels `Logit` (Newton), categorical dummies
  against the first sorted level (as R's factor);
* Hosmer-Lemeshow: a pandas re-implementation of R ResourceSelection::hoslem.test (breaks =
  unique type-7 quantiles, right-closed intervals, lowest included, df = g - 2, scipy chi2);
* lowess (iter = 0): statsmodels `lowess(frac=2/3, it=0, delta=0, xvals=grid)`;
* Mann-Whitney: scipy `mannwhitneyu(use_continuity=True, method="asymptotic")`;
  chi-square: scipy `chi2_contingency(correction=False)`; Fisher: scipy `fisher_exact`;
* nomogram points: the rms rule (see the test), written out here directly.

Run from the repository root:
    python3 -m venv /tmp/report-venv && /tmp/report-venv/bin/pip install statsmodels scipy numpy pandas
    /tmp/report-venv/bin/python tests/oracles/report_oracles.py
Writes tests/fixtures/report/oracles.json.
"""
import json
import os

import numpy as np
import pandas as pd
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import stats
from statsmodels.nonparametric.smoothers_lowess import lowess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "report", "oracles.json")

rng = np.random.default_rng(7)
n = 200
age = np.round(rng.normal(55, 10, n), 1)
size = np.round(rng.gamma(4.0, 5.0, n), 2)
group = rng.choice(["a", "b", "c"], n, p=[0.4, 0.35, 0.25])
eta = -6.0 + 0.08 * age + 0.05 * size + np.where(group == "b", 0.7, 0.0) + np.where(group == "c", -0.5, 0.0)
y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
ids = [f"case{i:03d}" for i in range(n)]


def logit(columns, names):
    x = sm.add_constant(np.column_stack(columns).astype(float))
    fit = sm.Logit(y, x).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    ci = fit.conf_int(alpha=0.05)
    return [
        {
            "term": names[j],
            "coefficient": fit.params[j + 1],
            "standard_error": fit.bse[j + 1],
            "odds_ratio": float(np.exp(fit.params[j + 1])),
            "ci_low": float(np.exp(ci[j + 1][0])),
            "ci_high": float(np.exp(ci[j + 1][1])),
            "p": fit.pvalues[j + 1],
        }
        for j in range(len(names))
    ]


dummy_b = (group == "b").astype(float)
dummy_c = (group == "c").astype(float)
logistic = {
    "ids": ids,
    "age": age.tolist(),
    "size": size.tolist(),
    "group": group.tolist(),
    "outcome": y.tolist(),
    "univariate": {
        "age": logit([age], ["age"]),
        "size": logit([size], ["size"]),
        "group": logit([dummy_b, dummy_c], ["group=b", "group=c"]),
    },
    "multivariable": logit([age, size, dummy_b, dummy_c], ["age", "size", "group=b", "group=c"]),
}

# Hosmer-Lemeshow, as ResourceSelection::hoslem.test
p_hat = np.round(1 / (1 + np.exp(-(eta + rng.normal(0, 0.6, n)))), 6)


def hoslem(yv, yhat, g=10):
    breaks = np.unique(np.quantile(yhat, np.linspace(0, 1, g + 1)))
    cut = pd.cut(yhat, bins=breaks, include_lowest=True)
    frame = pd.DataFrame({"y": yv, "p": yhat, "cut": cut})
    grouped = frame.groupby("cut", observed=True)
    obs1 = grouped["y"].sum()
    exp1 = grouped["p"].sum()
    obs0 = grouped["y"].count() - obs1
    exp0 = grouped["p"].count() - exp1
    chisq = float((((obs1 - exp1) ** 2) / exp1).sum() + (((obs0 - exp0) ** 2) / exp0).sum())
    return {"statistic": chisq, "df": g - 2, "p": float(stats.chi2.sf(chisq, g - 2))}


# a second set with heavy ties (the breaks collapse)
p_tied = np.round(p_hat, 1)
hl = {
    "predicted": p_hat.tolist(),
    "outcome": y.tolist(),
    "result": hoslem(y, p_hat),
    "tied_predicted": p_tied.tolist(),
    "tied_result": hoslem(y, p_tied),
    "brier": float(np.mean((p_hat - y) ** 2)),
}

grid = np.linspace(p_hat.min(), p_hat.max(), 50)
smooth = {
    "grid": grid.tolist(),
    "values": lowess(y.astype(float), p_hat, frac=2 / 3, it=0, delta=0.0, xvals=grid).tolist(),
}

# cohort-table tests
mw = stats.mannwhitneyu(age[y == 0], age[y == 1], use_continuity=True, alternative="two-sided", method="asymptotic")
table = pd.crosstab(group, y).values
chi2 = stats.chi2_contingency(table, correction=False)
fisher = stats.fisher_exact([[7, 2], [3, 9]])
tests = {
    "mann_whitney_p": float(mw.pvalue),
    "chi_square_counts": table.tolist(),
    "chi_square_p": float(chi2.pvalue),
    "fisher_table": [[7, 2], [3, 9]],
    "fisher_p": float(fisher.pvalue),
}

# nomogram: rms rule, written out
intercept = -4.2
predictors = [
    {"name": "Rad-score", "coefficient": 1.3, "min": -2.5, "max": 3.0},
    {"name": "age", "coefficient": 0.045, "min": 25.0, "max": 85.0},
    {"name": "lvi", "levels": [["no", 0.0], ["yes", 0.9]]},
]
ranges = []
for p in predictors:
    if "levels" in p:
        contrib = [b for _, b in p["levels"]]
    else:
        contrib = [p["coefficient"] * p["min"], p["coefficient"] * p["max"]]
    ranges.append((min(contrib), max(contrib)))
scale = 100 / max(hi - lo for lo, hi in ranges)
eta0 = intercept + sum(lo for lo, _ in ranges)
nomogram = {
    "intercept": intercept,
    "predictors": predictors,
    "scale": scale,
    "eta_at_zero": eta0,
    "spans": [scale * (hi - lo) for lo, hi in ranges],
    "points_age_60": scale * (0.045 * 60 - ranges[1][0]),
    "points_radscore_0": scale * (1.3 * 0 - ranges[0][0]),
    "points_lvi_yes": scale * (0.9 - ranges[2][0]),
    "total_points_p_0_5": scale * (0.0 - eta0),
    "probability_at_100_points": 1 / (1 + np.exp(-(eta0 + 100 / scale))),
}

with open(OUT, "w") as f:
    json.dump(
        {
            "provenance": f"tests/oracles/report_oracles.py; numpy {np.__version__}, scipy {scipy.__version__}, "
            f"statsmodels {statsmodels.__version__}, pandas {pd.__version__}",
            "logistic": logistic,
            "hosmer_lemeshow": hl,
            "lowess": smooth,
            "tests": tests,
            "nomogram": nomogram,
        },
        f,
        indent=1,
    )
print("wrote", OUT)
