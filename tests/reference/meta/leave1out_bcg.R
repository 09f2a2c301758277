# Writes leave1out_bcg.json (and data/bcg.csv). Run from the repository root:
#   Rscript tests/reference/meta/leave1out_bcg.R
# metafor leave1out() for rma.mh (OR) and rma.uni (REML, tight convergence) on dat.bcg, log OR.
source("tests/reference/meta/_common.R")

d <- dataset("bcg")
csv <- write_data(d, "bcg")

loo_fields <- function(l) {
  list(study = as.character(d$study), estimate = num(l$estimate), se = num(l$se),
       zval = num(l$zval), pval = num(l$pval), ci_lb = num(l$ci.lb), ci_ub = num(l$ci.ub),
       Q = num(l$Q), Qp = num(l$Qp), tau2 = num(l$tau2), I2 = num(l$I2), H2 = num(l$H2))
}

mh <- rma.mh(measure = "OR", ai = events_treat, n1i = total_treat, ci = events_ctrl,
             n2i = total_ctrl, data = d)
es <- escalc(measure = "OR", ai = events_treat, n1i = total_treat, ci = events_ctrl,
             n2i = total_ctrl, data = d)
reml <- rma.uni(yi, vi, data = es, method = "REML", control = CTRL_ITER)
l_mh <- leave1out(mh)
l_reml <- leave1out(reml)
# leave1out refits with the model's control; check one refit by hand.
chk <- rma.uni(yi, vi, data = es[-1, ], method = "REML", control = CTRL_ITER)
stopifnot(isTRUE(all.equal(num(chk$beta), l_reml$estimate[1], tolerance = 1e-12)))
mh_l <- loo_fields(l_mh)
mh_l$tau2 <- rep(0, nrow(d))  # rma.mh is a fixed-effect model

out <- c(header("leave1out_bcg.R"),
         list(dataset = "bcg", data = csv, measure = "OR", note = "estimates on the log scale; I2 in percent",
              analyses = list(
                "MH-fixed" = c(list(method = "MH", model = "fixed", tau2_method = NA,
                                    call = deparse1(mh$call), leave1out_call = "leave1out(res)"), mh_l),
                "IV-random-REML" = c(list(method = "IV", model = "random", tau2_method = "REML",
                                          call = paste0("rma.uni(yi, vi, data = es, method = \"REML\", control = ", deparse1(CTRL_ITER), ")"), leave1out_call = "leave1out(res)"),
                                     loo_fields(l_reml)))))
write_fixture(out, "leave1out_bcg")
