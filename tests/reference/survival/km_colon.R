# Writes km_colon.json and data/colon.csv. Run from the repository root:
#   Rscript tests/reference/survival/km_colon.R
# Colon cancer adjuvant trial, death records (etype == 2): three arms (Obs, Lev, Lev+5FU),
# stratified by sex; trend and pairwise tests.
source("tests/reference/survival/_common.R")
d <- subset(colon, etype == 2)
d <- data.frame(time = d$time, status = d$status, ev = d$status, grp = d$rx, strat = d$sex)
survival_fixture(d, "colon", "km_colon.R", event_codes = NULL,
                 times = c(365, 730, 1095, 1825), tau = 1825)
