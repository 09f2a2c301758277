# Writes km_aml.json and data/aml.csv. Run from the repository root:
#   Rscript tests/reference/survival/km_aml.R
# Acute myelogenous leukaemia (Miller 1981): 23 patients, maintained vs not; small, with ties.
source("tests/reference/survival/_common.R")
d <- data.frame(time = aml$time, status = aml$status, ev = aml$status, grp = aml$x)
survival_fixture(d, "aml", "km_aml.R", event_codes = NULL, times = c(12, 24, 48), tau = 48)
