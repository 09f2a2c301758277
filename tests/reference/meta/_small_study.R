# Shared code for the small-study-effect and influence reference scripts
# (small_study_*.R, influence_*.R). Sourced after _common.R; run the scripts from the repository
# root, e.g.  Rscript tests/reference/meta/small_study_bcg.R
# Input tables are written as data/ss_<name>.csv: binary `study,events_treat,total_treat,
# events_ctrl,total_ctrl` or generic `study,yi,sei`.

source("tests/reference/meta/_common.R")

ss_dataset <- function(name) {
  switch(name,
    bcg = with(dat.bcg, binary_from(author, NULL, tpos, tpos + tneg, cpos, cpos + cneg)),
    # Magnesium after myocardial infarction (Egger et al., BMJ 1997 and 2001): the classic
    # asymmetric funnel, small trials favouring magnesium, ISIS-4 not.
    egger2001 = with(dat.egger2001, binary_from(study, NULL, ai, n1i, ci, n2i)),
    # Passive smoking and lung cancer (Hackshaw et al., BMJ 1997), log OR and variance; the
    # trim-and-fill example of metafor's help page. Study names are author and year (unique).
    hackshaw1998 = with(dat.hackshaw1998,
                        data.frame(study = paste(author, year, study), yi = yi, sei = sqrt(vi))),
    # Constructed: a funnel symmetric up to small jitter (pairs of studies on either side of
    # 0.2 with similar SEs; the jitter keeps |yi - estimate| free of ties, which trim and fill
    # would break by position), so trim and fill imputes nothing.
    symmetric = data.frame(
      study = paste0("S", 1:9),
      yi = 0.2 + c(0.01, -0.31, 0.28, -0.14, 0.17, -0.62, 0.57, -0.04, 0.06),
      sei = c(0.1, 0.21, 0.2, 0.15, 0.16, 0.41, 0.4, 0.12, 0.13)),
    # Constructed: three studies, the smallest number Egger's test accepts.
    k3 = data.frame(study = c("A", "B", "C"), yi = c(-0.5, -0.2, 0.1), sei = c(0.4, 0.2, 0.1)),
    # Constructed: equal-size studies, so the variances tie and Begg's test falls back to the
    # normal approximation (cor.test warns "Cannot compute exact p-value with ties").
    ties = data.frame(study = paste0("T", 1:6), yi = c(0.1, 0.5, -0.2, 0.3, 0.9, 0.4),
                      sei = c(0.2, 0.2, 0.3, 0.1, 0.3, 0.25)),
    homogeneous = dataset("homogeneous"),
    stop("unknown data set ", name))
}

is_binary <- function(d) "events_treat" %in% names(d)

# escalc on the conventional columns: metafor's defaults (1/2 added to all cells of a study
# with a zero cell, double-zero studies kept).
ss_escalc <- function(d, measure) {
  if (is_binary(d)) {
    escalc(measure = measure, ai = events_treat, n1i = total_treat, ci = events_ctrl,
           n2i = total_ctrl, data = d, add = 1/2, to = "only0", drop00 = FALSE)
  } else {
    escalc(measure = "GEN", yi = yi, sei = sei, data = d)
  }
}

# One analysis. method is "MH", "FE" or a tau2 method; test "z" or "knha".
ss_fit <- function(d, measure, method, test = "z") {
  if (method == "MH") {
    cl <- bquote(rma.mh(measure = .(measure), ai = events_treat, n1i = total_treat,
                        ci = events_ctrl, n2i = total_ctrl, data = d))
  } else {
    cl <- bquote(rma.uni(yi, vi, data = ss_escalc(d, .(measure)), method = .(method),
                         test = .(test), control = .(CTRL_ITER)))
  }
  list(res = eval(cl), call = deparse1(cl))
}

spec_fields <- function(measure, method, test) {
  list(measure = measure, method = if (method == "MH") "MH" else "IV",
       model = if (method %in% c("MH", "FE")) "fixed" else "random",
       tau2_method = if (method %in% c("MH", "FE")) NA else method, hakn = test == "knha")
}

egger_lm_fields <- function(res) {
  rt <- regtest(res, model = "lm", predictor = "sei")
  co <- coef(summary(rt$fit))
  ci <- confint(rt$fit, level = 1 - res$level)
  list(call = "regtest(res, model = \"lm\", predictor = \"sei\")",
       bias = co[2, 1], se = co[2, 2], ci_lb = ci[2, 1], ci_ub = ci[2, 2],
       t = num(rt$zval), df = num(rt$ddf), pval = num(rt$pval),
       limit_est = num(rt$est), limit_ci_lb = num(rt$ci.lb), limit_ci_ub = num(rt$ci.ub))
}

