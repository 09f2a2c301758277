# Shared code for the meta-analysis reference scripts in tests/reference/meta/.
# Sourced by every script there; run the scripts from the repository root, e.g.
#   Rscript tests/reference/meta/metafor_bcg.R
# Each script writes its input data to tests/reference/meta/data/<name>.csv (so the Python tests
# never need R) and its results to tests/reference/meta/<script>.json at full precision.

suppressPackageStartupMessages(library(metafor))
options(na.action = "na.pass")  # keep omitted studies as NA so vectors stay in input order

REF_DIR <- "tests/reference/meta"
DATA_DIR <- file.path(REF_DIR, "data")

# Tight convergence so the fixtures can be compared at rtol 1e-6.
# REML/ML/EB iterate to `threshold`; PM/Q-profile root-finding uses `tol`. tau2.max is raised
# because PM on the (unit-mixing) curtis1998 mean differences needs tau2 ~ 340 > the default 100.
CTRL_ITER <- list(threshold = 1e-12, maxiter = 1000, tol = 1e-12, tau2.max = 1e7)
CTRL_CONFINT <- list(tol = 1e-12, maxiter = 10000)                 # Q-profile confint (uniroot)
TAU2_METHODS <- c("DL", "REML", "ML", "PM", "SJ", "HE", "HS", "EB")

header <- function(script) {
  list(generated_by = file.path(REF_DIR, script), r = R.version.string,
       metafor = as.character(packageVersion("metafor")))
}

write_fixture <- function(out, name) {
  jsonlite::write_json(out, file.path(REF_DIR, paste0(name, ".json")),
                       digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
}

write_data <- function(d, name) {
  dir.create(DATA_DIR, showWarnings = FALSE, recursive = TRUE)
  write.csv(d, file.path(DATA_DIR, paste0(name, ".csv")), row.names = FALSE)
  file.path("meta", "data", paste0(name, ".csv"))
}

num <- function(x) as.numeric(unname(x))
# Per-study vectors go through I() so a single study still gives a JSON array (auto_unbox).

# ---------------------------------------------------------------------------------------------
# Data sets, in the conventional column names the Python tests use.
# ---------------------------------------------------------------------------------------------
binary_from <- function(study, year, ai, n1i, ci, n2i) {
  d <- data.frame(study = study, events_treat = ai, total_treat = n1i,
                  events_ctrl = ci, total_ctrl = n2i)
  if (!is.null(year)) d <- cbind(d[1], year = year, d[-1])
  d
}

dataset <- function(name) {
  switch(name,
    bcg = with(dat.bcg, {
      d <- binary_from(author, year, tpos, tpos + tneg, cpos, cpos + cneg)
      d$alloc <- alloc
      d$ablat <- ablat
      d
    }),
    li2007 = with(dat.li2007, binary_from(study, year, ai, n1i, ci, n2i)),
    hine1989 = with(dat.hine1989, binary_from(source, NULL, ai, n1i, ci, n2i)),
    # Yusuf et al. (1985), table 6 (beta blockers, short-term mortality), used for Peto in
    # metafor's test_analysis_example_yusuf1985.r.
    # The one trial without data (Snow 1) is dropped; trial names repeat, so the id is appended.
    yusuf1985 = with(subset(dat.yusuf1985, table == "6" & !is.na(ai)),
                     binary_from(paste0(trial, " (", id, ")"), NULL, ai, n1i, ci, n2i)),
    lee2004 = with(dat.lee2004, binary_from(study, year, ai, n1i, ci, n2i)),
    # Constructed: one study with a single zero cell, one with zero events in both arms.
    zero_cells = binary_from(
      study = c("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"), year = NULL,
      ai = c(0, 0, 4, 7, 12, 3), n1i = c(25, 30, 48, 60, 110, 35),
      ci = c(3, 0, 9, 11, 15, 6), n2i = c(24, 28, 50, 62, 105, 33)),
    # Constructed: nearly identical odds ratios, Q far below its df, so every truncated tau2
    # estimator gives exactly 0 and I2 = 0.
    homogeneous = binary_from(
      study = c("H1", "H2", "H3", "H4", "H5"), year = NULL,
      ai = c(10, 21, 15, 30, 12), n1i = c(100, 200, 150, 300, 120),
      ci = c(20, 40, 31, 59, 24), n2i = c(100, 200, 150, 300, 120)),
    k1 = dataset("bcg")[1, c("study", "year", "events_treat", "total_treat", "events_ctrl", "total_ctrl")],
    k2 = dataset("bcg")[1:2, c("study", "year", "events_treat", "total_treat", "events_ctrl", "total_ctrl")],
    normand1999 = with(dat.normand1999, data.frame(
      study = source, mean_treat = m1i, sd_treat = sd1i, n_treat = n1i,
      mean_ctrl = m2i, sd_ctrl = sd2i, n_ctrl = n2i)),
    curtis1998 = with(dat.curtis1998, data.frame(
      study = paste0("paper", paper, "-id", id), mean_treat = m1i, sd_treat = sd1i, n_treat = n1i,
      mean_ctrl = m2i, sd_ctrl = sd2i, n_ctrl = n2i)),
    # Seeded simulation: k = 500, true mu = 0.3, tau2 = 0.04, within-study SE in [0.05, 0.6].
    sim500 = local({
      set.seed(20240501)
      k <- 500
      sei <- runif(k, 0.05, 0.6)
      yi <- 0.3 + rnorm(k, 0, sqrt(0.04)) + rnorm(k, 0, sei)
      data.frame(study = sprintf("S%03d", seq_len(k)), yi = yi, sei = sei)
    }),
    stop("unknown data set ", name))
}

data_type <- function(d) {
  if ("events_treat" %in% names(d)) "binary" else if ("mean_treat" %in% names(d)) "continuous" else "generic"
}

# ---------------------------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------------------------
common_fields <- function(res) {
  list(k = res$k, k_yi = if (!is.null(res$k.yi)) res$k.yi else res$k,
       beta = num(res$beta), se = num(res$se), ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub),
       zval = num(res$zval), pval = num(res$pval), tau2 = num(res$tau2),
       QE = num(res$QE), QEp = num(res$QEp), I2 = num(res$I2), H2 = num(res$H2),
       yi = I(num(res$yi.f)), vi = I(num(res$vi.f)), weights = I(num(weights(res))))
}

