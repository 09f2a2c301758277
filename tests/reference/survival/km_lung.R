# Writes km_lung.json and data/lung.csv. Run from the repository root:
#   Rscript tests/reference/survival/km_lung.R
# NCCTG lung cancer: status 1 = censored, 2 = dead (event_codes); by sex, stratified by ph.ecog
# (the one patient with missing ph.ecog dropped). Many tied times.
source("tests/reference/survival/_common.R")
d <- subset(lung, !is.na(ph.ecog))
d <- data.frame(time = d$time, status = d$status, ev = as.integer(d$status == 2),
                grp = factor(d$sex), strat = d$ph.ecog)
survival_fixture(d, "lung", "km_lung.R", event_codes = list(`1` = 0, `2` = 1),
                 times = c(180, 365, 730, 1000), tau = 730)