egger_rma_fields <- function(res) {
  rt <- regtest(res)  # metafor's default: model = "rma", predictor = "sei"; uses res$control
  f <- rt$fit
  list(call = "regtest(res)", bias = num(f$beta[2]), se = num(f$se[2]),
       ci_lb = num(f$ci.lb[2]), ci_ub = num(f$ci.ub[2]), zval = num(rt$zval),
       df = if (is.null(rt$ddf) || is.na(rt$ddf)) NA else num(rt$ddf), pval = num(rt$pval),
       tau2 = num(f$tau2), limit_est = num(rt$est), limit_ci_lb = num(rt$ci.lb),
       limit_ci_ub = num(rt$ci.ub))
}

begg_fields <- function(res) {
  ties <- length(unique(res$vi)) < res$k
  rk <- if (ties) suppressWarnings(ranktest(res)) else ranktest(res)
  list(call = "ranktest(res)", tau = num(rk$tau), pval = num(rk$pval), exact = !ties)
}

# Peters et al. (JAMA 2006), by hand: weighted regression of the log OR on 1 / total sample
# size, weights S F / N (S events, F non-events, N participants, both arms together).
peters_fields <- function(d, res) {
  n <- d$total_treat + d$total_ctrl
  s <- d$events_treat + d$events_ctrl
  f <- n - s
  yi <- as.numeric(res$yi)
  fit <- lm(yi ~ I(1/n), weights = s * f / n)
  co <- coef(summary(fit))
  ci <- confint(fit, level = 1 - res$level)
  list(call = "lm(yi ~ I(1/n), weights = s * f / n)",
       slope = co[2, 1], se = co[2, 2], ci_lb = ci[2, 1], ci_ub = ci[2, 2], t = co[2, 3],
       df = fit$df.residual, pval = co[2, 4],
       limit_est = co[1, 1], limit_ci_lb = ci[1, 1], limit_ci_ub = ci[1, 2])
}

# metafor's trimfill() needs an rma.uni model: an M-H analysis is refitted as inverse-variance
# fixed effect on rma.mh's own yi and vi.
as_uni <- function(res) {
  if (inherits(res, "rma.uni")) return(res)
  rma.uni(res$yi, res$vi, method = "FE", control = CTRL_ITER)
}

trimfill_fields <- function(res, estimator) {
  uni <- as_uni(res)
  tf <- trimfill(uni, estimator = estimator, control = CTRL_ITER)
  fill <- if (tf$k0 > 0) tf$fill else rep(FALSE, tf$k)
  list(call = paste0("trimfill(res, estimator = \"", estimator,
                     "\", control = list(threshold = 1e-12, ...))"),
       estimator = estimator, k0 = tf$k0, se_k0 = num(tf$se.k0), side = tf$side,
       p_k0 = num(tf$p.k0), k = tf$k, beta = num(tf$beta), se = num(tf$se),
       ci_lb = num(tf$ci.lb), ci_ub = num(tf$ci.ub), zval = num(tf$zval), pval = num(tf$pval),
       tau2 = num(tf$tau2), QE = num(tf$QE),
       filled_yi = I(num(tf$yi[fill])), filled_vi = I(num(tf$vi[fill])))  # I(): arrays even for k0 = 1
}

small_study_analysis <- function(d, measure, method, test = "z", trimfill = TRUE) {
  f <- ss_fit(d, measure, method, test)
  res <- f$res
  out <- c(spec_fields(measure, method, test),
           list(call = f$call, k = res$k, beta = num(res$beta), se = num(res$se),
                tau2 = num(res$tau2), yi = num(res$yi), vi = num(res$vi),
                egger_lm = egger_lm_fields(res), egger_rma = egger_rma_fields(res),
                begg = begg_fields(res)))
  if (is_binary(d) && measure == "OR") out$peters <- peters_fields(d, res)
  if (trimfill) {
    out$trimfill <- lapply(c("L0", "R0"), function(e) trimfill_fields(res, e))
  }
  out
}

# Writes <script>.json: one entry per data set, each with its analyses. `analyses` maps a data set
# name to a function of the data returning a list of analyses.
ss_fixture <- function(script, analyses) {
  datasets <- lapply(names(analyses), function(name) {
    d <- ss_dataset(name)
    list(dataset = name, data = write_data(d, paste0("ss_", name)), analyses = analyses[[name]](d))
  })
  out <- c(header(script), list(datasets = datasets))
  write_fixture(out, sub("\\.R$", "", script))
  invisible(out)
}

influence_analysis <- function(d, measure, method, test = "z") {
  f <- ss_fit(d, measure, method, test)
  inf <- influence(f$res)
  i <- inf$inf
  c(spec_fields(measure, method, test),
    list(call = f$call, influence_call = "influence(res)", k = f$res$k,
         rstudent = num(i$rstudent), dffits = num(i$dffits), cook_d = num(i$cook.d),
         cov_r = num(i$cov.r), tau2_del = num(i$tau2.del), QE_del = num(i$QE.del),
         hat = num(i$hat), weight = num(i$weight), dfbetas = num(inf$dfbs[[1]]),
         influential = as.logical(inf$is.infl)))
}
