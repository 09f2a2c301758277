# Writes km_exact.json and data/exact.csv. Run from the repository root:
#   Rscript tests/reference/survival/km_exact.R
# Constructed curves that sit exactly on 0.5: group A (deaths at 1, 2, 3, 4: median is the
# midpoint 2.5) and group B (S = 0.5 at its last event and flat to its last time 3: the median
# is the midpoint of 1 and 3), quantile.survfit's two midpoint rules.
source("tests/reference/survival/_common.R")
d <- data.frame(time = c(1, 2, 3, 4, 1, 3), status = c(1, 1, 1, 1, 1, 0),
                grp = factor(c("A", "A", "A", "A", "B", "B")))
d$ev <- d$status
survival_fixture(d, "exact", "km_exact.R", event_codes = NULL, times = c(1, 2.5, 5), tau = 3,
                 rho1 = TRUE)
