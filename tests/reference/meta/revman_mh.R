# Writes revman_mh.json (and the input CSVs in data/). Run from the repository root:
#   Rscript tests/reference/meta/revman_mh.R
#
# The Review Manager 5 algorithms, written out BY HAND from
#   Deeks JJ, Higgins JPT. "Statistical algorithms in Review Manager 5". Cochrane Collaboration,
#   2010 (August 2010 revision), sections 1.1 (dichotomous data) and 1.2 (continuous data),
# so the fixture does not depend on any package's choices:
#   * Mantel-Haenszel OR / RR / RD, fixed effect (Deeks & Higgins eqs. for O_MH, R_MH, D_MH).
#     Zero cells: 0.5 is added to all four cells of a study with a zero cell, and this corrected
#     table is ALSO used in the M-H pooling (as RevMan 5 and R meta's MH.exact = FALSE do; metafor's
#     rma.mh pools the uncorrected tables). Studies with no events in either arm are excluded for
#     OR and RR, but kept (corrected) for RD.
#   * Variances: Robins-Breslow-Greenland (1986) for ln OR_MH; Greenland-Robins (1985) for ln RR_MH
#     and for RD_MH (RD: var = sum((a b n2^3 + c d n1^3)/(n1 n2 N^2)) / (sum(n1 n2 / N))^2;
#     metafor's rma.mh uses the Sato-Greenland-Robins (1989) variance for RD instead).
#   * Heterogeneity: Q = sum w_i (y_i - theta_MH)^2 with w_i the inverse-variance weights of the
#     (corrected) study estimates; df = k - 1; I2 = max(0, (Q - df)/Q).
#   * M-H random effects: DerSimonian-Laird with that Q, tau2 = max(0, (Q - df)/(sum w - sum w^2/sum w)),
#     then inverse-variance pooling with weights 1/(v_i + tau2).
#   * Continuous data (section 1.2): MD with var = sd1^2/n1 + sd2^2/n2; SMD = Hedges' adjusted g with
#     the approximate correction J = 1 - 3/(4N - 9) and var = N/(n1 n2) + g^2/(2 (N - 3.94));
#     inverse-variance fixed and DerSimonian-Laird random effects, I2 = max(0, (Q - df)/Q) for both.
# Where metafor must agree (no zero cells: rma.mh OR and RR estimate, SE and Q; DL pooling given
# tau2), the script checks it with stopifnot and records the metafor values under `crosscheck`.
source("tests/reference/meta/_common.R")

Z <- qnorm(0.975)

pooled <- function(theta, se) {
  z <- theta / se
  list(estimate = theta, se = se, ci_lb = theta - Z * se, ci_ub = theta + Z * se,
       zval = z, pval = 2 * pnorm(-abs(z)))
}

heterogeneity <- function(y, v, theta) {
  w <- 1 / v
  Q <- sum(w * (y - theta)^2)
  df <- length(y) - 1
  list(Q = Q, df = df, Qp = pchisq(Q, df, lower.tail = FALSE),
       I2 = if (Q > 0) max(0, (Q - df) / Q) else 0)
}

dl_random <- function(y, v, Q) {
  w <- 1 / v
  df <- length(y) - 1
  tau2 <- max(0, (Q - df) / (sum(w) - sum(w^2) / sum(w)))
  ws <- 1 / (v + tau2)
  theta <- sum(ws * y) / sum(ws)
  c(pooled(theta, sqrt(1 / sum(ws))), list(tau2 = tau2, weights_raw = ws))
}

full_length <- function(x, keep) {
  out <- rep(NA_real_, length(keep))
  out[keep] <- x
  out
}

revman_binary <- function(d, measure) {
  a0 <- d$events_treat; c0 <- d$events_ctrl
  b0 <- d$total_treat - a0; d0 <- d$total_ctrl - c0
  double_zero <- (a0 + c0) == 0
  keep <- if (measure == "RD") rep(TRUE, nrow(d)) else !double_zero
  zero <- (a0 == 0 | b0 == 0 | c0 == 0 | d0 == 0)
  add <- ifelse(zero, 0.5, 0)
  a <- (a0 + add)[keep]; b <- (b0 + add)[keep]; c <- (c0 + add)[keep]; dd <- (d0 + add)[keep]
  n1 <- a + b; n2 <- c + dd; N <- n1 + n2

  if (measure == "OR") {
    R <- a * dd / N; S <- b * c / N
    P <- (a + dd) / N; Qc <- (b + c) / N
    theta <- log(sum(R) / sum(S))
    var <- sum(P * R) / (2 * sum(R)^2) + sum(P * S + Qc * R) / (2 * sum(R) * sum(S)) +
      sum(Qc * S) / (2 * sum(S)^2)
    w_mh <- S
    y <- log(a * dd / (b * c)); v <- 1 / a + 1 / b + 1 / c + 1 / dd
  } else if (measure == "RR") {
    theta <- log(sum(a * n2 / N) / sum(c * n1 / N))
    var <- sum((n1 * n2 * (a + c) - a * c * N) / N^2) / (sum(a * n2 / N) * sum(c * n1 / N))
    w_mh <- c * n1 / N
    y <- log((a / n1) / (c / n2)); v <- 1 / a - 1 / n1 + 1 / c - 1 / n2
  } else {
    theta <- sum((a * n2 - c * n1) / N) / sum(n1 * n2 / N)
    var <- sum((a * b * n2^3 + c * dd * n1^3) / (n1 * n2 * N^2)) / sum(n1 * n2 / N)^2
    w_mh <- n1 * n2 / N
    y <- a / n1 - c / n2; v <- a * b / n1^3 + c * dd / n2^3
  }
  het <- heterogeneity(y, v, theta)
  fixed <- c(list(model = "fixed", tau2 = 0), pooled(theta, sqrt(var)), het,
             list(weights = full_length(100 * w_mh / sum(w_mh), keep)))
  rnd <- dl_random(y, v, het$Q)
  random <- c(list(model = "random"), rnd[setdiff(names(rnd), "weights_raw")], het,
              list(weights = full_length(100 * rnd$weights_raw / sum(rnd$weights_raw), keep)))
  study <- list(k = sum(keep), included = keep, yi = full_length(y, keep), vi = full_length(v, keep),
                correction_added = add)
  list(fixed = c(fixed, study), random = c(random, study), y = y, v = v)
}

