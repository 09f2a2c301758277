# Writes subgroup_bcg.json (and data/bcg.csv). Run from the repository root:
#   Rscript tests/reference/meta/subgroup_bcg.R
# dat.bcg split by `alloc` (random / alternate / systematic), log odds ratios.
#   * MH fixed (rma.mh per subgroup) and IV random DL (rma.uni per subgroup, separate tau2):
#     test for subgroup differences = fixed-effect IV meta-analysis of the subgroup estimates
#     (Q, df = G - 1, p, I2 = max(0, (Q - df)/Q)), as RevMan 5 / Cochrane Handbook 10.11.3.1.
#   * IV fixed: the same test, which must equal metafor's QM from
#     rma(yi, vi, mods = ~ alloc, method = "FE") and Q_total - sum(Q_within).
source("tests/reference/meta/_common.R")

d <- dataset("bcg")
csv <- write_data(d, "bcg")
es <- escalc(measure = "OR", ai = events_treat, n1i = total_treat, ci = events_ctrl,
             n2i = total_ctrl, data = d)
levels_ <- c("random", "alternate", "systematic")

fields <- function(res) {
  list(k = res$k, beta = num(res$beta), se = num(res$se), ci_lb = num(res$ci.lb),
       ci_ub = num(res$ci.ub), zval = num(res$zval), pval = num(res$pval), tau2 = num(res$tau2),
       QE = num(res$QE), QEp = num(res$QEp), I2 = num(res$I2), H2 = num(res$H2))
}

fit <- function(kind, sub) {
  if (kind == "MH") {
    rma.mh(measure = "OR", ai = events_treat, n1i = total_treat, ci = events_ctrl,
           n2i = total_ctrl, data = sub)
  } else if (kind == "IV-fixed") {
    rma.uni(yi, vi, data = sub, method = "FE")
  } else {
    rma.uni(yi, vi, data = sub, method = "DL")
  }
}

analyses <- list()
for (kind in c("MH", "IV-fixed", "IV-random-DL")) {
  subs <- lapply(levels_, function(l) fit(kind, es[es$alloc == l, ]))
  names(subs) <- levels_
  overall <- fit(kind, es)
  b <- sapply(subs, function(r) num(r$beta))
  s <- sapply(subs, function(r) num(r$se))
  between <- rma.uni(yi = b, sei = s, method = "FE")
  diff <- list(Q = num(between$QE), df = length(b) - 1, pval = num(between$QEp),
               I2 = num(between$I2), call = "rma.uni(yi = <subgroup estimates>, sei = <their SEs>, method = \"FE\")")
  a <- list(model = if (kind == "IV-random-DL") "random" else "fixed",
            method = if (kind == "MH") "MH" else "IV",
            tau2_method = if (kind == "IV-random-DL") "DL" else NA,
            call = switch(kind,
              "MH" = "rma.mh(measure = \"OR\", ai = events_treat, n1i = total_treat, ci = events_ctrl, n2i = total_ctrl, data = <subgroup>)",
              "IV-fixed" = "rma.uni(yi, vi, data = <subgroup>, method = \"FE\")",
              "IV-random-DL" = "rma.uni(yi, vi, data = <subgroup>, method = \"DL\")"),
            subgroups = lapply(subs, fields), overall = fields(overall), difference = diff)
  if (kind == "IV-fixed") {
    mr <- rma(yi, vi, mods = ~ alloc, data = es, method = "FE")
    q_within <- sum(sapply(subs, function(r) r$QE))
    stopifnot(isTRUE(all.equal(mr$QM, overall$QE - q_within, tolerance = 1e-10)),
              isTRUE(all.equal(mr$QM, between$QE, tolerance = 1e-10)))
    a$metafor_mods <- list(call = deparse1(mr$call), QM = num(mr$QM), QMdf = num(mr$QMdf[1]),
                           QMp = num(mr$QMp), Q_total_minus_within = num(overall$QE - q_within))
  }
  analyses[[kind]] <- a
}

out <- c(header("subgroup_bcg.R"),
         list(dataset = "bcg", data = csv, by = "alloc", measure = "OR",
              escalc_call = "escalc(measure = \"OR\", ai = events_treat, n1i = total_treat, ci = events_ctrl, n2i = total_ctrl, data = d)",
              analyses = analyses))
write_fixture(out, "subgroup_bcg")
