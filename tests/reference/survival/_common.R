# Shared code for the survival reference scripts in tests/reference/survival/.
# Sourced by every script there; run the scripts from the repository root, e.g.
#   Rscript tests/reference/survival/km_lung.R
# Each script writes its input data to tests/reference/survival/data/<name>.csv (so the Python
# tests never need R) and its results to tests/reference/survival/<script>.json at full precision.

suppressPackageStartupMessages(library(survival))

REF_DIR <- "tests/reference/survival"
DATA_DIR <- file.path(REF_DIR, "data")
CONF_TYPES <- c("log", "log-log", "plain", "logit", "arcsin")
PROBS <- c(0.25, 0.5, 0.75)

num <- function(x) as.numeric(unname(x))

# One entry per curve of a survfit object, in strata order, labelled by the group level.
curves <- function(fit, levels) {
  idx <- if (is.null(fit$strata)) list(seq_along(fit$time)) else
    split(seq_along(fit$time), rep(seq_along(fit$strata), fit$strata))
  lapply(seq_along(idx), function(i) {
    j <- idx[[i]]
    list(group = levels[i], time = num(fit$time[j]), n_risk = num(fit$n.risk[j]),
         n_event = num(fit$n.event[j]), n_censor = num(fit$n.censor[j]), surv = num(fit$surv[j]),
         std_err = num(fit$std.err[j]), lower = num(fit$lower[j]), upper = num(fit$upper[j]))
  })
}

quantiles <- function(fit, levels) {
  q <- quantile(fit, probs = PROBS)
  m <- function(x) matrix(x, ncol = length(PROBS))
  lapply(seq_along(levels), function(i) list(
    group = levels[i], probs = PROBS, quantile = num(m(q$quantile)[i, ]),
    lower = num(m(q$lower)[i, ]), upper = num(m(q$upper)[i, ])))
}

# d has columns time, status (raw codes), ev (0/1), grp (factor) and optionally strat.
survival_fixture <- function(d, name, script, event_codes, times, tau, rho1 = TRUE) {
  levels <- levels(d$grp)
  csv <- d[, setdiff(names(d), "ev")]
  dir.create(DATA_DIR, showWarnings = FALSE, recursive = TRUE)
  write.csv(csv, file.path(DATA_DIR, paste0(name, ".csv")), row.names = FALSE)
  out <- list(generated_by = file.path(REF_DIR, script), r = R.version.string,
              survival = as.character(packageVersion("survival")), dataset = name,
              data = file.path("survival", "data", paste0(name, ".csv")),
              event_codes = event_codes, groups = levels, times = times, tau = tau)
  km <- list()
  for (ct in CONF_TYPES) {
    cl <- bquote(survfit(Surv(time, ev) ~ grp, data = d, conf.type = .(ct)))
    fit <- eval(cl)
    km[[ct]] <- list(call = deparse1(cl), curves = curves(fit, levels),
                     quantiles = quantiles(fit, levels))
  }
  out$km <- km
  fit <- survfit(Surv(time, ev) ~ grp, data = d)
  s <- summary(fit, times = times, extend = TRUE)
  out$summary_times <- list(call = "summary(fit, times = times, extend = TRUE)",
    group = if (is.null(s$strata)) rep(levels, length(s$time)) else levels[as.integer(s$strata)],
    time = num(s$time), n_risk = num(s$n.risk),
    n_event = num(s$n.event), n_censor = num(s$n.censor), surv = num(s$surv),
    se = num(s$std.err), lower = num(s$lower), upper = num(s$upper))
  rm <- rbind(survival:::survmean(fit, rmean = tau)$matrix)
  out$rmean <- list(call = "survival:::survmean(fit, rmean = tau)", group = levels,
                    rmean = num(rm[, "rmean"]), se = num(rm[, "se(rmean)"]))
  # Reverse Kaplan-Meier (Schemper & Smith): censoring is the event.
  rev <- survfit(Surv(time, 1 - ev) ~ grp, data = d)
  rev1 <- survfit(Surv(time, 1 - ev) ~ 1, data = d)
  qr <- quantile(rev, probs = 0.5)
  qr1 <- quantile(rev1, probs = 0.5)
  out$reverse_km <- list(call = "quantile(survfit(Surv(time, 1 - ev) ~ grp, data = d), 0.5)",
    group = c(levels, "all"), median = num(c(qr$quantile, qr1$quantile)),
    lower = num(c(qr$lower, qr1$lower)), upper = num(c(qr$upper, qr1$upper)))
  if (length(levels) < 2) {
    jsonlite::write_json(out, file.path(REF_DIR, sub("\\.R$", ".json", script)),
                         digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
    return(invisible(out))
  }
  tests <- list()
  for (rho in if (rho1) c(0, 1) else 0) {
    cl <- bquote(survdiff(Surv(time, ev) ~ grp, data = d, rho = .(rho)))
    sdf <- eval(cl)
    tests[[length(tests) + 1]] <- list(call = deparse1(cl), rho = rho, strata = FALSE,
      chisq = sdf$chisq, df = length(levels) - 1, p = pchisq(sdf$chisq, length(levels) - 1,
                                                             lower.tail = FALSE),
      obs = num(sdf$obs), exp = num(sdf$exp), var = sdf$var)
  }
  if ("strat" %in% names(d)) {
    cl <- quote(survdiff(Surv(time, ev) ~ grp + strata(strat), data = d))
    sdf <- eval(cl)
    tests[[length(tests) + 1]] <- list(call = deparse1(cl), rho = 0, strata = TRUE,
      chisq = sdf$chisq, df = length(levels) - 1, p = pchisq(sdf$chisq, length(levels) - 1,
                                                             lower.tail = FALSE),
      obs = num(rowSums(sdf$obs)), exp = num(rowSums(sdf$exp)), var = sdf$var)
  }
  out$survdiff <- tests
  # Log-rank test for trend with scores 1..k, by hand from survdiff's O - E and variance.
  trend <- list()
  for (t in tests) {
    sc <- seq_along(levels)
    u <- sum(sc * (t$obs - t$exp))
    v <- drop(t(sc) %*% t$var %*% sc)
    trend[[length(trend) + 1]] <- list(rho = t$rho, strata = t$strata, scores = sc, u = u,
      var = v, chisq = u^2 / v, p = pchisq(u^2 / v, 1, lower.tail = FALSE))
  }
  out$trend <- trend
  if (length(levels) > 2) {
    pairs <- combn(levels, 2)
    p <- chisq <- numeric(ncol(pairs))
    for (i in seq_len(ncol(pairs))) {
      sub <- droplevels(d[d$grp %in% pairs[, i], ])
      sdf <- survdiff(Surv(time, ev) ~ grp, data = sub)
      chisq[i] <- sdf$chisq
      p[i] <- pchisq(sdf$chisq, 1, lower.tail = FALSE)
    }
    out$pairwise <- list(call = "survdiff on each pair's patients; p.adjust(p, method)",
      group1 = pairs[1, ], group2 = pairs[2, ], chisq = chisq, p = p,
      holm = p.adjust(p, "holm"), bonferroni = p.adjust(p, "bonferroni"), BH = p.adjust(p, "BH"))
  }
  jsonlite::write_json(out, file.path(REF_DIR, sub("\\.R$", ".json", script)),
                       digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
  invisible(out)
}
