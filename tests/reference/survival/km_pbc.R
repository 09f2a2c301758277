# Writes km_pbc.json and data/pbc.csv. Run from the repository root:
#   Rscript tests/reference/survival/km_pbc.R
# Mayo PBC trial (the 312 randomised patients): status 0 censored, 1 transplant (censored
# here), 2 dead -- declared with event_codes; by treatment, stratified by edema.
source("tests/reference/survival/_common.R")
d <- subset(pbc, !is.na(trt))
d <- data.frame(time = d$time, status = d$status, ev = as.integer(d$status == 2),
                grp = factor(d$trt), strat = d$edema)
survival_fixture(d, "pbc", "km_pbc.R", event_codes = list(`0` = 0, `1` = 0, `2` = 1),
                 times = c(365, 1826, 3652), tau = 3652)