revman_continuous <- function(d, measure) {
  n1 <- d$n_treat; n2 <- d$n_ctrl; N <- n1 + n2
  if (measure == "MD") {
    y <- d$mean_treat - d$mean_ctrl
    v <- d$sd_treat^2 / n1 + d$sd_ctrl^2 / n2
  } else {
    s <- sqrt(((n1 - 1) * d$sd_treat^2 + (n2 - 1) * d$sd_ctrl^2) / (N - 2))
    y <- (d$mean_treat - d$mean_ctrl) / s * (1 - 3 / (4 * N - 9))
    v <- N / (n1 * n2) + y^2 / (2 * (N - 3.94))
  }
  w <- 1 / v
  theta <- sum(w * y) / sum(w)
  het <- heterogeneity(y, v, theta)
  fixed <- c(list(model = "fixed", tau2 = 0), pooled(theta, sqrt(1 / sum(w))), het,
             list(weights = 100 * w / sum(w)))
  rnd <- dl_random(y, v, het$Q)
  random <- c(list(model = "random"), rnd[setdiff(names(rnd), "weights_raw")], het,
              list(weights = 100 * rnd$weights_raw / sum(rnd$weights_raw)))
  study <- list(k = length(y), included = rep(TRUE, length(y)), yi = y, vi = v)
  list(fixed = c(fixed, study), random = c(random, study), y = y, v = v)
}

close <- function(x, y) isTRUE(all.equal(as.numeric(x), as.numeric(y), tolerance = 1e-10))

results <- list()
add_result <- function(name, d, measure, fit, model, cross = NULL) {
  r <- fit[[model]]
  for (v in c("included", "yi", "vi", "weights", "correction_added")) if (!is.null(r[[v]])) r[[v]] <- I(r[[v]])
  results[[length(results) + 1]] <<- c(
    list(id = paste(name, if (measure %in% c("OR", "RR", "RD")) "MH" else "IV", measure, model, sep = "-"), dataset = name,
         data = file.path("meta", "data", paste0(name, ".csv")), measure = measure,
         method = if (measure %in% c("OR", "RR", "RD")) "MH" else "IV", tau2_method = "DL"),
    r, if (!is.null(cross)) list(crosscheck = cross))
}

for (name in c("bcg", "li2007", "hine1989", "yusuf1985", "lee2004", "zero_cells",
               "homogeneous", "k2")) {
  d <- dataset(name)
  write_data(d, name)
  has_zero <- any(d$events_treat == 0 | d$events_ctrl == 0 |
                  d$events_treat == d$total_treat | d$events_ctrl == d$total_ctrl)
  for (m in c("OR", "RR", "RD")) {
    fit <- revman_binary(d, m)
    cross_f <- NULL
    if (!has_zero) {
      mh <- rma.mh(measure = m, ai = events_treat, n1i = total_treat, ci = events_ctrl,
                   n2i = total_ctrl, data = d)
      stopifnot(close(fit$fixed$estimate, mh$beta), close(fit$fixed$Q, mh$QE),
                close(fit$fixed$weights, weights(mh)))
      if (m != "RD") stopifnot(close(fit$fixed$se, mh$se))
      cross_f <- list(call = deparse1(mh$call), beta = num(mh$beta), se = num(mh$se), QE = num(mh$QE),
                      note = if (m == "RD") "SE differs by design: metafor uses the Sato-Greenland-Robins variance")
    }
    # Random: inverse-variance pooling at the RevMan tau2 must equal metafor at that fixed tau2.
    ru <- rma.uni(fit$y, fit$v, tau2 = fit$random$tau2)
    stopifnot(close(fit$random$estimate, ru$beta), close(fit$random$se, ru$se))
    cross_r <- list(call = "rma.uni(yi, vi, tau2 = <RevMan tau2>)", beta = num(ru$beta), se = num(ru$se))
    for (model in c("fixed", "random")) {
      add_result(name, d, m, fit, model, if (model == "fixed") cross_f else cross_r)
    }
  }
}

for (name in c("normand1999", "curtis1998")) {
  d <- dataset(name)
  write_data(d, name)
  for (m in c("MD", "SMD")) {
    fit <- revman_continuous(d, m)
    dl <- suppressWarnings(rma.uni(fit$y, fit$v, method = "DL"))
    stopifnot(close(fit$random$estimate, dl$beta), close(fit$random$se, dl$se),
              close(fit$random$tau2, dl$tau2), close(fit$fixed$Q, dl$QE))
    cross <- list(call = "rma.uni(yi, vi, method = \"DL\")", beta = num(dl$beta), se = num(dl$se),
                  tau2 = num(dl$tau2), QE = num(dl$QE),
                  note = "I2 differs by design: metafor's random-effects I2 is tau2-based")
    for (model in c("fixed", "random")) add_result(name, d, m, fit, model, cross)
  }
}

out <- c(header("revman_mh.R"),
         list(reference = "Deeks JJ, Higgins JPT. Statistical algorithms in Review Manager 5. 2010.",
              note = "I2 is a FRACTION here (not percent); weights are percent; estimates on the log scale for OR/RR.",
              results = results))
write_fixture(out, "revman_mh")
