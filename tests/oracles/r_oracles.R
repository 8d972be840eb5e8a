# R oracles of the statistics stage (tests/r_oracles.rs reads what this writes).
#
# Run through tests/oracles/r_oracles.sh, which builds sonorad, runs the demo and a BUSI study
# and then calls: Rscript tests/oracles/r_oracles.R WORK_DIR OUT_DIR
#
# Needs R with rms, glmnet and jsonlite (Debian: r-base-core r-cran-rms r-cran-glmnet; jsonlite
# comes with them). Writes, each with the R and package versions:
#   pretty.json     - pretty(c(lo, hi), n) for random ranges, n = 5 and 10.
#   lowess.json     - lowess(x, y, iter = 0) with ties, and approx(..., ties = first) at points
#                     inside and outside the data range (NA written as null).
#   nomogram.json   - rms::nomogram(lrm fit, fun = plogis) of the combined models of the demo
#                     and of the BUSI study (Rad-score + clinical variables, training cohort),
#                     with their designs.
#   calibrate.json  - rms::calibrate(fit, B = 1000) of a weak (demo clinical: age) and a strong
#                     (demo combined) model: grid, apparent and bias-corrected curves, n, and
#                     print.calibrate's mean absolute error; with the predictions and designs.
#   glmnet.json     - cv.glmnet(x, y, family = "binomial", foldid) as called by default (each
#                     fold on its own lambda path) and with lambda = the full-data path, and a
#                     glmnet path that stops early. thresh = 1e-14 so that the comparison is of
#                     the algorithms, not of glmnet's default convergence (1e-7).
suppressMessages({
  library(rms)
  library(glmnet)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
work <- args[1]
out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

versions <- list(
  R = R.version.string,
  rms = as.character(packageVersion("rms")),
  glmnet = as.character(packageVersion("glmnet")),
  Hmisc = as.character(packageVersion("Hmisc")),
  jsonlite = as.character(packageVersion("jsonlite"))
)

# every double written with 17 significant digits (jsonlite rounds to 15), NA as null
exact <- function(v) {
  if (is.list(v)) return(lapply(v, exact))
  if (!is.double(v)) return(v)
  text <- ifelse(is.na(v), "null", sprintf("%.17g", v))
  structure(if (length(v) == 1) text else paste0("[", paste(text, collapse = ","), "]"),
            class = "json")
}

save <- function(name, value) {
  value$generated_by <- "tests/oracles/r_oracles.R"
  value$versions <- versions
  write_json(exact(value), file.path(out, name), auto_unbox = TRUE, json_verbatim = TRUE,
             pretty = FALSE)
}

# ------------------------------------------------------------------ pretty
set.seed(11)
cases <- list()
for (k in 1:300) {
  centre <- rnorm(1) * 10^runif(1, -3, 4)
  width <- 10^runif(1, -4, 4) * sample(c(0, 1, 1, 1), 1)
  lo <- centre - width * runif(1)
  hi <- lo + width
  for (n in c(5, 10)) {
    cases[[length(cases) + 1]] <- list(lo = lo, hi = hi, n = n, values = pretty(c(lo, hi), n))
  }
}
save("pretty.json", list(cases = cases))

# ------------------------------------------------------------------ lowess and approx
set.seed(12)
x <- round(runif(80), 2)                    # ties
y <- as.numeric(runif(80) < plogis(4 * x - 2))
smo <- lowess(x, y, iter = 0)
at <- c(-0.1, seq(0, 1, length = 57), 1.1)
cal <- approx(smo, xout = at, ties = function(v) v[1])$y
save("lowess.json", list(x = x, y = y, sorted_x = smo$x, fitted = smo$y, at = at, approx = cal))

# ------------------------------------------------------------------ studies
training_design <- function(study, clinical, variables) {
  scores <- read.csv(file.path(study, "scores.csv"))
  keep <- c("case_id", variables)
  d <- merge(scores[, c("case_id", "cohort", "outcome", "radscore")], clinical[, keep],
             by = "case_id", sort = FALSE)
  d <- d[match(scores$case_id[scores$cohort == "training"], d$case_id), ]
  d[complete.cases(d), ]
}

nomogram_oracle <- function(d, variables) {
  dd <- datadist(d[, c("radscore", variables)])
  options(datadist = dd)
  assign("dd", dd, envir = globalenv())
  fit <- lrm(as.formula(paste("outcome ~", paste(c("radscore", variables), collapse = " + "))),
             data = d, x = TRUE, y = TRUE)
  nom <- nomogram(fit, fun = plogis)
  info <- attr(nom, "info")
  axes <- lapply(c("radscore", variables), function(v) {
    list(name = v, values = as.numeric(nom[[v]][[v]]), points = unname(nom[[v]]$points))
  })
  list(
    design = lapply(c("outcome", "radscore", variables), function(v) d[[v]]),
    columns = c("outcome", "radscore", variables),
    coefficients = unname(coef(fit)),
    points_per_unit = info$sc,
    eta_at_zero = unname(info$Intercept),
    axes = axes,
    total_points = nom$total.points$x,
    lp_values = nom$lp$x.real,
    lp_points = nom$lp$x,
    probability_values = nom[["Predicted Value"]]$x.real,
    probability_points = nom[["Predicted Value"]]$x
  )
}

demo <- file.path(work, "demo")
demo_clinical <- read.csv(file.path(demo, "features.csv"))[, c("case_id", "age", "lvi")]
demo_model <- fromJSON(file.path(demo, "clinical_model.json"))
demo_vars <- demo_model$variables$name
demo_design <- training_design(demo, demo_clinical, demo_vars)

busi <- file.path(work, "busi")
busi_clinical <- read.csv(file.path(work, "busi_clinical.csv"))
busi_vars <- fromJSON(file.path(busi, "clinical_model.json"))$variables$name
busi_design <- training_design(busi, busi_clinical, busi_vars)

save("nomogram.json", list(
  demo = nomogram_oracle(demo_design, demo_vars),
  busi = nomogram_oracle(busi_design, busi_vars)
))

# ------------------------------------------------------------------ calibrate
calibrate_oracle <- function(d, terms) {
  dd <- datadist(d[, terms, drop = FALSE])
  options(datadist = dd)
  assign("dd", dd, envir = globalenv())
  fit <- lrm(as.formula(paste("outcome ~", paste(terms, collapse = " + "))), data = d,
             x = TRUE, y = TRUE)
  set.seed(2025)
  cal <- calibrate(fit, B = 1000)
  predicted <- attr(cal, "predicted")
  s <- !is.na(cal[, "predy"] + cal[, "calibrated.corrected"])
  err <- predicted - approx(cal[s, "predy"], cal[s, "calibrated.corrected"], xout = predicted,
                            ties = mean)$y
  list(
    terms = terms,
    design = lapply(c("outcome", terms), function(v) d[[v]]),
    predicted = unname(predicted),
    grid = unname(cal[, "predy"]),
    apparent = unname(cal[, "calibrated.orig"]),
    corrected = unname(cal[, "calibrated.corrected"]),
    n = unname(cal[, "n"]),
    mean_absolute_error = mean(abs(err), na.rm = TRUE)
  )
}
save("calibrate.json", list(
  weak = calibrate_oracle(demo_design, demo_vars),
  strong = calibrate_oracle(demo_design, c("radscore", demo_vars))
))

# ------------------------------------------------------------------ glmnet
set.seed(13)
n <- 150
p <- 8
z <- matrix(rnorm(n * p), n, p)
x <- z + 0.5 * z[, c(2:p, 1)]              # correlated columns
y <- as.numeric(runif(n) < plogis(0.3 + x[, 1] - 0.8 * x[, 3] + 0.5 * x[, 5]))
foldid <- sample(rep(1:10, length.out = n))
full <- glmnet(x, y, family = "binomial", thresh = 1e-14, maxit = 1e7)
cv_default <- cv.glmnet(x, y, family = "binomial", foldid = foldid, thresh = 1e-14, maxit = 1e7)
cv_full <- cv.glmnet(x, y, family = "binomial", foldid = foldid, lambda = full$lambda,
                     thresh = 1e-14, maxit = 1e7)

set.seed(14)
m <- 200
xs <- matrix(rnorm(m * 2), m, 2)
ys <- as.numeric(runif(m) < plogis(3 * xs[, 1] - 2 * xs[, 2]))
early <- glmnet(xs, ys, family = "binomial", thresh = 1e-14, maxit = 1e7)

save("glmnet.json", list(
  x = lapply(seq_len(n), function(i) x[i, ]),
  y = y,
  foldid = foldid,
  lambda = full$lambda,
  default = list(lambda = cv_default$lambda, cvm = cv_default$cvm, cvsd = cv_default$cvsd,
                 lambda_min = cv_default$lambda.min, lambda_1se = cv_default$lambda.1se),
  full_lambda = list(lambda = cv_full$lambda, cvm = cv_full$cvm, cvsd = cv_full$cvsd,
                     lambda_min = cv_full$lambda.min, lambda_1se = cv_full$lambda.1se),
  early = list(x = lapply(seq_len(m), function(i) xs[i, ]), y = ys, lambda = early$lambda,
               dev_ratio = early$dev.ratio)
))
cat("written to", out, "\n")