# The study-level escalc used for the inverse-variance analyses: metafor's defaults, i.e. 1/2 added
# to all four cells of a study with a zero cell (to = "only0") and double-zero studies KEPT
# (drop00 = FALSE; rma.mh and rma.peto drop them from their yi/vi, drop00 = TRUE).
escalc_call <- function(d, measure) {
  type <- data_type(d)
  if (type == "binary") {
    bquote(escalc(measure = .(measure), ai = events_treat, n1i = total_treat, ci = events_ctrl,
                  n2i = total_ctrl, data = d, add = 1/2, to = "only0", drop00 = FALSE))
  } else if (type == "continuous") {
    bquote(escalc(measure = .(measure), m1i = mean_treat, sd1i = sd_treat, n1i = n_treat,
                  m2i = mean_ctrl, sd2i = sd_ctrl, n2i = n_ctrl, data = d, vtype = "LS"))
  } else {
    quote(escalc(measure = "GEN", yi = yi, sei = sei, data = d))
  }
}

fit_mh <- function(d, measure) {
  cl <- bquote(rma.mh(measure = .(measure), ai = events_treat, n1i = total_treat,
                      ci = events_ctrl, n2i = total_ctrl, data = d))
  res <- suppressWarnings(eval(cl))
  c(list(id = paste("MH", measure, "fixed", sep = "-"), measure = measure, method = "MH",
         model = "fixed", tau2_method = NA, test = "z", call = deparse1(cl)),
    common_fields(res))
}

fit_peto <- function(d) {
  cl <- quote(rma.peto(ai = events_treat, n1i = total_treat, ci = events_ctrl,
                       n2i = total_ctrl, data = d))
  res <- suppressWarnings(eval(cl))
  c(list(id = "Peto-OR-fixed", measure = "OR", method = "Peto", model = "fixed",
         tau2_method = NA, test = "z", call = deparse1(cl)),
    common_fields(res))
}

fit_iv <- function(d, measure, method, test) {
  ecl <- escalc_call(d, measure)
  es <- suppressWarnings(eval(ecl))
  model <- if (method == "FE") "fixed" else "random"
  cl <- bquote(rma.uni(yi, vi, data = es, method = .(method), test = .(test),
                       control = .(CTRL_ITER)))
  res <- tryCatch(suppressWarnings(eval(cl)), error = function(e) e)
  id <- paste(c("IV", measure, model, if (model == "random") method, test), collapse = "-")
  if (inherits(res, "error")) return(NULL)
  pred <- predict(res)
  out <- c(list(id = id, measure = measure, method = "IV", model = model,
                tau2_method = if (model == "random") method else NA, test = test,
                escalc_call = deparse1(ecl), call = deparse1(cl)),
           common_fields(res),
           list(pi_lb = if (model == "random") num(pred$pi.lb) else NA,
                pi_ub = if (model == "random") num(pred$pi.ub) else NA, ddf = num(res$ddf)))
  if (model == "random" && res$k >= 2) {
    ci <- tryCatch(suppressWarnings(suppressMessages(confint(res, control = CTRL_CONFINT))),
                   error = function(e) NULL)
    if (!is.null(ci)) {
      r <- ci$random
      out <- c(out, list(tau2_ci_lb = num(r["tau^2", "ci.lb"]), tau2_ci_ub = num(r["tau^2", "ci.ub"]),
                         I2_ci_lb = num(r["I^2(%)", "ci.lb"]), I2_ci_ub = num(r["I^2(%)", "ci.ub"]),
                         H2_ci_lb = num(r["H^2", "ci.lb"]), H2_ci_ub = num(r["H^2", "ci.ub"]),
                         confint_call = "confint(res, control = list(tol = 1e-12, maxiter = 10000))"))
    }
  }
  out
}

metafor_fixture <- function(name, script) {
  d <- dataset(name)
  type <- data_type(d)
  results <- list()
  if (type == "binary") {
    for (m in c("OR", "RR", "RD")) results[[length(results) + 1]] <- fit_mh(d, m)
    results[[length(results) + 1]] <- fit_peto(d)
    measures <- c("OR", "RR", "RD")
  } else if (type == "continuous") {
    measures <- c("MD", "SMD")
  } else {
    measures <- "GEN"
  }
  for (m in measures) {
    results[[length(results) + 1]] <- fit_iv(d, m, "FE", "z")
    for (meth in TAU2_METHODS) for (test in c("z", "knha")) {
      if (test == "knha" && nrow(d) < 2) next  # t with k - 1 = 0 df is undefined
      r <- fit_iv(d, m, meth, test)
      if (!is.null(r)) results[[length(results) + 1]] <- r
    }
  }
  out <- c(header(script), list(dataset = name, type = type, data = write_data(d, name),
                                n_studies = nrow(d), results = results))
  write_fixture(out, sub("\\.R$", "", script))
  invisible(out)
}
