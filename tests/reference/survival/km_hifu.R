# Writes km_hifu.json and data/hifu.csv. Run from the repository root:
#   Rscript tests/reference/survival/km_hifu.R
# The eight HIFU patients of Table 3 in the seed cohort study (shared/seeds/000_399d5ed93e9d09d2.txt):
# outcome in months, "Expired" = death. KM median OS is not reached (NA); the paper's 27.5 is
# median(time), the median of the observed follow-up times.
source("tests/reference/survival/_common.R")
d <- data.frame(patient = 1:8, time = c(24, 44, 44, 41, 29, 26, 11, 6),
                status = c(1, 0, 0, 0, 0, 0, 1, 0), grp = factor(rep("HIFU", 8)))
d$ev <- d$status
out <- survival_fixture(d, "hifu", "km_hifu.R", event_codes = NULL, times = c(12, 24, 36),
                        tau = 36, rho1 = FALSE)
